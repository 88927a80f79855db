from django.urls import path

from core.cache import public_page

from . import views

app_name = "incidents"

# Public pages: anonymous requests are served from the shared page cache
# (core.cache), invalidated when a change to what they show commits (each view names
# its scopes, incidents/caching.py); signed-in users always get a fresh page.
urlpatterns = [
    path("", public_page(views.incident_list), name="home"),
    path("incidents/", public_page(views.incident_list), name="list"),
    path("incidents/<slug:slug>/", public_page(views.incident_detail), name="detail"),
    path("statements/<int:pk>/", public_page(views.statement_detail), name="statement_detail"),
    path("actors/<slug:slug>/", public_page(views.actor_detail), name="actor_detail"),
    path("parties/<slug:slug>/", public_page(views.party_detail), name="party_detail"),
    path("sources/<int:pk>/", public_page(views.source_detail), name="source_detail"),
]
