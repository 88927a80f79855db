from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from core.cache import depends_on
from core.http import HtmxHttpRequest
from incidents import caching

from . import terms
from .backends import get_backend, parse_query
from .forms import SearchForm
from .query import run_search


@require_GET
@vary_on_headers("HX-Request")
def results(request: HtmxHttpRequest) -> HttpResponse:
    """The search page; for htmx (the live header box, facet and page links) only the
    #search-results region."""
    form = SearchForm(request.GET)
    values = form.values()
    # Results of any conflict, with their incidents' titles and speakers' names; for
    # words, only the statements with words of the same keys (search.terms).
    if get_backend().whole_words:
        query = parse_query(str(values.get("q", "")))
        # Without a word to find (filters alone), the page lists statements' words.
        keys = terms.query_keys(query) if query.is_searchable else set()
        depends_on(*caching.search_scopes(terms.scopes(keys)))
    else:
        # "fire" finds "ceasefire": any word may change what any search finds.
        depends_on(*caching.text_scopes())
    outcome = run_search(request.user, values)
    template = "search/results.html"
    if request.htmx and not request.htmx.boosted:
        template += "#search-results"
    return render(request, template, {"form": form, "outcome": outcome})
