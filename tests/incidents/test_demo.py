import json
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.models import Annotation, Claim, Incident, Statement

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def test_load_demo_is_idempotent_and_complete():
    call_command("load_demo")
    counts = (Statement.objects.count(), Claim.objects.count(), Annotation.objects.count())
    call_command("load_demo")
    assert (Statement.objects.count(), Claim.objects.count(), Annotation.objects.count()) == counts
    main = Incident.objects.get(slug="2021-05-27-gegharkunik-soldiers-held")
    assert main.is_published
    assert main.points.count() == 5
    assert main.related.filter(slug__startswith="2021-05-armenia-says").exists()
    sides = [p.slug for p in main.sides()]
    assert sides == ["armenia", "azerbaijan"]
    # Each point of contention has claims from both sides.
    for point in main.points.all():
        parties = set(point.claims.values_list("statement__party__slug", flat=True))
        assert {"armenia", "azerbaijan"} <= parties, point.label


def test_every_demo_statement_is_at_its_exact_position_in_the_source():
    call_command("load_demo")
    for s in Statement.objects.select_related("source"):
        assert s.source.archived_text[s.source_start : s.source_end] == s.text
        assert s.quote_verified is True
    for span in [
        *Claim.objects.select_related("statement"),
        *Annotation.objects.select_related("statement"),
    ]:
        assert span.statement.text[span.start : span.end] == span.quote


def test_demo_has_public_and_internal_annotations():
    call_command("load_demo")
    assert Annotation.objects.filter(visibility="public", tag="loaded_language").exists()
    assert Annotation.objects.filter(visibility="internal").exists()
    assert Annotation.objects.visible_to(None).filter(visibility="internal").count() == 0


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not beside the repository")
def test_demo_covers_every_attributed_statement_of_the_seed_article():
    call_command("load_demo")
    gold = json.loads((CORPUS / "seed-2021-05-gegharkunik.gold.json").read_text(encoding="utf-8"))
    texts = set(Statement.objects.values_list("text", flat=True))
    parties = dict(Statement.objects.values_list("text", "party__slug"))
    for g in gold["statements"]:
        if g["optional"]:
            continue
        assert g["content"] in texts, g["content"]
        assert parties[g["content"]] == g["party"]
