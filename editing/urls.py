"""Editing URLs, mounted at /edit/. Every view here is editor-only; the permission
matrix in tests/contracts/test_permissions.py lists each name with its expected answers."""

from django.urls import path

from . import views

app_name = "editing"

urlpatterns = [
    path("", views.index, name="index"),
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/<slug:slug>/", views.incident_edit, name="incident_edit"),
    path("incidents/<slug:slug>/publish/", views.incident_publish, name="incident_publish"),
    path("incidents/<slug:slug>/points/", views.points, name="points"),
    path("incidents/<slug:slug>/points/new/", views.point_create, name="point_create"),
    path("incidents/<slug:slug>/statements/new/", views.statement_create, name="statement_create"),
    path("incidents/<slug:slug>/actors/", views.actor_search, name="actor_search"),
    path("incidents/<slug:slug>/actors/new/", views.actor_create, name="actor_create"),
    path("points/<int:pk>/", views.point_edit, name="point_edit"),
    path("points/<int:pk>/move/", views.point_move, name="point_move"),
    path("statements/<int:pk>/", views.statement_edit, name="statement_edit"),
    path("statements/<int:pk>/spans/", views.statement_spans, name="statement_spans"),
    path("statements/<int:pk>/publish/", views.statement_publish, name="statement_publish"),
    path("statements/<int:pk>/withdraw/", views.statement_withdraw, name="statement_withdraw"),
    path(
        "statements/<int:pk>/annotations/new/",
        views.annotation_create,
        name="annotation_create",
    ),
    path("statements/<int:pk>/claims/new/", views.claim_create, name="claim_create"),
    path("annotations/<int:pk>/", views.annotation_edit, name="annotation_edit"),
    path("annotations/<int:pk>/delete/", views.annotation_delete, name="annotation_delete"),
    path("claims/<int:pk>/", views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/delete/", views.claim_delete, name="claim_delete"),
    path("claims/<int:pk>/relations/new/", views.relation_create, name="relation_create"),
    path("relations/<int:pk>/delete/", views.relation_delete, name="relation_delete"),
    path("places/", views.places, name="places"),
    path("places/new/", views.place_create, name="place_create"),
    path("places/<slug:slug>/", views.place_edit, name="place_edit"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/<int:pk>/", views.source_edit, name="source_edit"),
    path("history/<str:kind>/<int:pk>/", views.history, name="history"),
    path(
        "history/<str:kind>/<int:pk>/revert/<int:history_id>/",
        views.history_revert,
        name="history_revert",
    ),
]
