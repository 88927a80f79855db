from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="home"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<slug:slug>/", views.incident_detail, name="detail"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor_detail"),
    path("parties/<slug:slug>/", views.party_detail, name="party_detail"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
]
