"""Editing URLs, mounted at /edit/. Every view here is editor-only; the permission
matrix in tests/contracts/test_permissions.py lists each name with its expected answers."""

from django.urls import path

from .views import desk, history, incidents, places, points, sources, spans, statements

app_name = "editing"

urlpatterns = [
    path("", desk.index, name="index"),
    path("incidents/new/", incidents.incident_create, name="incident_create"),
    path("incidents/<slug:slug>/", incidents.incident_edit, name="incident_edit"),
    path("incidents/<slug:slug>/publish/", incidents.incident_publish, name="incident_publish"),
    path("incidents/<slug:slug>/points/", points.points, name="points"),
    path("incidents/<slug:slug>/points/new/", points.point_create, name="point_create"),
    path(
        "incidents/<slug:slug>/statements/new/",
        statements.statement_create,
        name="statement_create",
    ),
    path("incidents/<slug:slug>/actors/", statements.actor_search, name="actor_search"),
    path("incidents/<slug:slug>/actors/new/", statements.actor_create, name="actor_create"),
    path("points/<int:pk>/", points.point_edit, name="point_edit"),
    path("points/<int:pk>/move/", points.point_move, name="point_move"),
    path("statements/<int:pk>/", statements.statement_edit, name="statement_edit"),
    path("statements/<int:pk>/spans/", spans.statement_spans, name="statement_spans"),
    path("statements/<int:pk>/publish/", statements.statement_publish, name="statement_publish"),
    path("statements/<int:pk>/withdraw/", statements.statement_withdraw, name="statement_withdraw"),
    path(
        "statements/<int:pk>/annotations/new/",
        spans.annotation_create,
        name="annotation_create",
    ),
    path("statements/<int:pk>/claims/new/", spans.claim_create, name="claim_create"),
    path("annotations/<int:pk>/", spans.annotation_edit, name="annotation_edit"),
    path("annotations/<int:pk>/delete/", spans.annotation_delete, name="annotation_delete"),
    path("claims/<int:pk>/", spans.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/delete/", spans.claim_delete, name="claim_delete"),
    path("claims/<int:pk>/relations/new/", spans.relation_create, name="relation_create"),
    path("relations/<int:pk>/delete/", spans.relation_delete, name="relation_delete"),
    path("places/", places.places, name="places"),
    path("places/new/", places.place_create, name="place_create"),
    path("places/<slug:slug>/", places.place_edit, name="place_edit"),
    path("sources/new/", sources.source_create, name="source_create"),
    path("sources/<int:pk>/", sources.source_edit, name="source_edit"),
    path("history/<str:kind>/<int:pk>/", history.history, name="history"),
    path(
        "history/<str:kind>/<int:pk>/revert/<int:history_id>/",
        history.history_revert,
        name="history_revert",
    ),
]
