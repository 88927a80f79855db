"""Article import: editors only, paste -> review (htmx) -> atomic save of draft
statements with verified quotes; bad input; bulk import by command and background job."""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imports.models import ImportDraft, ImportJob
from imports.tasks import run_import_job
from incidents.models import Actor, Claim, Incident, Source, Statement
from tests.factories import World
from tests.imports.conftest import stored_paths

# An article about the tests' invented conflict (tests/factories.py World), in the
# tests' own words. It opens with page debris, as pasted articles do.
ARTICLE = (
    "!-- Google tag (gtag.js) -->\n\n"
    "Northland’s Defence Ministry said on Thursday that a Southern patrol had crossed the "
    "river and “opened fire without warning” near the old mill. The ministry added that "
    "two of its engineers were detained.\n\n"
    "The Southland Foreign Ministry rejected the account. It said the engineers had been "
    "laying mines on the Southern bank.\n\n"
    "Read more\n\n"
    "A League of Harbours spokesperson urged both governments “to show restraint.”\n"
)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(db) -> World:
    return World()


def paste(client, text=ARTICLE, **extra):
    data = {
        "text": text,
        "url": "https://news.example/north-south",
        "publisher": "Example News",
        "published_on": "2024-03-08",
        "title": "",
        "source_kind": "news",
    } | extra
    return client.post(reverse("imports:new"), data)


def decide(client, draft, index, decision="accepted", htmx=True, **changes):
    item = draft.statement(index)
    data = {
        "decision": decision,
        "speaker": item["speaker"],
        "party": item.get("party") or "",
        "text": item["text"],
        "kind": item["kind"],
        "statement_type": item["statement_type"],
        "leaning": item.get("leaning", ""),
        "leaning_towards": item.get("leaning_towards", ""),
        "points": item.get("points", []),
    } | changes
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("imports:decide", args=[draft.pk, index]), data, headers=headers)


# --- access --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("imports:new"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_analysts_are_refused(analyst_client):
    assert analyst_client.get(reverse("imports:new")).status_code == 403
    assert paste(analyst_client).status_code == 403
    assert ImportDraft.objects.count() == 0


def test_analysts_cannot_reach_a_draft_or_its_partials(analyst_client, editor, world):
    draft = ImportDraft.objects.create(text="The ministry said it.", proposals={})
    for url in (
        reverse("imports:review", args=[draft.pk]),
        reverse("imports:save_count", args=[draft.pk]),
    ):
        assert analyst_client.get(url, headers={"HX-Request": "true"}).status_code == 403


# --- paste and review ----------------------------------------------------------------


def test_paste_proposes_statements_and_archives_the_cleaned_text(editor_client, world):
    response = paste(editor_client)
    draft = ImportDraft.objects.get()
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    assert not draft.text.startswith("!--") and "Read more" not in draft.text
    items = draft.statements
    assert [(i["speaker"], i["party"]) for i in items] == [
        ("Northland’s Defence Ministry", "northland"),
        ("Northland’s Defence Ministry", "northland"),
        ("The Southland Foreign Ministry", "southland"),
        ("The Southland Foreign Ministry", "southland"),
        ("A League of Harbours spokesperson", "league"),
    ]
    assert items[0]["actor"] == world.north_mod.slug
    assert items[0]["text"] == (
        "a Southern patrol had crossed the river and “opened fire without warning” near the "
        "old mill"
    )
    for item in items:
        assert draft.text[item["start"] : item["end"]] == item["text"]
    assert draft.proposals["incident_date"] == "2024-03-07"  # "on Thursday"
    assert items[4]["statement_type"] == "call_for_restraint"
    assert items[4]["leaning"] == "both"
    assert Source.objects.count() == 0 and Statement.objects.count() == 3  # World's own


def test_html_pasted_as_html_is_archived_as_text(editor_client, world):
    html = (
        "<html><body><nav>Home</nav>"
        + "".join(f"<p>{para}</p>" for para in ARTICLE.split("\n\n")[1:])
        + "<script>gtag('js')</script></body></html>"
    )
    paste(editor_client, text=html)
    draft = ImportDraft.objects.get()
    assert "<p>" not in draft.text and "gtag" not in draft.text and "Home" not in draft.text
    assert draft.text.startswith("Northland’s Defence Ministry said on Thursday")
    assert len(draft.statements) == 5


def test_review_highlights_each_sentence_in_context(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = editor_client.get(draft.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="proposal decision-pending"') == 5
    assert '<mark class="content">two of its engineers were detained</mark>' in html
    assert "(“It” in the text)" in html  # the pronoun resolved to the ministry
    assert 'hx-post="' + reverse("imports:decide", args=[draft.pk, 0]) + '"' in html


def test_htmx_decision_returns_only_the_proposal(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = decide(editor_client, draft, 1)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<li id="proposal-1" class="proposal decision-accepted"')
    assert response["HX-Trigger"] == "importDecisionsChanged"
    draft.refresh_from_db()
    assert draft.statement(1)["decision"] == "accepted"
    count = editor_client.get(
        reverse("imports:save_count", args=[draft.pk]), headers={"HX-Request": "true"}
    )
    assert "1 of 5 statements accepted" in count.content.decode()


def test_decision_without_htmx_redirects(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = decide(editor_client, draft, 0, decision="dropped", htmx=False)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.statement(0)["decision"] == "dropped"


def test_correction_must_use_the_sources_own_words(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = decide(editor_client, draft, 0, text="a Southern patrol opened fire first")
    assert "do not appear in the archived article" in response.content.decode()
    draft.refresh_from_db()
    assert draft.statement(0)["decision"] == "pending"
    # Shortening to words of the source (typed with straight quotes) is fine.
    response = decide(
        editor_client, draft, 0, text='crossed the river and "opened fire without warning"'
    )
    draft.refresh_from_db()
    item = draft.statement(0)
    assert item["decision"] == "accepted"
    assert item["text"] == "crossed the river and “opened fire without warning”"
    assert draft.text[item["start"] : item["end"]] == item["text"]


def test_save_is_atomic_and_verifies_quotes(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    for index in (0, 2):
        decide(editor_client, draft, index)
    # A corrected speaker that no actor has: a new actor of the chosen party.
    decide(editor_client, draft, 4, speaker="Harbours envoy Mira Sand", party="league")
    decide(editor_client, draft, 3, decision="dropped")
    before = Statement.objects.count()
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == world.incident.get_absolute_url()
    draft.refresh_from_db()
    assert draft.status == ImportDraft.Status.SAVED
    source = Source.objects.get()
    assert source.archived_text == draft.text and source.publisher == "Example News"
    saved = list(Statement.objects.filter(source=source).order_by("source_start"))
    assert Statement.objects.count() == before + 3
    assert [s.actor for s in saved] == [world.north_mod, world.south_mfa, saved[2].actor]
    assert saved[2].actor.name == "Harbours envoy Mira Sand"
    assert saved[2].party == world.league
    assert saved[2].leaning == Statement.Leaning.BOTH
    for s in saved:
        assert s.status == Statement.Status.DRAFT and s.quote_verified is True
        assert source.archived_text[s.source_start : s.source_end] == s.text
        assert s.issued_on == date(2024, 3, 8)
    assert Claim.objects.filter(statement__in=saved).exists()


def test_a_failing_statement_saves_nothing(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    decide(editor_client, draft, 0)
    decide(editor_client, draft, 4)  # the League is a third party of the conflict
    # A second conflict without the League as a third party, and no permission to add it.
    from tests.factories import conflict, incident

    other = incident(conflict("East–West", [world.north, world.south]), "Other", False)
    counts = (Statement.objects.count(), Source.objects.count(), Actor.objects.count())
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]),
        {"incident": other.pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "neither a side nor a recorded third party" in html and "<html" not in html
    assert (Statement.objects.count(), Source.objects.count(), Actor.objects.count()) == counts
    draft.refresh_from_db()
    assert draft.status == ImportDraft.Status.REVIEW


def test_save_on_a_new_incident(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    decide(editor_client, draft, 0)
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]),
        {"conflict": world.conflict.pk, "title": "Engineers detained", "date_start": "2024-03-07"},
        headers={"HX-Request": "true"},
    )
    incident = Incident.objects.get(title="Engineers detained")
    assert response.status_code == 200
    assert response["HX-Redirect"] == incident.get_absolute_url()
    assert incident.status == Incident.Status.DRAFT
    assert incident.statements.get().quote_verified is True


def test_save_needs_an_accepted_statement_and_an_incident(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk}
    )
    assert response.status_code == 400
    assert "Accept at least one statement" in response.content.decode()
    decide(editor_client, draft, 0)
    response = editor_client.post(reverse("imports:save", args=[draft.pk]), {})
    assert response.status_code == 400
    assert "Needed for a new incident" in response.content.decode()
    assert Source.objects.count() == 0


def test_edited_statements_are_verified_again(world):
    source = Source.objects.create(title="Release", archived_text="We urge calm, he said.")
    s = world.north_says
    s.source = source
    s.text = "We urge calm"
    s.save()
    assert s.quote_verified is True
    s.text = "We demand calm"
    s.save()
    s.refresh_from_db()
    assert s.quote_verified is False


def test_discard_saves_nothing(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    response = editor_client.post(reverse("imports:discard", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ImportDraft.Status.DISCARDED
    assert Source.objects.count() == 0


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   \n  ", "The article is empty"),
        ("x" * 200_001, "the limit is 200,000"),
        ("\x01\x02\x03\x04\x05 binary \x06\x07\x08\x0e\x0f\ufffd" * 20, "does not look like text"),
        ("PK\x03\x04\x00\x00 zipped", "Null characters are not allowed"),
        (
            "Le ministère de la Défense a déclaré jeudi que six soldats avaient été capturés "
            "près de la frontière, selon un communiqué publié dans la soirée par le "
            "gouvernement, qui dénonce une provocation.",
            "does not appear to be in English",
        ),
        (
            "The river rose by two metres overnight. Several roads were closed and the "
            "ferry did not run. Schools will reopen on Monday.",
            "No attributed statement was found",
        ),
        ("Read more\nAccept all cookies\n", "Nothing is left of the article"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(editor_client, world, text, message):
    response = paste(editor_client, text=text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportDraft.objects.count() == 0 and Source.objects.count() == 0


def test_import_page_lists_drafts_in_constant_queries(editor_client, world):
    paste(editor_client)
    with CaptureQueriesContext(connection) as one:
        editor_client.get(reverse("imports:new"))
    for _ in range(3):
        paste(editor_client)
    with CaptureQueriesContext(connection) as four:
        response = editor_client.get(reverse("imports:new"))
    assert len(four.captured_queries) == len(one.captured_queries)
    assert response.content.decode().count('href="/import/') >= 4


# --- bulk ----------------------------------------------------------------------------


def write_articles(tmp_path):
    (tmp_path / "north.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "north.json").write_text(
        '{"url": "https://news.example/n", "publisher": "Example", "published": "2024-03-08"}',
        encoding="utf-8",
    )
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "weather.txt").write_text(
        "The river rose by two metres overnight. Several roads were closed.", encoding="utf-8"
    )


def test_import_articles_command(tmp_path, world, editor):
    write_articles(tmp_path)
    out, err = StringIO(), StringIO()
    call_command("import_articles", str(tmp_path), user=editor.username, stdout=out, stderr=err)
    draft = ImportDraft.objects.get()
    assert draft.published_on == date(2024, 3, 8) and draft.created_by == editor
    assert len(draft.statements) == 5
    assert "1 articles ready for review, 2 rejected, of 3." in out.getvalue()
    assert "empty: The article is empty" in err.getvalue()
    assert "weather: No attributed statement" in err.getvalue()


def test_import_articles_command_with_nothing_importable(tmp_path, world):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_articles", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    assert ImportDraft.objects.count() == 0
    with pytest.raises(CommandError, match="not a directory"):
        call_command("import_articles", str(tmp_path / "missing"))


@override_settings(TASKS=IMMEDIATE)
def test_bulk_upload_runs_as_a_background_job(
    editor_client, world, tmp_path, django_capture_on_commit_callbacks, media
):
    write_articles(tmp_path)
    with ExitStack() as stack:
        files = [
            stack.enter_context(open(tmp_path / name, "rb"))
            for name in ("north.txt", "north.json", "weather.txt")
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client.post(reverse("imports:bulk"), {"articles": files})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.processed, job.drafts_created, job.rejected) == (2, 2, 1, 1)
    # Succeeded: its files are deleted and it no longer refers to them.
    assert job.payload == []
    assert stored_paths(media) == [] and media.listdir("imports") == ([], [])
    draft = job.drafts.get()
    assert draft.url == "https://news.example/n"
    # The progress partial alone, for htmx polling; no more polling once finished.
    fragment = editor_client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and 'id="job-progress"' in html
    assert "hx-trigger" not in html
    assert "weather: No attributed statement" in html


def test_job_page_polls_while_running(editor_client, world):
    job = ImportJob.objects.create(total=3, processed=1, status=ImportJob.Status.RUNNING)
    html = editor_client.get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in html and "1 of 3 articles processed" in html


def test_task_runs_a_queued_job(world):
    job = ImportJob.objects.create(
        total=1, payload=[{"name": "north", "text": ARTICLE, "published_on": "2024-03-08"}]
    )
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.drafts_created == 1
    # Running it again does nothing: only queued jobs run.
    run_import_job.call(job.pk)
    assert ImportDraft.objects.count() == 1


def test_bulk_form_refuses_uploads_without_text(editor_client, world, tmp_path):
    (tmp_path / "meta.json").write_text("{}", encoding="utf-8")
    with open(tmp_path / "meta.json", "rb") as f:
        response = editor_client.post(reverse("imports:bulk"), {"articles": [f]})
    assert response.status_code == 400
    assert "No article text files" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_review_page_queries_do_not_grow_with_proposals(editor_client, world):
    short = (
        "Northland’s Defence Ministry said a Southern patrol had crossed the river. "
        "The Southland Foreign Ministry rejected the account."
    )
    paste(editor_client, text=short)
    paste(editor_client)
    few, many = ImportDraft.objects.order_by("pk")
    assert len(few.statements) < len(many.statements)
    with CaptureQueriesContext(connection) as q_few:
        editor_client.get(few.get_absolute_url())
    with CaptureQueriesContext(connection) as q_many:
        editor_client.get(many.get_absolute_url())
    assert len(q_many.captured_queries) == len(q_few.captured_queries)


def test_decisions_on_a_saved_import_are_refused(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    decide(editor_client, draft, 0)
    editor_client.post(reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk})
    response = decide(editor_client, draft, 1)
    assert response.status_code == 200 and response["HX-Redirect"] == draft.get_absolute_url()
    draft.refresh_from_db()
    assert draft.statement(1)["decision"] == "pending"
    # Saving twice saves nothing more.
    count = Statement.objects.count()
    again = editor_client.post(
        reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk}
    )
    assert again.status_code == 400 and Statement.objects.count() == count


# --- issue 10: parties the site does not have yet, spans by the annotation rules --------

NEW_PARTY_ARTICLE = (
    "Thai army spokesman Winthai Suvaree said on Monday that Southern gunners had fired "
    "on a Thai patrol near the old mill.\n\n"
    "The Northland Defence Ministry warned that any incursion would be answered.\n"
)


def test_a_party_the_site_lacks_is_proposed_and_created_when_accepted(editor_client, world):
    from incidents.models import Party

    paste(editor_client, text=NEW_PARTY_ARTICLE)
    draft = ImportDraft.objects.get()
    item = draft.statement(0)
    assert item["party"] == "thailand" and not Party.objects.filter(slug="thailand").exists()
    assert item["new_party"] == {"slug": "thailand", "name": "Thailand", "kind": "state"}
    page = editor_client.get(draft.get_absolute_url()).content.decode()
    assert "Thailand <em>(new party: accept to create it)</em>" in page
    assert "Thailand (new party, created on saving)" in page
    decide(editor_client, draft, 0)
    draft.refresh_from_db()
    assert draft.statement(0)["new_party_confirmed"] is True
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]),
        {"incident": world.incident.pk, "add_third_parties": "on"},
    )
    assert response.status_code == 302
    party = Party.objects.get(slug="thailand")
    assert (party.name, party.kind) == ("Thailand", Party.Kind.STATE)
    statement = Statement.objects.get(source__isnull=False)
    assert statement.party == party and statement.actor.name == "Winthai Suvaree"
    assert world.conflict.third_parties.filter(pk=party.pk).exists()


def test_a_new_party_the_editor_replaces_is_not_created(editor_client, world):
    from incidents.models import Party

    paste(editor_client, text=NEW_PARTY_ARTICLE)
    draft = ImportDraft.objects.get()
    decide(editor_client, draft, 0, party=world.league.slug)
    draft.refresh_from_db()
    assert draft.statement(0)["new_party_confirmed"] is False
    editor_client.post(reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk})
    assert not Party.objects.filter(slug="thailand").exists()
    assert Statement.objects.get(source__isnull=False).party == world.league


def test_the_correct_panel_offers_the_span_with_the_verb(editor_client, world):
    paste(editor_client, text=NEW_PARTY_ARTICLE)
    draft = ImportDraft.objects.get()
    index, item = next((n, s) for n, s in enumerate(draft.statements) if s["cue"] == "warn")
    assert item["text"] == "any incursion would be answered"
    page = editor_client.get(draft.get_absolute_url()).content.decode()
    assert "with the verb: “warned that any incursion would be answered”" in page
    with_verb = next(a for a in item["alternatives"] if a["label"] == "with the verb")
    decide(editor_client, draft, index, span=f"{with_verb['start']}-{with_verb['end']}")
    draft.refresh_from_db()
    chosen = draft.statement(index)
    assert chosen["text"] == "warned that any incursion would be answered"
    assert draft.text[chosen["start"] : chosen["end"]] == chosen["text"]
    # A span that is not one of the offered ones is refused by the form.
    response = decide(editor_client, draft, index, span="0-5")
    assert "Select a valid choice" in response.content.decode()


def test_reimporting_the_same_article_names_the_earlier_import(editor_client, world):
    """Same address or same cleaned text: the review page links the earlier import;
    a different article does not."""
    paste(editor_client)
    first = ImportDraft.objects.get()
    again = paste(editor_client, url="")  # the same text, pasted without its address
    second = ImportDraft.objects.latest("pk")
    assert second.pk != first.pk and again.status_code == 302
    html = editor_client.get(second.get_absolute_url()).content.decode()
    assert "This article was imported before" in html
    assert first.get_absolute_url() in html and "(same text)" in html

    # Same address, another text (a corrected version of the article).
    paste(editor_client, text=ARTICLE + "\n\nThe ministry added that talks would resume.")
    third = ImportDraft.objects.latest("pk")
    assert {d.pk for d in third.earlier_imports()} == {first.pk}

    paste(
        editor_client,
        text=ARTICLE.replace("Northland", "Eastland"),
        url="https://news.example/other",
    )
    other = ImportDraft.objects.latest("pk")
    assert other.earlier_imports() == []
    html = editor_client.get(other.get_absolute_url()).content.decode()
    assert "imported before" not in html


def test_a_new_speakers_stacked_title_becomes_the_actors_role(editor_client, world):
    """The speaker is proposed by name alone; on saving, the title the article put
    before the name is the new actor's role."""
    text = (
        "Northern army spokeswoman Marta Kowalska said on Thursday that a "
        "Southern patrol had crossed the river at dawn.\n\n"
        "The Southland Foreign Ministry denied that any patrol had crossed."
    )
    paste(editor_client, text=text, url="https://news.example/kowalska")
    draft = ImportDraft.objects.get()
    first = next(i for i, s in enumerate(draft.statements) if "Kowalska" in s["speaker"])
    assert draft.statement(first)["speaker"] == "Marta Kowalska"
    decide(editor_client, draft, first, party="northland")
    editor_client.post(reverse("imports:save", args=[draft.pk]), {"incident": world.incident.pk})
    actor = Actor.objects.get(name="Marta Kowalska")
    assert actor.role == "Northern army spokeswoman"


# --- a conflict the site has never covered, set up from the import -------------------

NEW_CONFLICT_ARTICLE = (
    "Kyrgyzstan's border service said on Tuesday that Tajik troops had fired on a post "
    "near a disputed canal.\n\n"
    "Tajikistan's interior ministry rejected the claim and said Kyrgyz guards had started "
    "the shooting.\n"
)


def new_conflict_draft(client) -> ImportDraft:
    paste(client, text=NEW_CONFLICT_ARTICLE)
    draft = ImportDraft.objects.get()
    for index in range(len(draft.statements)):
        decide(client, draft, index)
    draft.refresh_from_db()
    return draft


def test_the_review_proposes_a_new_conflict_of_the_articles_two_states(editor_client, world):
    draft = new_conflict_draft(editor_client)
    assert [p.slug for p in draft.suggested_sides()] == ["kyrgyzstan", "tajikistan"]
    page = editor_client.get(draft.get_absolute_url()).content.decode()
    assert 'name="new_conflict" value="Kyrgyzstan–Tajikistan"' in page
    for slug in ("kyrgyzstan", "tajikistan"):
        assert re.search(rf'<input type="checkbox" name="sides" value="{slug}"[^>]*checked', page)
    assert "<legend>New conflict&#x27;s sides</legend>" in page


def test_save_creates_the_new_conflict_with_its_sides_in_order(editor_client, world):
    from incidents.models import Conflict, Party

    draft = new_conflict_draft(editor_client)
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]),
        {
            "new_conflict": "Kyrgyzstan–Tajikistan",
            "sides": ["kyrgyzstan", "tajikistan"],
            "title": "Shots at the canal post",
            "date_start": "2025-05-13",
        },
    )
    assert response.status_code == 302
    conflict = Conflict.objects.get(name="Kyrgyzstan–Tajikistan")
    assert [p.slug for p in conflict.ordered_sides()] == ["kyrgyzstan", "tajikistan"]
    assert Party.objects.get(slug="tajikistan").kind == Party.Kind.STATE
    incident = Incident.objects.get(title="Shots at the canal post")
    assert incident.conflict == conflict
    assert {s.party.slug for s in incident.statements.all()} == {"kyrgyzstan", "tajikistan"}
    # An article about it later finds the conflict preselected.
    paste(editor_client, text=NEW_CONFLICT_ARTICLE.replace("Tuesday", "Friday"))
    again = ImportDraft.objects.latest("pk")
    page = editor_client.get(again.get_absolute_url()).content.decode()
    assert f'<option value="{conflict.pk}" selected>' in page
    assert 'name="new_conflict" value=' not in page


@pytest.mark.parametrize(
    ("extra", "field_message"),
    [
        ({"sides": ["kyrgyzstan"]}, "A conflict needs at least two sides."),
        ({"sides": ["kyrgyzstan", "elsewhere"]}, "Select a valid choice."),
        ({"new_conflict": "", "sides": []}, "Choose the incident&#x27;s conflict, or name"),
        ({"conflict": "WORLD"}, "Choose an existing conflict or name a new one, not both."),
        ({"new_conflict": "WORLD"}, "A conflict of this name exists: choose it above."),
    ],
)
def test_a_bad_new_conflict_gets_a_message_and_saves_nothing(
    editor_client, world, extra, field_message
):
    from incidents.models import Conflict, Party

    draft = new_conflict_draft(editor_client)
    data = {
        "new_conflict": "Kyrgyzstan–Tajikistan",
        "sides": ["kyrgyzstan", "tajikistan"],
        "title": "Shots at the canal post",
        "date_start": "2025-05-13",
    } | extra
    if data.get("conflict") == "WORLD":
        data["conflict"] = world.conflict.pk
    if data["new_conflict"] == "WORLD":
        data["new_conflict"] = world.conflict.name.upper()
    response = editor_client.post(
        reverse("imports:save", args=[draft.pk]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert Conflict.objects.count() == 1 and Source.objects.count() == 0
    assert not Party.objects.filter(slug__in=["kyrgyzstan", "tajikistan"]).exists()
    draft.refresh_from_db()
    assert draft.status == ImportDraft.Status.REVIEW


def test_existing_conflict_is_preselected_when_its_sides_speak(editor_client, world):
    paste(editor_client)
    draft = ImportDraft.objects.get()
    page = editor_client.get(draft.get_absolute_url()).content.decode()
    assert f'<option value="{world.conflict.pk}" selected>' in page
