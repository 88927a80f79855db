from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from core.cache import depends_on
from core.http import HtmxHttpRequest
from incidents import caching

from .forms import SearchForm
from .query import run_search


@require_GET
@vary_on_headers("HX-Request")
def results(request: HtmxHttpRequest) -> HttpResponse:
    """The search page; for htmx (the live header box, facet and page links) only the
    #search-results region."""
    form = SearchForm(request.GET)
    # Results of any conflict, with their incidents' titles and speakers' names.
    depends_on(*caching.text_scopes())
    outcome = run_search(request.user, form.values())
    template = "search/results.html"
    if request.htmx and not request.htmx.boosted:
        template += "#search-results"
    return render(request, template, {"form": form, "outcome": outcome})
