from django.urls import path

from config.pending import not_yet

app_name = "imports"

urlpatterns = [
    path("", not_yet, name="new"),
]
