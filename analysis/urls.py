from django.urls import path

from . import views

app_name = "analysis"

urlpatterns = [
    path("", views.index, name="index"),
    path("conflicts/<slug:slug>/", views.conflict_timeline, name="conflict_timeline"),
    path("conflicts/<slug:slug>/leanings/", views.conflict_leanings, name="conflict_leanings"),
    path("conflicts/<slug:slug>/terms/", views.conflict_terms, name="conflict_terms"),
    path("incidents/<slug:slug>/framing/", views.incident_framing, name="incident_framing"),
    path("incidents/<slug:slug>/figures/", views.incident_figures, name="incident_figures"),
]
