"""Issue 11, point 9: the public pages speak plainly; the technical details (offsets,
fingerprints, the method behind a score) are behind a disclosure."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.incidents.test_pages import Scene

pytestmark = pytest.mark.django_db


def test_the_source_excerpt_says_plainly_where_the_words_come_from(client):
    s = Scene()
    html = client.get(s.w.north_says.get_absolute_url()).content.decode()
    assert "These are the source's own words" in html
    plain, _, details = html.partition('<details class="fine provenance">')
    assert "Characters" not in plain.split('class="source-excerpt"')[1]
    assert "<summary>Where exactly</summary>" in details
    assert "Characters " in details and "SHA-256" in details


def test_the_sources_tab_names_no_hash(client):
    s = Scene()
    html = client.get(s.incident.get_absolute_url() + "?tab=sources").content.decode()
    tab = html[html.index('id="sources"') :]
    assert "SHA-256" not in tab and "Harbour Post" in tab


def test_the_terms_page_explains_in_words_and_keeps_the_method_in_a_disclosure(client):
    s = Scene()
    html = client.get(reverse("analysis:conflict_terms", args=[s.w.conflict.slug])).content.decode()
    lede = html[html.index('class="lede"') : html.index("</p>", html.index('class="lede"'))]
    assert "log-odds" not in lede and "Monroe" not in lede
    assert "sets that party's statements apart" in lede
    method = html[html.index('<details class="method">') :]
    assert "How the scores are computed" in method and "Monroe" in method
