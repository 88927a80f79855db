"""Temporary: URL names other modules already link to, until the owning module
implements the view. Removed when every name below is implemented."""

from django.http import Http404, HttpRequest, HttpResponse


def not_yet(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404("Not available yet.")
