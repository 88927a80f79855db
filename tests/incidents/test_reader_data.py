"""Issue 11, point 12: the demo data as a reader wants it. An unknown publisher is
said plainly, and no placeholder is published as an organisation; quotation marks
are balanced; a place's name is not "annotated" with the same name; every page has a
meta description."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command

from incidents.models import Claim, Incident, Source, Statement
from incidents.templatetags.cards import balanced
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return Incident.objects.published().order_by("-date_start").first()


def test_balanced_closes_a_quotation_cut_by_the_excerpt():
    assert balanced("“sabotage group of the army") == "“sabotage group of the army”"
    assert balanced("the army” to conduct") == "“the army” to conduct"
    assert balanced("said “no” and “yes”") == "said “no” and “yes”"


def test_demo_quotes_are_balanced_on_the_page(client, demo):
    for claim in Claim.objects.all():
        assert claim.quote.count("“") == claim.quote.count("”"), claim.quote
    for statement in Statement.objects.all():
        assert statement.text.count("“") == statement.text.count("”"), statement.text
    html = client.get(demo.get_absolute_url()).content.decode()
    for words in re.findall(r'<blockquote class="words[^"]*"><p>(.*?)</p>', html, re.S):
        assert words.count("“") == words.count("”"), words


def test_unknown_publisher_is_said_plainly_and_not_published_as_an_organisation(client, demo):
    source = Source.objects.get()
    assert source.publisher == ""
    statement = Statement.objects.filter(source=source).first()
    html = client.get(statement.get_absolute_url()).content.decode()
    assert "publisher not recorded" not in html and "Seed news report" not in html
    assert "(publisher not known)" in html
    claim = json.loads(client.get(f"/api/statements/{statement.pk}/claim.jsonld").content.decode())
    assert "publisher" not in json.dumps(claim)
    assert "Publisher</dt><dd>Not known" in client.get(source.get_absolute_url()).content.decode()


def test_load_demo_corrects_the_old_placeholder_publisher(db):
    call_command("load_demo", verbosity=0)
    Source.objects.update(publisher="Seed news report (publisher not recorded)")
    call_command("load_demo", verbosity=0)
    assert list(Source.objects.values_list("publisher", flat=True)) == [""]


def test_a_place_named_alike_by_a_party_is_not_annotated(client):
    w = f.World()
    same = f.place("Gate Hill", "gate-hill", names={w.north: "Gate Hill", w.south: "Hill of Gates"})
    w.incident.places.add(same)
    html = client.get(w.incident.get_absolute_url()).content.decode()
    assert "Northland calls it “Gate Hill”" not in html
    assert "Southland calls it “Hill of Gates”" in html


def test_pages_have_a_meta_description(client, demo):
    statement = Statement.objects.filter(status="published").first()
    for url in (
        "/",
        demo.get_absolute_url(),
        statement.get_absolute_url(),
        Source.objects.get().get_absolute_url(),
        "/analysis/",
    ):
        html = client.get(url).content.decode()
        found = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert found and len(found.group(1)) > 40, url
    html = client.get(demo.get_absolute_url()).content.decode()
    assert re.search(r'<meta name="description" content="27 May 2021: Armenia', html)
