"""Publishing an incident: what the public will see, side by side, and the rule that
no incident goes public one-sided by accident.

An incident made by an import holds draft statements; publishing only the incident
would show the public the sides whose statements happen to be published and empty
columns for the others. So before publishing, the editor sees per side how many
statements are published and how many are still drafts, may publish the incident
together with its drafts (one transaction), and must confirm explicitly when a side
would have no published statement.

The editor's publish view (editing.views.incident_publish) and the admin's incident
form both go through `publish_incident()`; the status changes themselves are the
models' own publish() methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q

from .models import Incident, Party, Statement

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class PartyCount:
    """One party's statements on the incident, by status."""

    party: Party
    published: int = 0
    drafts: int = 0
    withdrawn: int = 0
    is_side: bool = True

    @property
    def public_after(self) -> int:
        """Published statements if the drafts are published too."""
        return self.published + self.drafts


@dataclass
class Readiness:
    """What the public would see of an incident, per side and third party."""

    incident: Incident
    parties: list[PartyCount]

    @property
    def sides(self) -> list[PartyCount]:
        return [p for p in self.parties if p.is_side]

    @property
    def third_parties(self) -> list[PartyCount]:
        return [p for p in self.parties if not p.is_side]

    @property
    def drafts(self) -> int:
        return sum(p.drafts for p in self.parties)

    def silent_sides(self, with_drafts: bool = False) -> list[Party]:
        """The sides that would have no published statement."""
        return [
            p.party for p in self.sides if (p.public_after if with_drafts else p.published) == 0
        ]


def readiness(incident: Incident) -> Readiness:
    """Per side (in the conflict's order), then per third party that spoke: how many
    of the incident's statements are published, drafts and withdrawn. Two queries."""
    rows = (
        Statement.objects.filter(incident=incident)
        .values("party")
        .order_by()
        .annotate(
            published=Count("pk", filter=Q(status=Statement.Status.PUBLISHED)),
            drafts=Count("pk", filter=Q(status=Statement.Status.DRAFT)),
            withdrawn=Count("pk", filter=Q(status=Statement.Status.WITHDRAWN)),
        )
    )
    counts: dict[int, PartyCount] = {
        row["party"]: PartyCount(
            party=Party(pk=row["party"]),
            published=row["published"],
            drafts=row["drafts"],
            withdrawn=row["withdrawn"],
            is_side=False,
        )
        for row in rows
    }
    parties = []
    for party in incident.sides():
        count = counts.pop(party.pk, None) or PartyCount(party=party)
        count.party, count.is_side = party, True
        parties.append(count)
    for party in Party.objects.filter(pk__in=counts).order_by("name"):
        counts[party.pk].party = party
        parties.append(counts[party.pk])
    return Readiness(incident=incident, parties=parties)


class OneSidedError(Exception):
    """Publishing would show the public no statement from these sides, and the editor
    has not confirmed that this is intended."""

    def __init__(self, silent: list[Party], state: Readiness) -> None:
        names = ", ".join(p.name for p in silent)
        super().__init__(f"No published statement from {names}.")
        self.silent = silent
        self.readiness = state


def one_sided_message(silent: list[Party]) -> str:
    names = " and ".join(p.label for p in silent)
    verb = "has" if len(silent) == 1 else "have"
    return (
        f"{names} {verb} no published statement: the public would see this incident "
        f"without {'its' if len(silent) == 1 else 'their'} account."
    )


def publish_incident(
    incident: Incident,
    by: User | None = None,
    *,
    with_drafts: bool = False,
    confirm_one_sided: bool = False,
) -> int:
    """Publish the incident, and with `with_drafts` its draft statements, in one
    transaction. Refuses (OneSidedError, nothing saved) when a side would have no
    published statement, unless `confirm_one_sided`. Returns the number of
    statements published with it."""
    with transaction.atomic():
        state = readiness(incident)
        silent = state.silent_sides(with_drafts=with_drafts)
        if silent and not confirm_one_sided:
            raise OneSidedError(silent, state)
        published = 0
        if with_drafts:
            drafts = Statement.objects.filter(
                incident=incident, status=Statement.Status.DRAFT
            ).select_related("actor", "incident__conflict")
            for statement in drafts:
                statement.publish(by=by)
                published += 1
        incident.publish(by=by)
    return published
