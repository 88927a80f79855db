"""Cursor paging for the API's lists: pages that stay put while the data changes.

An offset page ("rows 51 to 100") shifts when a row is added or removed before it,
so a client walking the pages sees a row twice or misses one. A cursor instead
names the last row seen by its sort value and id ("after 2024-03-01, id 812"): the
next page starts right after that row wherever it now sits, and rows added or
removed elsewhere change nothing for it. The cursor is opaque to clients
(base64url JSON) and carries its sort, so it cannot be used under another one.

Each list offers sorts on non-null fields only (`SORTS` of its filter form), always
broken by the id, so the order is total and every row is reached exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .endpoint import BadRequest


@dataclass(frozen=True)
class Sort:
    name: str  # as in ?sort=, e.g. "-date_start"

    @property
    def field(self) -> str:
        return self.name.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.name.startswith("-")

    def order(self, backwards: bool = False) -> list[str]:
        sign = "-" if self.descending != backwards else ""
        return [sign + self.field, sign + "pk"]

    def beyond(self, value: Any, pk: int, backwards: bool = False) -> Q:
        """Rows after (value, pk) in this order (before it when `backwards`)."""
        op = "lt" if self.descending != backwards else "gt"
        return Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"pk__{op}": pk})


def choose_sort(request: HttpRequest, sorts: list[str], default: str) -> Sort:
    name = request.GET.get("sort") or default
    if name not in sorts:
        raise BadRequest({"sort": [f"Sort by one of: {', '.join(sorts)}."]})
    return Sort(name)


def encode(sort: Sort, value: Any, pk: int, backwards: bool) -> str:
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    raw = json.dumps({"s": sort.name, "v": value, "k": pk, "b": backwards}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, sort: Sort) -> tuple[Any, int, bool]:
    problem = BadRequest({"cursor": ["Not a cursor this list gave out: start again without one."]})
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        value, pk, backwards = data["v"], int(data["k"]), bool(data["b"])
        if data["s"] != sort.name:
            raise BadRequest(
                {"cursor": [f"This cursor is for sort={data['s']}, not sort={sort.name}."]}
            )
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise problem from exc
    return value, pk, backwards


class CursorPage:
    """One page of `qs` in `sort` order, from the request's `cursor` (first page
    without one). `next`/`previous` are URLs with the cursors of the rows at the
    page's ends, or None at either end of the list."""

    def __init__(self, request: HttpRequest, sort: Sort, size: int) -> None:
        self.request, self.sort, self.size = request, sort, size
        token = request.GET.get("cursor")
        self.at: tuple[Any, int, bool] | None = decode(token, sort) if token else None

    def rows(
        self, qs: QuerySet[Any], decorate: Callable[[QuerySet[Any]], QuerySet[Any]]
    ) -> list[Any]:
        backwards = bool(self.at and self.at[2])
        ordered = qs.order_by(*self.sort.order(backwards))
        if self.at is not None:
            try:
                ordered = ordered.filter(self.sort.beyond(self.at[0], self.at[1], backwards))
                keys = list(ordered.values_list("pk", self.sort.field)[: self.size + 1])
            except (ValidationError, ValueError, TypeError) as exc:
                raise BadRequest({"cursor": ["Not a cursor this list gave out."]}) from exc
        else:
            keys = list(ordered.values_list("pk", self.sort.field)[: self.size + 1])
        more = len(keys) > self.size
        keys = keys[: self.size]
        if backwards:
            keys.reverse()
        self.next = self.previous = None
        if keys:
            first, last = keys[0], keys[-1]
            has_next = (more and not backwards) or backwards
            has_previous = (more and backwards) or (self.at is not None and not backwards)
            if has_next:
                self.next = self.url(encode(self.sort, last[1], last[0], False))
            if has_previous:
                self.previous = self.url(encode(self.sort, first[1], first[0], True))
        ids = [k[0] for k in keys]
        if not ids:
            return []
        found = {o.pk: o for o in decorate(qs.model._default_manager.filter(pk__in=ids))}
        return [found[pk] for pk in ids if pk in found]

    def url(self, cursor: str) -> str:
        params = self.request.GET.copy()
        params["cursor"] = cursor
        params.pop("page", None)
        return self.request.build_absolute_uri(f"{self.request.path}?{params.urlencode()}")
