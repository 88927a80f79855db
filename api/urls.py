from django.urls import path

from config.pending import not_yet

app_name = "api"

urlpatterns = [
    path("", not_yet, name="index"),
]
