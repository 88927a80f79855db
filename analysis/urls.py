from django.urls import path

from core.cache import public_page

from . import views

app_name = "analysis"

# Anonymous visitors get these pages from the shared page cache, invalidated by a
# change to the conflict's or incident's data (core.cache, incidents/caching.py);
# analysts and editors always get fresh numbers.
urlpatterns = [
    path("", public_page(views.index), name="index"),
    path("conflicts/<slug:slug>/", public_page(views.conflict_timeline), name="conflict_timeline"),
    path(
        "conflicts/<slug:slug>/leanings/",
        public_page(views.conflict_leanings),
        name="conflict_leanings",
    ),
    path("conflicts/<slug:slug>/terms/", public_page(views.conflict_terms), name="conflict_terms"),
    path(
        "incidents/<slug:slug>/framing/",
        public_page(views.incident_framing),
        name="incident_framing",
    ),
    path(
        "incidents/<slug:slug>/figures/",
        public_page(views.incident_figures),
        name="incident_figures",
    ),
]
