from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Parallax", {"fields": ("display_name",)}))
    list_display = ("username", "email", "display_name", "is_staff", "is_active")
    list_filter = (*BaseUserAdmin.list_filter,)
