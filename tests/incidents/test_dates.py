"""Issue 11, point 6: dates keep their precision everywhere. One rule
(incidents/dates.py), used by the cards, the timeline, the editor's pages and the
analysis tables: "May 2021", said "in May 2021", approximate dates say "around"."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from analysis import measures
from incidents.dates import date_phrase, format_date, machine_date
from tests import factories as f

pytestmark = pytest.mark.django_db

MAY = date(2021, 5, 1)


@pytest.mark.parametrize(
    "precision, written, said, machine",
    [
        ("day", "1 May 2021", "on 1 May 2021", "2021-05-01"),
        ("month", "May 2021", "in May 2021", "2021-05"),
        ("year", "2021", "in 2021", "2021"),
        ("approximate", "around 1 May 2021", "around 1 May 2021", "2021-05-01"),
    ],
)
def test_the_one_rule(precision, written, said, machine):
    assert format_date(MAY, precision) == written
    assert date_phrase(MAY, precision) == said
    assert machine_date(MAY, precision) == machine


def test_ranges_keep_the_precision_of_their_start():
    assert format_date(MAY, "month", date(2021, 6, 30)) == "May 2021 – June 2021"
    assert format_date(MAY, "day", date(2021, 5, 3)) == "1 May 2021 – 3 May 2021"
    assert format_date(MAY, "month", date(2021, 5, 20)) == "May 2021"


@pytest.fixture
def month_scene(db):
    w = f.World()
    inc = f.incident(w.conflict, "Undated clash", date_start=MAY, date_precision="month")
    north = f.statement(inc, w.north_mod, "Northland spoke that month.", issued_precision="month")
    south = f.statement(
        inc,
        w.south_mfa,
        "Southland spoke around then.",
        issued_on=date(2021, 5, 20),
        issued_precision="approximate",
    )
    point = f.point(inc, "How many?")
    claim = f.claim(north, point, "spoke")
    claim.figure = 3
    claim.save()
    return w, inc, north, south


def test_cards_and_timeline_say_in_may_2021(client, month_scene):
    _, inc, _, _ = month_scene
    html = client.get(inc.get_absolute_url()).content.decode()
    assert 'said <time datetime="2021-05">in May 2021</time>' in html
    assert "around 20 May 2021" in html
    assert "on May 2021" not in html and "1 May 2021" not in html
    assert '<time datetime="2021-05">May 2021</time>' in html  # the incident's own date
    timeline = client.get(inc.get_absolute_url() + "?tab=timeline").content.decode()
    assert ">May 2021</time>" in timeline and "1 May 2021" not in timeline


def test_analysis_tables_keep_the_precision(client, month_scene):
    w, inc, _, _ = month_scene
    (entry,) = [e for e in measures.lags(w.conflict, None).entries if e.incident == inc]
    assert [(k.party.slug, p) for k, _, _, p in entry.firsts] == [
        ("northland", "month"),
        ("southland", "approximate"),
    ]
    html = client.get(
        reverse("analysis:conflict_timeline", args=[w.conflict.slug])
    ).content.decode()
    assert '<time datetime="2021-05">May 2021</time>' in html
    assert "around 20 May 2021" in html
    figures = client.get(reverse("analysis:incident_framing", args=[inc.slug])).content.decode()
    assert "according to Northland Defence Ministry, May 2021" in figures


def test_a_day_precise_statement_on_the_same_date_wins(month_scene):
    w, inc, _, _ = month_scene
    f.statement(inc, w.north_mod, "Exactly dated.", issued_on=MAY)
    (entry,) = [e for e in measures.lags(w.conflict, None).entries if e.incident == inc]
    assert entry.firsts[0][3] == "day"


def test_editor_pages_keep_the_precision(editor_client, month_scene):
    _, inc, north, _ = month_scene
    html = editor_client.get(reverse("editing:incident_edit", args=[inc.slug])).content.decode()
    assert "May 2021:" in html and "1 May 2021" not in html
    html = editor_client.get(reverse("editing:statement_spans", args=[north.pk])).content.decode()
    assert "May 2021)" in html
