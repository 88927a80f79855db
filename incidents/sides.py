"""A conflict's sides in their order: the one rule for a party's side number and
colour. The comparison grid, the timeline, the statement page, the editor's grid and
the analysis charts all colour a side with `side-N`, N its place among the
conflict's sides, so that a side keeps its colour and number on every page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import Party


@dataclass(frozen=True)
class SideOrder:
    """The sides of one conflict (party objects, in ConflictSide order)."""

    sides: tuple[Any, ...]
    _index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __init__(self, sides: Iterable[Any]) -> None:
        object.__setattr__(self, "sides", tuple(sides))
        object.__setattr__(self, "_index", {p.pk: i for i, p in enumerate(self.sides)})

    @classmethod
    def of_conflict(cls, conflict_id: int) -> SideOrder:
        """The conflict's sides in one query (a page that has only the conflict's id)."""
        return cls(
            Party.objects.filter(conflictside__conflict=conflict_id).order_by(
                "conflictside__order", "pk"
            )
        )

    def index(self, party_id: int | None) -> int | None:
        """The party's place among the sides, or None for a third party."""
        return self._index.get(party_id) if party_id is not None else None

    def is_side(self, party_id: int | None) -> bool:
        return party_id in self._index

    def css_class(self, party_id: int | None) -> str:
        """`side-N` for a side, "" for a third party (styles in static/css)."""
        return css_class(self.index(party_id))

    def ids(self) -> set[int]:
        return set(self._index)


def css_class(index: int | None) -> str:
    return "" if index is None else f"side-{index}"
