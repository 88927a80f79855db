from django.urls import path

from config.pending import not_yet

app_name = "analysis"

urlpatterns = [
    path("", not_yet, name="index"),
    path("incidents/<slug:slug>/framing/", not_yet, name="incident_framing"),
]
