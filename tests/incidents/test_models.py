from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import (
    Annotation,
    Claim,
    Incident,
    Source,
    StaleObjectError,
    Statement,
    normalise_for_match,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_claim_span_outside_statement_text_is_refused_by_the_database():
    w = f.World()
    text_len = len(w.north_says.text)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            statement=w.north_says, point=w.point, start=0, end=text_len + 5, quote="x"
        )


def test_claim_inside_text_is_accepted_and_keeps_its_quote():
    w = f.World()
    claim = Claim(statement=w.north_says, point=w.point)
    claim.set_span(w.north_says.text, 4, 10)
    claim.save()
    assert claim.quote == "patrol"


def test_annotation_span_outside_text_is_refused_by_the_database():
    w = f.World()
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            statement=w.south_says, start=3, end=999, quote="x", tag=Annotation.Tag.DISPUTED
        )


def test_empty_span_is_refused_by_a_check_constraint():
    w = f.World()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(statement=w.north_says, point=w.point, start=5, end=5, quote="")


def test_statement_party_must_match_actor_party_in_the_database():
    w = f.World()
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=w.north_says.pk).update(party=w.south)


def test_statement_save_takes_the_actors_party():
    w = f.World()
    s = Statement(
        incident=w.incident, actor=w.south_mfa, party=w.north, text="x", issued_on=date.today()
    )
    s.save()
    assert s.party == w.south


def test_statement_of_a_party_unknown_to_the_conflict_is_refused():
    w = f.World()
    stranger = f.party("Farland", "farland")
    speaker = f.actor("Farland envoy", stranger)
    with pytest.raises(ValidationError):
        f.statement(w.incident, speaker, "We are watching.")


def test_incident_slugs_are_unique():
    w = f.World()
    other = f.incident(w.conflict, "Patrol stopped at the river crossing")
    assert other.slug != w.incident.slug
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=other.pk).update(slug=w.incident.slug)


def test_incident_date_range_must_be_ordered():
    w = f.World()
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=w.incident.pk).update(date_end=date(2000, 1, 1))


def test_source_hash_is_sha256_of_archived_text():
    s = Source.objects.create(title="t", archived_text="Hello")
    assert s.sha256 == "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969"


def test_visibility_of_drafts():
    w = f.World()
    draft = f.statement(w.incident, w.north_mod, "Not yet checked.", published=False)
    hidden_incident = f.incident(w.conflict, "Unconfirmed shelling", published=False)
    public = Statement.objects.visible_to(None)
    assert draft not in public
    assert w.north_says in public
    assert hidden_incident not in Incident.objects.visible_to(None)


def test_withdrawn_published_statement_stays_public_with_reason():
    w = f.World()
    w.south_says.withdraw("The ministry retracted the release.")
    assert w.south_says in Statement.objects.visible_to(None)
    assert w.south_says.withdrawn_reason


def test_save_versioned_refuses_a_stale_version():
    w = f.World()
    first = Statement.objects.get(pk=w.north_says.pk)
    second = Statement.objects.get(pk=w.north_says.pk)
    first.text = "First editor's text."
    first.save_versioned(expected_version=first.version)
    second.text = "Second editor's text."
    with pytest.raises(StaleObjectError) as exc:
        second.save_versioned(expected_version=second.version)
    assert exc.value.current.text == "First editor's text."
    assert Statement.objects.get(pk=w.north_says.pk).text == "First editor's text."


def test_reanchor_follows_the_quote_and_flags_lost_spans():
    w = f.World()
    text = w.north_says.text
    claim = Claim(statement=w.north_says, point=w.point)
    start = text.index("repairing a bridge")
    claim.set_span(text, start, start + len("repairing a bridge"))
    corrected = "Yesterday, " + text
    assert claim.reanchor(corrected)
    assert corrected[claim.start : claim.end] == "repairing a bridge"
    assert not claim.reanchor("Something else entirely.")
    assert claim.needs_review


def test_quote_verification_ignores_quote_characters_and_whitespace():
    src = Source.objects.create(
        title="t", archived_text="He said the troops were “detained\n and disarmed”."
    )
    assert normalise_for_match('"detained and disarmed"') in normalise_for_match(src.archived_text)


@pytest.mark.django_db
def test_a_link_follows_a_changed_slug_on_the_same_object():
    """get_absolute_url() joins strings around a URL reversed once per name
    (incidents.models.fast_reverse); an edit that changes the slug must not keep
    handing out the old link."""
    w = f.World()
    a = w.north_mod
    first = a.get_absolute_url()
    assert first == f"/actors/{a.slug}/"
    a.slug = "renamed-ministry"
    a.save()
    assert a.get_absolute_url() == "/actors/renamed-ministry/"
    w.incident.slug = "renamed-incident"
    assert w.incident.get_absolute_url() == "/incidents/renamed-incident/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "ftp://x.example/a"]
)
def test_only_http_urls_are_stored(url):
    from imports.models import ImportDraft

    with pytest.raises(ValidationError):
        Source.objects.create(title="Report", url=url)
    with pytest.raises(ValidationError):
        ImportDraft.objects.create(title="Draft", url=url, text="Text.", proposals={})
    src = Source.objects.create(title="Report", url="https://news.example/a")
    # Even around save() (QuerySet.update), the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=src.pk).update(url=url)
    assert Source.objects.get(pk=src.pk).url == "https://news.example/a"


def test_bulk_import_metadata_with_a_script_link_is_refused_with_a_message():
    from imports.forms import article_from

    with pytest.raises(ValidationError) as caught:
        article_from("note", "Some text.", {"url": "javascript:alert(1)"})
    assert "note: the url 'javascript:alert(1)' is not an http(s) address." in str(caught.value)
    assert article_from("ok", "Text.", {"url": "https://a.example/x"}).url == "https://a.example/x"
