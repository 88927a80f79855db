from django.urls import path

from config.pending import not_yet

app_name = "search"

urlpatterns = [
    path("", not_yet, name="results"),
]
