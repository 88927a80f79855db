"""URLconf used by `manage.py bench` and by the cross-process cache test: the site's
own URLs plus a trivial view (the yardstick every page is compared with) and a small
cached probe page that prints one statement's words.

Never the ROOT_URLCONF of a deployment.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.utils.html import format_html

from core.cache import depends_on, public_page
from incidents import caching
from incidents.models import Statement


def trivial(request: HttpRequest) -> HttpResponse:
    """The cheapest Django response: what every page's time is divided by."""
    return HttpResponse("ok", content_type="text/plain")


def statement_probe(request: HttpRequest, pk: int) -> HttpResponse:
    """One published statement's words, through the public page cache."""
    statement = get_object_or_404(
        Statement.objects.visible_to(request.user).select_related("incident"), pk=pk
    )
    depends_on(*caching.incident_scopes(statement.incident_id, statement.incident.conflict_id))
    return HttpResponse(format_html("<p id='words'>{}</p>", statement.text))


urlpatterns = [
    path("__bench__/trivial/", trivial, name="bench_trivial"),
    path("__bench__/probe/<int:pk>/", public_page(statement_probe), name="bench_probe"),
    path("", include("config.urls")),
]
