from django.urls import path, re_path

from . import exports, feeds, geojson, openapi, views

app_name = "api"

urlpatterns = [
    path("", views.index, name="index"),
    path("openapi.json", openapi.openapi_view, name="openapi"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<slug:slug>/", views.incident_detail, name="incident_detail"),
    path(
        "incidents/<slug:slug>/annotations/",
        views.incident_annotations,
        name="incident_annotations",
    ),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path(
        "statements/<int:pk>/annotations/",
        views.statement_annotations,
        name="statement_annotations",
    ),
    path("statements/<int:pk>/claim.jsonld", views.statement_claim, name="statement_claim"),
    path("statements/<int:pk>/text.txt", views.statement_text, name="statement_text"),
    path("actors/", views.actor_list, name="actor_list"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor_detail"),
    path("parties/", views.party_list, name="party_list"),
    path("parties/<slug:slug>/", views.party_detail, name="party_detail"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/archive.txt", views.source_archive, name="source_archive"),
    path("annotations/", views.annotation_collection, name="annotation_collection"),
    path("annotations/<int:pk>/", views.annotation_detail, name="annotation_detail"),
    # GeoJSON (api.geojson): features with geometries, not the datasets' rows, so
    # before the datasets' own pattern, which would take "incidents.geojson".
    path(
        "export/incidents.geojson",
        geojson.export_incidents_geojson,
        name="export_incidents_geojson",
    ),
    path(
        "export/locations.geojson",
        geojson.export_locations_geojson,
        name="export_locations_geojson",
    ),
    # Any registered format (api.exports.WRITERS); an unknown one is a JSON 404.
    *(
        re_path(
            rf"^export/{name}\.(?P<fmt>[a-z.]+)$",
            exports.export_view(name),
            name=f"export_{name}",
        )
        for name in exports.DATASETS
    ),
    path("feeds/incidents/", feeds.incident_feed, name="incident_feed"),
    # Last: any other path under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*$", views.unknown_path, name="unknown_path"),
]
