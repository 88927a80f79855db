"""The trivial view and the cache probe alone, without the site's URLs: the
cross-process cache test starts its servers on this URLconf so that they do not
import the whole site (spaCy included) just to serve the probe."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import path

from core.cache import public_page
from ops.bench.urls import statement_probe, trivial


def database_probe(request: HttpRequest) -> HttpResponse:
    """One round trip to the database, nothing else (the database-failure test
    stops PostgreSQL under it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("database answered", content_type="text/plain")


urlpatterns = [
    path("__bench__/database/", database_probe, name="bench_database"),
    path("__bench__/trivial/", trivial, name="bench_trivial"),
    path("__bench__/probe/<int:pk>/", public_page(statement_probe), name="bench_probe"),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # The site's 404 page links to the site's URLs, which this URLconf leaves out.
    return HttpResponseNotFound("Not found", content_type="text/plain")


handler404 = not_found
