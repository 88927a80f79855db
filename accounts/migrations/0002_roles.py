"""Creates the role groups (README, Roles) with their model permissions.

Analysts may view everything; editors may also add, change and delete the editorial
models; admins get every permission. Re-running keeps groups in step with the models.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORIAL_MODELS = [
    "incident",
    "statement",
    "source",
    "pointofcontention",
    "claim",
    "claimrelation",
    "annotation",
    "actor",
    "place",
    "placename",
    "party",
    "conflict",
    "conflictside",
]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editorial = Permission.objects.filter(
        content_type__app_label="incidents", content_type__model__in=EDITORIAL_MODELS
    )
    analyst, _ = Group.objects.get_or_create(name="analyst")
    analyst.permissions.set(editorial.filter(codename__startswith="view_"))
    editor, _ = Group.objects.get_or_create(name="editor")
    editor.permissions.set(editorial)
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(Permission.objects.all())


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["analyst", "editor", "admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
