import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_role_groups_survive_a_flush_with_their_permissions():
    call_command("flush", "--no-input")
    editor = Group.objects.get(name="editor")
    analyst = Group.objects.get(name="analyst")
    assert editor.permissions.filter(codename="change_statement").exists()
    assert analyst.permissions.filter(codename="view_statement").exists()
    assert not analyst.permissions.filter(codename="change_statement").exists()
    assert not editor.permissions.filter(codename__contains="historical").exists()
