"""Analysis: framing per side and point, timelines, response delays, third-party
leanings, distinctive terms and figures side by side; each respecting visibility."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import framing, measures
from analysis.charts import month_range, nice_max
from incidents.models import Claim, Statement
from tests import factories as f


@pytest.fixture(autouse=True)
def memory_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db) -> f.World:
    return f.World()


def claim(statement: Statement, point, words: str, **kw) -> Claim:
    start = statement.text.index(words)
    c = Claim(statement=statement, point=point, **kw)
    c.set_span(statement.text, start, start + len(words))
    c.save()
    return c


@pytest.fixture
def framed(world):
    w = world
    north = f.statement(
        w.incident,
        w.north_mod,
        "Southern forces surrounded and captured six of our engineers carrying out "
        "engineering works.",
    )
    south = f.statement(
        w.incident,
        w.south_mfa,
        "A reconnaissance and sabotage group was detained and disarmed while trying to lay mines.",
    )
    happened = f.point(w.incident, "What happened to them?", order=1)
    claim(north, happened, "surrounded and captured six of our engineers")
    claim(south, happened, "detained and disarmed")
    claim(north, w.point, "carrying out engineering works")
    claim(south, w.point, "A reconnaissance and sabotage group")
    claim(south, w.point, "trying to lay mines")
    return north, south, happened


# --- framing -----------------------------------------------------------------------------


def cell_terms(row, index) -> dict[str, bool]:
    cell = row.cells[index]
    return {t.text: t.own for t in cell.actions + cell.descriptions}


def test_framing_contrasts_each_sides_words_per_point(world, framed):
    rows = framing.incident_framing(world.incident, None)
    by_label = {r.label: r for r in rows}
    happened = by_label["What happened to them?"]
    assert cell_terms(happened, 0)["surrounded and captured"] is True
    assert cell_terms(happened, 1)["detained and disarmed"] is True
    doing = by_label["What were the patrol doing?"]
    assert "engineering works" in cell_terms(doing, 0)
    north_doing, south_doing = cell_terms(doing, 0), cell_terms(doing, 1)
    assert "reconnaissance and sabotage group" in south_doing
    assert "lay mines" in south_doing
    assert "lay mines" not in north_doing
    # The last row compares each side's statements as a whole.
    assert rows[-1].point_id is None and rows[-1].cells[0].texts == 2


def test_framing_view_fragment_for_htmx_and_page_otherwise(client, world, framed):
    url = reverse("analysis:incident_framing", args=[world.incident.slug])
    fragment = client.get(url, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body and 'id="framing"' not in body
    assert '<li class="term-own">surrounded and captured</li>' in body
    assert '<li class="term-own">detained and disarmed</li>' in body
    assert "HX-Request" in fragment["Vary"]
    page = client.get(url).content.decode()
    assert "<html" in page and '<section id="framing"' in page


def test_framing_respects_visibility(analyst_client, world, framed):
    client = Client()  # anonymous (analyst_client is the logged-in `client` fixture)
    north, south, happened = framed
    secret = f.statement(
        world.incident, world.south_mfa, "The intruders were neutralised quickly.", published=False
    )
    claim(secret, happened, "neutralised quickly")
    url = reverse("analysis:incident_framing", args=[world.incident.slug])
    assert "neutralised" not in client.get(url).content.decode()
    assert "neutralised" in analyst_client.get(url).content.decode()
    hidden = f.incident(world.conflict, "Draft affair", published=False)
    draft_url = reverse("analysis:incident_framing", args=[hidden.slug])
    assert client.get(draft_url).status_code == 404
    assert analyst_client.get(draft_url).status_code == 200


def test_framing_parses_each_text_once(world, framed, monkeypatch):
    framing.incident_framing(world.incident, None)

    def refuse():
        raise AssertionError("spaCy was called for text already analysed")

    monkeypatch.setattr("imports.nlp.get_nlp", refuse)
    framing.incident_framing(world.incident, None)
    # A corrected text is new: it is parsed (and the refusal shows it was needed).
    north = framed[0]
    north.text = north.text.replace("engineers", "sappers")
    north.save()
    with pytest.raises(AssertionError):
        framing.incident_framing(world.incident, None)


def test_framing_of_incident_without_statements(client, world):
    empty = f.incident(world.conflict, "Nothing said yet")
    response = client.get(reverse("analysis:incident_framing", args=[empty.slug]))
    assert response.status_code == 200
    assert "No statement by a side has been recorded" in response.content.decode()


# --- timelines ---------------------------------------------------------------------------


def test_charts_render_for_a_conflict_with_no_data(client, db):
    empty = f.conflict("Quiet–Calm", [f.party("Quietland", "quiet"), f.party("Calmland", "calm")])
    # A published incident with no statement yet: without one the conflict is not
    # public at all (test_conflict_with_only_draft_incidents_is_not_public).
    f.incident(empty, "Nothing said yet")
    for name in ("conflict_timeline", "conflict_leanings", "conflict_terms"):
        response = client.get(reverse(f"analysis:{name}", args=[empty.slug]))
        assert response.status_code == 200, name
        body = response.content.decode()
        assert body.count("<svg") == (0 if name == "conflict_terms" else body.count("</svg>"))
    body = client.get(reverse("analysis:conflict_timeline", args=[empty.slug])).content.decode()
    assert "No statements recorded yet" in body and "No incident has statements yet" in body


def test_conflict_with_only_draft_incidents_is_not_public(analyst_client, db):
    client = Client()
    hidden = f.conflict("Quiet–Calm", [f.party("Quietland", "quiet"), f.party("Calmland", "calm")])
    draft = f.incident(hidden, "Not yet published", published=False)
    for name in ("conflict_timeline", "conflict_leanings", "conflict_terms"):
        url = reverse(f"analysis:{name}", args=[hidden.slug])
        assert client.get(url).status_code == 404, name
        assert analyst_client.get(url).status_code == 200, name
    assert "Quiet–Calm" not in client.get(reverse("analysis:index")).content.decode()
    draft.publish()
    assert "Quiet–Calm" in client.get(reverse("analysis:index")).content.decode()


def test_monthly_counts_and_response_delay(client, world):
    w = world
    w.north_says.issued_on = date(2024, 3, 1)
    w.north_says.save()
    w.south_says.issued_on = date(2024, 3, 4)
    w.south_says.save()
    later = f.incident(w.conflict, "Second standoff", date_start=date(2024, 6, 10))
    f.statement(later, w.south_mfa, "First word from the south.", issued_on=date(2024, 6, 10))
    f.statement(later, w.north_mod, "The north replies.", issued_on=date(2024, 6, 20))
    f.statement(later, w.north_mod, "Unpublished draft.", issued_on=date(2024, 9, 1),
                published=False)  # fmt: skip

    monthly = measures.monthly(w.conflict, None)
    assert [m.month for m in monthly.months] == [3, 4, 5, 6]
    assert monthly.rows[0][1:] == ([1, 1, 1], 3)  # north, south, league in March
    assert monthly.rows[3][1:] == ([1, 1, 0], 2)
    lags = measures.lags(w.conflict, None)
    summary = {s.key.party.slug: s for s in lags.summary}
    assert summary["northland"].spoke_first == 1 and summary["southland"].spoke_first == 1
    assert summary["southland"].response_days == [3]
    assert summary["northland"].response_days == [10]
    response = client.get(reverse("analysis:conflict_timeline", args=[w.conflict.slug]))
    body = response.content.decode()
    # Four months: grouped bars, one per party and month with statements.
    assert body.count('<rect class="series-bar"') == 3 + 2  # March, June
    assert 'class="lag-dot side-1"' in body
    assert "June 2024" in body and "September 2024" not in body
    assert "+10 d" in body
    analyst_monthly = measures.monthly(w.conflict, _analyst())
    assert analyst_monthly.months[-1] == date(2024, 9, 1)


def _analyst():
    from tests.conftest import make_user

    return make_user("another_analyst", "analyst")


def test_charts_render_with_a_lot_of_data_in_fixed_queries(client, world):
    w = world
    incidents = [
        f.incident(
            w.conflict, f"Incident {i}", date_start=date(2015, 1, 1) + timedelta(days=70 * i)
        )
        for i in range(60)
    ]
    rows = []
    for i, inc in enumerate(incidents):
        for j, a in enumerate((w.north_mod, w.south_mfa, w.league_spokes)):
            for k in range(4):
                rows.append(
                    Statement(
                        incident=inc, actor=a, party=a.party, text=f"Words {i} {j} {k} on ferries",
                        issued_on=inc.date_start + timedelta(days=j * 3 + k),
                        status=Statement.Status.PUBLISHED, published_at=inc.published_at,
                        leaning=Statement.Leaning.BOTH if j == 2 else "",
                    )
                )  # fmt: skip
    Statement.objects.bulk_create(rows)
    url = reverse("analysis:conflict_timeline", args=[w.conflict.slug])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    few = len(ctx)
    body = response.content.decode()
    assert response.status_code == 200
    monthly = response.context["monthly"]
    assert len(monthly.months) > 130 and sum(t for *_, t in monthly.rows) == 723
    # A line per party, and year labels, not one per month.
    assert body.count("<polyline") == 3 and '<rect class="series-bar"' not in body
    assert len(monthly.chart.x_ticks) <= 13
    assert body.count('class="lag-row"') == measures.LAG_PAGE_SIZE
    page3 = client.get(url, {"page": 3})
    assert page3.status_code == 200 and page3.context["lags"].page == 3
    assert client.get(url, {"page": "zz"}).status_code == 200
    for inc in incidents[:10]:
        f.statement(inc, w.north_mod, "One more.")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx) == few
    for name in ("conflict_leanings", "conflict_terms"):
        assert client.get(reverse(f"analysis:{name}", args=[w.conflict.slug])).status_code == 200


# --- third-party leanings ----------------------------------------------------------------


def test_third_party_leanings(analyst_client, world):
    client = Client()
    w = world  # the league's first reaction: even-handed, a call for restraint
    f.statement(w.incident, w.league_spokes, "We are concerned by the reports from the south.",
                leaning=Statement.Leaning.SIDE, leaning_towards=w.south,
                statement_type=Statement.Type.CONCERN)  # fmt: skip
    f.statement(w.incident, w.league_spokes, "Draft: leans north.", published=False,
                leaning=Statement.Leaning.SIDE, leaning_towards=w.north)  # fmt: skip
    public = measures.leanings(w.conflict, None)
    [row] = public.rows
    assert row.key.party == w.league
    assert (row.towards, row.both, row.restraint, row.concern, row.statements) == (
        [0, 1], 1, 1, 1, 2
    )  # fmt: skip
    body = client.get(reverse("analysis:conflict_leanings", args=[w.conflict.slug])).content
    assert b"Leaned towards Southland" in body and b"<rect" in body
    analyst_body = analyst_client.get(
        reverse("analysis:conflict_leanings", args=[w.conflict.slug])
    ).context["leanings"]
    assert analyst_body.rows[0].towards == [1, 1]


# --- distinctive terms -------------------------------------------------------------------


def test_log_odds_prefers_words_one_party_uses_more():
    from collections import Counter

    a = Counter({"bridge": 5, "patrol": 3, "river": 4})
    b = Counter({"mines": 6, "sabotage": 2, "river": 4})
    scored = measures.log_odds(a, b, a + b)
    assert [w for w, *_ in scored[:2]] == ["bridge", "patrol"]
    assert scored[-1][0] == "river"


def test_distinctive_terms_per_party_and_year(client, world):
    w = world
    for n in range(3):
        f.statement(w.incident, w.north_mod, f"Engineers repairing the bridge, shift {n}.")
        f.statement(w.incident, w.south_mfa, f"Saboteurs laying mines, group {n}.")
    f.statement(w.incident, w.south_mfa, "Secret saboteurs plan.", published=False,
                issued_on=date(2023, 1, 1))  # fmt: skip
    table = measures.distinctive_terms(w.conflict, None)
    assert [y for y, _ in table.years] == [2024]
    parties = [k.party.slug for k in table.parties]
    cells = dict(zip(parties, table.years[0][1], strict=True))
    north_words = [word for word, *_ in cells["northland"][0]]
    south_words = [word for word, *_ in cells["southland"][0]]
    assert "bridge" in north_words[:2] and "engineers" in north_words[:4]
    assert "mines" in south_words and "bridge" not in south_words
    assert cells["northland"][1] == 4  # statements that year
    body = client.get(reverse("analysis:conflict_terms", args=[w.conflict.slug])).content
    assert b"saboteurs" in body and b"2023" not in body


# --- figures side by side ----------------------------------------------------------------


@pytest.fixture
def figures(world, framed):
    north, south, happened = framed
    claim(north, happened, "six of our engineers", figure=Decimal("6"), figure_unit="soldiers")
    claim(south, happened, "A reconnaissance and sabotage group", figure=Decimal("1"),
          figure_unit="group")  # fmt: skip
    secret = f.statement(world.incident, world.south_mfa, "Twelve were held.", published=False)
    claim(secret, happened, "Twelve", figure=Decimal("12"), figure_unit="soldiers")
    return happened


def render_figures(incident, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% include "analysis/_figures.html" %}')
    return template.render(Context({"incident": incident, "request": request}))


def test_figures_side_by_side_and_visibility(world, figures, analyst):
    from django.contrib.auth.models import AnonymousUser

    table = measures.incident_figures(world.incident, None)
    [row] = table.rows
    assert row.differ
    assert [[c.figure for c in cell] for cell in row.cells] == [[Decimal("6")], [Decimal("1")]]
    public = render_figures(world.incident, AnonymousUser())
    assert "Accounts differ" in public and ">6</span> soldiers" in public
    assert ">1</span> group" in public and "12" not in public
    assert ">12</span> soldiers" in render_figures(world.incident, analyst)


def test_figures_page(client, world, figures):
    response = client.get(reverse("analysis:incident_figures", args=[world.incident.slug]))
    assert response.status_code == 200 and b"Accounts differ" in response.content


def test_index_counts_only_what_the_user_may_see(analyst_client, world):
    client = Client()
    f.incident(world.conflict, "Unpublished", published=False)
    public = client.get(reverse("analysis:index")).context["conflicts"]
    assert [(c.slug, i, s) for c, i, s in public] == [(world.conflict.slug, 1, 3)]
    analyst = analyst_client.get(reverse("analysis:index")).context["conflicts"]
    assert analyst[0][1] == 2


def test_chart_helpers():
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 99, 101)] == [1, 1, 5, 10, 20, 100, 200]
    assert len(month_range(date(2020, 11, 5), date(2021, 2, 1))) == 4


def test_framing_parses_only_changed_text_after_an_edit(world, framed, monkeypatch):
    from imports import nlp as nlp_module

    framing.incident_framing(world.incident, None)
    real = nlp_module.get_nlp()
    seen: list[str] = []

    class Counting:
        def pipe(self, texts, **kw):
            texts = list(texts)
            seen.extend(texts)
            return real.pipe(texts, **kw)

    monkeypatch.setattr("imports.nlp.get_nlp", lambda: Counting())
    north = framed[0]
    north.text = north.text.replace("engineers", "sappers")
    north.save()
    rows = framing.incident_framing(world.incident, None)
    assert seen == [north.text]
    whole = next(r for r in rows if r.point_id is None)
    assert "carry out engineering works" in cell_terms(whole, 0)


def test_leaning_shares_are_shown(world):
    f.statement(world.incident, world.league_spokes, "We take note.",
                leaning=Statement.Leaning.NONE)  # fmt: skip
    body = Client().get(reverse("analysis:conflict_leanings", args=[world.conflict.slug]))
    html = body.content.decode()
    # Two reactions: one even-handed (50 %), one towards neither (50 %), one restraint.
    assert html.count('<span class="share">(50 %)</span>') == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_comparison_page_loads_the_framing(live_server, page):
    w = f.World()
    f.statement(w.incident, w.north_mod, "Southern troops surrounded and captured our patrol.")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + w.incident.get_absolute_url())
    page.locator("#framing").scroll_into_view_if_needed()
    page.wait_for_selector("#framing .framing-grid", timeout=30_000)
    assert "surrounded and captured" in page.locator("#framing").inner_text()
    assert page.locator("section#framing").count() == 1  # swapped inside, not nested
    assert not errors


def serious_axe_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_analysis_pages_have_no_serious_axe_violations(live_server, browser, width):
    w = f.World()
    north = f.statement(w.incident, w.north_mod, "Six of our engineers were captured.")
    claim(north, w.point, "Six of our engineers", figure=Decimal("6"), figure_unit="engineers")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for name, arg in [
            ("index", None),
            ("conflict_timeline", w.conflict.slug),
            ("conflict_leanings", w.conflict.slug),
            ("conflict_terms", w.conflict.slug),
            ("incident_framing", w.incident.slug),
            ("incident_figures", w.incident.slug),
        ]:
            url = reverse(f"analysis:{name}", args=[arg] if arg else [])
            page.goto(live_server.url + url)
            assert serious_axe_violations(page) == [], (url, width)
    finally:
        context.close()


def test_framing_fragment_shows_figures_only_when_there_are_some(client, world, framed):
    url = reverse("analysis:incident_framing", args=[world.incident.slug])
    htmx = {"HX-Request": "true"}
    assert "Figures each side gives</h2>" not in client.get(url, headers=htmx).content.decode()
    north, south, happened = framed
    claim(north, happened, "six of our engineers", figure=Decimal("6"), figure_unit="soldiers")
    body = client.get(url, headers=htmx).content.decode()
    assert "Figures each side gives</h2>" in body and ">6</span> soldiers" in body
