"""Loads the demo incident (idempotent): `python manage.py load_demo`.

The data lives in incidents/demo/demo.json beside the archived source text it quotes.
Every statement, claim and annotation is located in that text by its exact words, so a
typo in the data fails loudly instead of producing a span that points elsewhere.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Conflict,
    ConflictSide,
    Incident,
    Party,
    Place,
    PlaceName,
    PointOfContention,
    Source,
    Statement,
)

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo incident (May 2021, Gegharkunik) and its related incident."

    def handle(self, *args: Any, **options: Any) -> None:
        data = json.loads((DEMO_DIR / "demo.json").read_text(encoding="utf-8"))
        with transaction.atomic():
            counts = load(data)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded: " + ", ".join(f"{n} {name}" for name, n in counts.items())
            )
        )


def locate(haystack: str, needle: str, what: str, start: int = 0) -> int:
    pos = haystack.find(needle, start)
    if pos == -1:
        raise CommandError(f"Demo data: {what} not found: {needle!r}")
    return pos


def load(data: dict[str, Any]) -> dict[str, int]:
    parties: dict[str, Party] = {}
    for p in data["parties"]:
        parties[p["slug"]], _ = Party.objects.update_or_create(
            slug=p["slug"],
            defaults={
                "name": p["name"],
                "short_name": p.get("short_name", ""),
                "kind": p["kind"],
                "aliases": p["aliases"],
                "demonyms": p["demonyms"],
            },
        )

    c = data["conflict"]
    conflict, _ = Conflict.objects.update_or_create(
        slug=c["slug"], defaults={"name": c["name"], "description": c["description"]}
    )
    for order, slug in enumerate(c["sides"]):
        ConflictSide.objects.update_or_create(
            conflict=conflict, party=parties[slug], defaults={"order": order}
        )
    conflict.third_parties.set([parties[s] for s in c["third_parties"]])

    places: dict[str, Place] = {}
    for p in data["places"]:
        admin = parties[p["administered_by"]] if p["administered_by"] else None
        places[p["slug"]], _ = Place.objects.update_or_create(
            slug=p["slug"],
            defaults={
                "name": p["name"],
                "administered_by": admin,
                "aliases": p["aliases"],
                "note": p["note"],
            },
        )
        for party_slug, name in p["names"].items():
            PlaceName.objects.update_or_create(
                place=places[p["slug"]], party=parties[party_slug], defaults={"name": name}
            )

    actors: dict[str, Actor] = {}
    for a in data["actors"]:
        actors[a["slug"]], _ = Actor.objects.update_or_create(
            slug=a["slug"],
            defaults={
                "name": a["name"],
                "party": parties[a["party"]],
                "kind": a["kind"],
                "role": a["role"],
                "aliases": a["aliases"],
            },
        )

    s = data["source"]
    text = (DEMO_DIR / s["file"]).read_text(encoding="utf-8")
    # By title: an earlier version of the demo recorded a placeholder publisher,
    # corrected here ("" when the publisher is not known).
    source = Source.objects.filter(title=s["title"]).first()
    if source is None:
        source = Source(title=s["title"])
    source.publisher = s["publisher"]
    source.url = s["url"]
    source.published_on = date.fromisoformat(s["published_on"])
    source.kind = s["kind"]
    source.language = s["language"]
    source.archived_text = text
    source.save()

    incidents: dict[str, Incident] = {}
    counts = {"statements": 0, "claims": 0, "annotations": 0}
    for i in data["incidents"]:
        incident, _ = Incident.objects.update_or_create(
            slug=i["slug"],
            defaults={
                "conflict": conflict,
                "title": i["title"],
                "date_start": date.fromisoformat(i["date_start"]),
                "date_precision": i["date_precision"],
                "summary": i["summary"],
            },
        )
        incident.places.set([places[p] for p in i["places"]])
        if not incident.is_published:
            incident.publish()
        incidents[i["slug"]] = incident

        points: dict[str, PointOfContention] = {}
        for order, p in enumerate(i["points"]):
            points[p["key"]], _ = PointOfContention.objects.update_or_create(
                incident=incident,
                label=p["label"],
                defaults={"description": p["description"], "order": order},
            )

        statements: dict[str, Statement] = {}
        for st in i["statements"]:
            start = locate(text, st["text"], f"statement {st['key']}")
            actor = actors[st["actor"]]
            statement, _ = Statement.objects.update_or_create(
                incident=incident,
                source=source,
                source_start=start,
                defaults={
                    "source_end": start + len(st["text"]),
                    "actor": actor,
                    "party": actor.party,
                    "text": st["text"],
                    "kind": st["kind"],
                    "statement_type": st["type"],
                    "leaning": st.get("leaning", ""),
                    "leaning_towards": parties.get(st.get("leaning_towards", "")),
                    "issued_on": date.fromisoformat(st["issued_on"]),
                    "issued_precision": st.get("issued_precision", "day"),
                    "original_language": "en",
                },
            )
            if statement.status != Statement.Status.PUBLISHED:
                statement.publish()
            else:
                statement.save()
            statements[st["key"]] = statement
            counts["statements"] += 1

        claims: dict[tuple[str, str], Claim] = {}
        for cl in i["claims"]:
            statement = statements[cl["in"]]
            start = locate(statement.text, cl["words"], f"claim in {cl['in']}")
            claim = Claim.objects.filter(
                statement=statement, point=points[cl["point"]], start=start
            ).first() or Claim(statement=statement, point=points[cl["point"]])
            claim.set_span(statement.text, start, start + len(cl["words"]))
            claim.figure = cl.get("figure")
            claim.figure_unit = cl.get("figure_unit", "")
            claim.save()
            claims[(cl["point"], cl["in"])] = claim
            counts["claims"] += 1

        for rel in i["relations"]:
            ClaimRelation.objects.get_or_create(
                from_claim=claims[tuple(rel["from"])],
                to_claim=claims[tuple(rel["to"])],
                kind=rel["kind"],
            )

        for an in i["annotations"]:
            statement = statements[an["in"]]
            start = locate(statement.text, an["words"], f"annotation in {an['in']}")
            annotation = Annotation.objects.filter(
                statement=statement, start=start, tag=an["tag"]
            ).first() or Annotation(statement=statement, tag=an["tag"])
            annotation.set_span(statement.text, start, start + len(an["words"]))
            annotation.body = an["body"]
            annotation.visibility = an["visibility"]
            annotation.save()
            counts["annotations"] += 1

    for i in data["incidents"]:
        # add(), not set(): the relation is symmetrical, so set([]) on the other side
        # would undo it.
        incidents[i["slug"]].related.add(*[incidents[r] for r in i["related"]])
    counts["incidents"] = len(incidents)
    return counts
