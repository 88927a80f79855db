"""Links between the areas: what one page offers of another's features."""

import json
import re

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_statement_page_embeds_a_schema_org_claim(client):
    w = f.World()
    html = client.get(w.north_says.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block, "no JSON-LD data block"
    doc = json.loads(block.group(1))
    assert doc["@type"] == "Claim"
    assert doc["text"] == w.north_says.text
    assert "ClaimReview" not in html


def test_incident_list_offers_downloads_that_keep_the_filters(client):
    f.World()
    html = client.get(reverse("incidents:list"), {"conflict": "north-south"}).content.decode()
    assert "/api/export/incidents.csv?conflict=north-south" in html
    assert "/api/export/incidents.json?conflict=north-south" in html


def test_every_page_advertises_the_atom_feed(client):
    html = client.get(reverse("incidents:list")).content.decode()
    assert 'type="application/atom+xml"' in html
    assert reverse("api:incident_feed") in html


def test_import_link_is_only_offered_to_editors(client, analyst, editor):
    url = reverse("imports:new")
    assert url not in client.get(reverse("incidents:list")).content.decode()
    client.force_login(analyst)
    assert url not in client.get(reverse("incidents:list")).content.decode()
    client.force_login(editor)
    assert url in client.get(reverse("incidents:list")).content.decode()


def test_loading_the_site_does_not_import_spacy():
    """Web workers pay for spaCy (seconds, ~100 MB) only when a page needs the
    pipeline, not when the URLconf loads."""
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "django.setup(); from django.urls import resolve; resolve('/'); "
        "import config.urls; print('spacy' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().endswith("False"), out.stdout + out.stderr


def test_a_note_lost_in_a_correction_is_listed_but_not_highlighted(client):
    from incidents.models import Annotation

    w = f.World()
    note = Annotation(statement=w.north_says, tag=Annotation.Tag.DISPUTED, visibility="public")
    note.set_span(w.north_says.text, 4, 10)
    note.body = "Which patrol?"
    note.needs_review = True
    note.save()
    html = client.get(w.north_says.get_absolute_url()).content.decode()
    assert "Which patrol?" in html
    assert "<mark" not in html
