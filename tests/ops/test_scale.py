"""Data at scale (generate_data), the benchmark command, and database failure: a
clear 503 while PostgreSQL is down, recovery by itself when it is back."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db.models import Count
from django.test import Client, RequestFactory
from django.urls import reverse

from core.middleware import DatabaseUnavailableMiddleware
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    Conflict,
    Incident,
    Party,
    PointOfContention,
    Source,
    Statement,
)
from ops.bench import servers
from ops.management.commands.bench import SEARCH_WORDS
from ops.management.commands.generate_data import RARE_TERM, SLUG_PREFIX
from tests.factories import World

SIZES = {"incidents": 40, "statements": 1200, "annotations": 400, "actors": 60}
SMALL = {"incidents": 12, "statements": 240, "annotations": 80, "actors": 30}


def generate(sizes: dict[str, int] = SIZES, **extra) -> str:
    out = io.StringIO()
    call_command("generate_data", **sizes, no_progress=True, stdout=out, **extra)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_data_makes_consistent_skewed_synthetic_data():
    world = World()
    generate()
    synthetic = Incident.objects.filter(is_synthetic=True)
    assert synthetic.count() == SIZES["incidents"]
    statements = Statement.objects.filter(incident__is_synthetic=True)
    assert statements.count() == SIZES["statements"]
    annotations = Annotation.objects.filter(statement__incident__is_synthetic=True).count()
    assert abs(annotations - SIZES["annotations"]) <= SIZES["annotations"] * 0.1
    assert Actor.objects.filter(slug__startswith=SLUG_PREFIX).count() == SIZES["actors"]
    assert Claim.objects.filter(statement__incident__is_synthetic=True).exists()
    assert PointOfContention.objects.filter(incident__is_synthetic=True).exists()

    # Skewed: one big incident, most incidents small.
    sizes = sorted(synthetic.annotate(n=Count("statements")).values_list("n", flat=True))
    assert sizes[-1] >= 5 * sizes[len(sizes) // 2]
    # Several conflicts, some with three sides, and third parties reacting.
    conflicts = Conflict.objects.filter(slug__startswith=SLUG_PREFIX)
    assert conflicts.count() >= 4
    assert any(c.conflictside_set.count() == 3 for c in conflicts)
    assert statements.exclude(leaning="").exists()

    # What the triggers and the model rules require, row by row.
    for s in statements.select_related("actor", "source"):
        assert s.party_id == s.actor.party_id
        assert s.incident.conflict.knows(s.party_id)
        assert s.source.archived_text[s.source_start : s.source_end] == s.text
    for span in Annotation.objects.filter(statement__incident__is_synthetic=True)[:200]:
        assert span.statement.text[span.start : span.end] == span.quote
    for source in Source.objects.filter(url__contains="synthetic"):
        assert source.sha256 and len(source.sha256) == 64

    # The demo (here: the tests' world) is untouched and unmixed.
    assert not Incident.objects.filter(is_synthetic=True, conflict=world.conflict).exists()
    assert Incident.objects.filter(is_synthetic=False).count() == 1


@pytest.mark.django_db
def test_generate_data_refuses_to_mix_and_clear_removes_only_synthetic_rows():
    world = World()
    generate(SMALL)
    with pytest.raises(CommandError, match="--clear"):
        generate(SMALL)
    call_command("generate_data", clear=True, stdout=io.StringIO())
    assert not Incident.objects.filter(is_synthetic=True).exists()
    assert not Party.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    assert not Actor.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    assert not Source.objects.filter(url__contains="synthetic.parallax").exists()
    assert Statement.objects.count() == 3
    assert Incident.objects.get() == world.incident
    # --clear with sizes replaces the synthetic data.
    generate(SMALL, clear=True)
    assert Incident.objects.filter(is_synthetic=True).count() == SMALL["incidents"]


@pytest.mark.django_db
def test_generated_data_is_searchable_and_shown():
    generate(SMALL)
    client = Client()
    largest = Incident.objects.published().annotate(n=Count("statements")).order_by("-n").first()
    assert client.get(reverse("incidents:detail", args=[largest.slug])).status_code == 200
    response = client.get(reverse("search:results"), {"q": RARE_TERM})
    assert response.status_code == 200
    assert RARE_TERM in response.content.decode().lower()


@pytest.mark.django_db
def test_bench_command_reports_every_page():
    generate(SMALL)
    out = io.StringIO()
    call_command("bench", requests=3, warmup=1, stdout=out)
    report = out.getvalue()
    for name in [
        "trivial Django view",
        "incident list",
        "comparison page (largest incident)",
        "comparison page (largest incident), its values cold",
        "comparison page (largest incident), after one statement edit",
        "statement page",
        "search, common term",
        "search, rare term",
        "API page",
        "export",
    ]:
        assert f"| {name}" in report, name
    assert "placeholder view" not in report
    # The search curve, two-word queries included (the middle of the curve).
    for query in SEARCH_WORDS:
        assert f"| {query} |" in report, query


@pytest.mark.django_db
def test_bench_only_search_times_the_curve_alone():
    generate(SMALL)
    out = io.StringIO()
    call_command("bench", requests=2, warmup=1, only="search", stdout=out)
    report = out.getvalue()
    assert "Search by word frequency" in report and "Trivial view p50" in report
    for query in SEARCH_WORDS:
        assert f"| {query} |" in report, query
    # Nothing else is timed.
    assert "| incident list" not in report and "Cache hits" not in report


# --- database failure ---------------------------------------------------------------


def test_middleware_turns_connection_errors_into_503():
    def view(request):
        raise OperationalError("connection refused")

    middleware = DatabaseUnavailableMiddleware(view)
    request = RequestFactory().get("/incidents/")
    response = middleware.process_exception(request, OperationalError("server closed"))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"temporarily unavailable" in response.content
    assert middleware.process_exception(request, ValueError("a bug")) is None


def test_pages_answer_503_while_postgresql_is_down_and_recover():
    """A real server on a throwaway PostgreSQL that is stopped and started again.
    (Its database is left unmigrated to keep the test short: the page under test
    makes one round trip to the database, as every real page does first.)"""
    with servers.ThrowawayPostgres() as pg:
        env = servers.server_env(pg.url, BENCH_URLCONF="ops.bench.probe_urls")
        with servers.gunicorn(env) as base:
            url = base + "/__bench__/database/"
            assert servers.fetch(url).status == 200

            pg.stop()
            down = servers.fetch(url)
            assert down.status == 503
            assert "temporarily unavailable" in down.body
            assert down.headers.get("retry-after")
            # Again: the failed connection is not reused in a broken state.
            assert servers.fetch(url).status == 503

            pg.start()
            # The same worker recovers by itself, without a restart.
            assert servers.fetch(url).status == 200
            assert servers.fetch(url).body == "database answered"


def test_a_middleware_failing_on_the_database_also_gives_503():
    from django.core.handlers.exception import convert_exception_to_response

    def session_middleware_on_a_dead_database(request):
        raise OperationalError("could not connect to server")

    # As in Django's handler: each middleware layer converts exceptions to responses.
    inner = convert_exception_to_response(session_middleware_on_a_dead_database)
    middleware = DatabaseUnavailableMiddleware(inner)
    response = middleware(RequestFactory().get("/incidents/"))
    assert response.status_code == 503
    assert b"temporarily unavailable" in response.content

    def buggy(request):
        raise ValueError("a bug")

    assert (
        DatabaseUnavailableMiddleware(convert_exception_to_response(buggy))(
            RequestFactory().get("/")
        ).status_code
        == 500
    )


@pytest.mark.django_db
def test_a_statement_timeout_gives_503_saying_so():
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/search/?q=ceasefire")
    with (
        pytest.raises(OperationalError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = 10")
        cursor.execute("SELECT pg_sleep(1)")
    response = middleware.process_exception(request, caught.value)
    assert response.status_code == 503
    assert b"took too long" in response.content


# --- read replica routing -----------------------------------------------------------


def test_public_reads_go_to_the_replica_and_everything_else_to_the_primary():
    from django.conf import settings

    from core.middleware import PublicReadMiddleware, PublicReadReplicaRouter

    router = PublicReadReplicaRouter()
    seen = {}

    class CacheEntry:  # what Django's database cache routes with
        class _meta:  # noqa: N801
            app_label = "django_cache"

    def view(request):
        seen["statement"] = router.db_for_read(Statement)
        seen["cache"] = router.db_for_read(CacheEntry)
        seen["write"] = router.db_for_write(Statement)
        return None

    middleware = PublicReadMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/incidents/"))
    assert seen == {"statement": "replica", "cache": None, "write": "default"}

    signed_in = factory.get("/incidents/")
    signed_in.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    middleware(signed_in)
    assert seen["statement"] is None
    middleware(factory.post("/incidents/"))
    assert seen["statement"] is None
    # Outside a request (commands, workers): the primary.
    assert router.db_for_read(Statement) is None
    assert router.allow_migrate("replica", "incidents") is False


def test_replica_settings(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@replica.example.org/parallax")
    s = runpy.run_path(str(Path(__file__).resolve().parents[2] / "config" / "settings.py"))
    assert s["DATABASES"]["replica"]["HOST"] == "replica.example.org"
    assert s["DATABASE_ROUTERS"] == ["core.middleware.PublicReadReplicaRouter"]
    assert "core.middleware.PublicReadMiddleware" in s["MIDDLEWARE"]
