"""What every answer under /api/ has in common: JSON errors, the methods allowed,
the query parameters allowed, CORS and the Web Annotation Protocol's headers.

    @endpoint(filters.IncidentQueryForm, paged=True)
    def incident_list(request: HttpRequest) -> HttpResponse: ...

- Read-only: GET and HEAD are answered; OPTIONS gets a 204 with `Allow`; any other
  method a JSON 405 with `Allow` (the API takes no writes, so it needs no CSRF check:
  without one a POST would meet the HTML CSRF page instead of the 405).
- Query parameters: only those of the view's forms (and paging); any other one is a
  JSON 400 naming the allowed ones, so a misspelt filter (`?incidnet=`) is not taken
  for "no filter". A form's own errors (a bad date) are a JSON 400 with its messages.
- A 404 raised anywhere below (`Http404`) is a JSON 404.
- `Access-Control-Allow-Origin: *`: the API is public and read-only. A browser on
  another origin never sends or reads a signed-in visitor's copy with a wildcard
  origin, so other sites only ever read what the public may see.
- Annotation resources and containers get the Link type headers, `Allow` and
  `Vary: Accept` of the Web Annotation Protocol (sections 4.1 and 5.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from .conditional import finish

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOW = ", ".join(SAFE_METHODS)
# Query parameters every list understands (api.filters.PageForm and CursorForm).
PAGING_PARAMS = ("page", "page_size", "cursor", "sort")

LDP_RESOURCE = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
LDP_CONTAINER = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)


def json_error(status: int, message: str, details: dict[str, Any] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message, "status": status}
    if details:
        body["details"] = details
    return JsonResponse(body, status=status)


def not_found(what: str = "Not found.") -> JsonResponse:
    # The same answer for "does not exist" and "exists but you may not see it".
    return json_error(404, what)


class BadRequest(Exception):
    def __init__(
        self, details: dict[str, list[str]], message: str = "Invalid query parameters."
    ) -> None:
        super().__init__(message)
        self.details = details

    @classmethod
    def from_form(cls, form: forms.Form) -> BadRequest:
        errors = form.errors.get_json_data()
        return cls({field: [e["message"] for e in errs] for field, errs in errors.items()})


def read[F: forms.Form](form_class: type[F], request: HttpRequest, *, paged: bool = False) -> F:
    """The validated form, or BadRequest. With `paged`, the paging parameters are
    checked too, so one 400 reports every bad parameter at once."""
    from .filters import PageForm

    form = form_class(request.GET)
    valid = form.is_valid()
    if paged:
        paging = PageForm(request.GET)
        if not paging.is_valid():
            for field, errors in paging.errors.items():
                form.errors[field] = errors
            valid = False
    if not valid:
        raise BadRequest.from_form(form)
    return form


def allowed_params(form_classes: Iterable[type[forms.Form]], paged: bool) -> list[str]:
    names: list[str] = []
    for form_class in form_classes:
        names += [n for n in form_class.base_fields if n not in names]
    if paged:
        names += [n for n in PAGING_PARAMS if n not in names]
    return names


def check_params(request: HttpRequest, allowed: list[str]) -> None:
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        listed = ", ".join(allowed) if allowed else "none"
        raise BadRequest(
            {name: [f"Unknown query parameter. Allowed here: {listed}."] for name in unknown},
            message=f"Unknown query parameter: {', '.join(unknown)}. Allowed here: {listed}.",
        )


def with_common_headers(response: HttpResponseBase, annotation: str | None) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link, Allow"
    # RFC 8288's registered "license" relation: the data's terms on every answer.
    links = [f'<{settings.DATA_LICENSE_URL}>; rel="license"']
    if annotation is not None:
        response["Allow"] = ALLOW
        links.insert(0, LDP_CONTAINER if annotation == "container" else LDP_RESOURCE)
        patch_vary_headers(response, ("Accept",))
    response["Link"] = ", ".join(links)
    return response


def endpoint(
    *form_classes: type[forms.Form],
    paged: bool = False,
    params: tuple[str, ...] = (),
    annotation: str | None = None,
    any_params: bool = False,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """The API view decorator (see the module doc). `params` adds query parameters
    beyond the forms'; `annotation` is "resource" or "container" for the Web
    Annotation Protocol's headers; `any_params` skips the parameter check (for the
    catch-all 404, which passes the query string on when it redirects)."""
    allowed = allowed_params(form_classes, paged) + list(params)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response: HttpResponseBase
            if request.method not in SAFE_METHODS:
                response = json_error(
                    405, f"{request.method} is not allowed: the API is read-only.", None
                )
                response["Allow"] = ALLOW
            elif request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = ALLOW
                response["Access-Control-Allow-Methods"] = ALLOW
                response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
                response["Access-Control-Max-Age"] = "86400"
            else:
                try:
                    if not any_params:
                        check_params(request, allowed)
                    response = view(request, *args, **kwargs)
                except BadRequest as exc:
                    response = json_error(400, str(exc), exc.details)
                except Http404:
                    response = not_found()
            return with_common_headers(finish(request, response), annotation)

        return wrapped

    return decorate
