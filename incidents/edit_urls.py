from django.urls import path

from config.pending import not_yet

app_name = "editing"

urlpatterns = [
    path("", not_yet, name="index"),
]
