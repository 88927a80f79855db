"""The editor's pages: incidents, statements, sources, points of contention, claims,
annotations, publishing and history. Every view is editor-only (role_required) and
saves through save_versioned(), so two editors never silently overwrite each other.

Without htmx every POST redirects (or re-renders its page with the errors); with htmx
the view answers with the named partial of the same template. Form errors and
conflicts are answered 200 to htmx (htmx does not swap 4xx answers by default) and
400/409 to plain posts.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q, TextField
from django.forms import ModelChoiceField
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import editor_required
from accounts.models import User
from core.db import retrying
from core.http import HtmxHttpRequest
from editing.forms import (
    ActorForm,
    AnnotationForm,
    ClaimForm,
    ClaimRelationForm,
    IncidentForm,
    PointForm,
    SourceForm,
    SpanFormMixin,
    StatementForm,
    VersionedForm,
    WithdrawForm,
)
from incidents.comparison import by_point_and_side
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Incident,
    Party,
    PointOfContention,
    Source,
    StaleObjectError,
    Statement,
)
from incidents.publishing import OneSidedError, one_sided_message, publish_incident, readiness
from incidents.segments import Span, segment_text
from incidents.sides import SideOrder
from incidents.templatetags.cards import valid_card_key


def _user(request: HtmxHttpRequest) -> User:
    # role_required has already refused anyone who is not a signed-in editor.
    return cast(User, request.user)


def _reason(obj: Any, text: str) -> None:
    """The change reason django-simple-history records with the next save."""
    obj._change_reason = text


def _status(request: HtmxHttpRequest, code: int) -> int:
    return 200 if request.htmx else code


def _next_url(request: HtmxHttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: redirect() would try a bare word ("0") as a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _save(
    request: HtmxHttpRequest,
    form: VersionedForm,
    reason: str,
    after_save: Callable[[Any], None] | None = None,
) -> Any:
    """Save a valid form in one transaction. Returns None when another editor saved
    the object first (the current stored object is then in form.concurrent).

    A claim or annotation form was checked against the statement's text as it was
    loaded: the statement is locked first (the order a text correction takes its
    locks too: statement, then its spans) and a text corrected meanwhile refuses the
    save with a ValidationError, since the selected offsets may point elsewhere now.
    """
    obj = form.save(commit=False)
    _reason(obj, reason)
    creating = obj.pk is None

    def attempt() -> None:
        if creating:
            # A retried insert starts again as an insert.
            obj.pk = None
            obj._state.adding = True
        with transaction.atomic():
            if isinstance(form, SpanFormMixin):
                stored = (
                    Statement.objects.select_for_update(of=("self",))
                    .filter(pk=form.statement.pk)
                    .values_list("text", flat=True)
                    .first()
                )
                if stored != form.statement.text:
                    raise ValidationError(
                        "The statement's text was corrected meanwhile; select the words again."
                    )
            if creating:
                obj.save()
            else:
                obj.save_versioned(form.cleaned_data["version"])
            form.save_m2m()
            if after_save is not None:
                after_save(obj)

    try:
        retrying(attempt)
    except StaleObjectError as exc:
        form.concurrent = exc.current
        return None
    except ObjectDoesNotExist:
        raise Http404("It was deleted by someone else meanwhile.") from None
    return obj


def _conflict_form(
    form_class: type[VersionedForm], request: HtmxHttpRequest, current: Any, **kw: Any
) -> Any:
    """The second editor's form after a conflict: their own words kept, the version
    moved to the stored one so that saving again is a deliberate overwrite."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    # A separate copy: validating the form writes the editor's values into its instance,
    # and `current` must keep showing the other editor's.
    fresh = type(current)._default_manager.get(pk=current.pk)
    form = form_class(data, instance=fresh, **kw)
    form.is_valid()
    form.concurrent = current
    form.concurrent_rows = _conflict_rows(form, current)
    form.concurrent_rows += _changed_elsewhere(
        form, current, form.concurrent_rows, request.POST.get("version")
    )
    form.concurrent_by = _last_editor(current)
    return form


def _changed_elsewhere(
    form: VersionedForm, current: Any, rows: list[dict[str, Any]], started_at: str | None
) -> list[dict[str, Any]]:
    """Rows for what changed outside the form's fields since the version the editor
    started from (published, withdrawn, re-anchored...): a refusal always says what
    changed, even when no field of the form differs."""
    try:
        started = int(started_at or 0)
    except ValueError:
        return []
    if not started or not hasattr(current, "changes_since"):
        return []
    shown = {str(row["label"]).lower() for row in rows}
    shown |= {str(f.label or n).lower() for n, f in form.fields.items()}
    return [
        {"label": label, "theirs": now, "mine": f"{then} (unchanged by you)"}
        for label, then, now in current.changes_since(started)
        if label.lower() not in shown
    ]


def _conflict_rows(form: VersionedForm, current: Model) -> list[dict[str, Any]]:
    """Field by field: what is stored now (the other editor's) and what this editor
    typed, for every field where they differ."""
    rows: list[dict[str, Any]] = []
    for name, field in form.fields.items():
        if name == "version" or not hasattr(current, name) or name.startswith("span_"):
            continue
        theirs = getattr(current, name)
        if hasattr(theirs, "all"):
            theirs = ", ".join(str(o) for o in theirs.all())
        data = cast(QueryDict, form.data)
        mine_raw = data.get(form.add_prefix(name), "")
        if isinstance(field, ModelChoiceField) and mine_raw:
            try:
                picked = field.queryset.filter(  # type: ignore[union-attr]
                    pk__in=data.getlist(form.add_prefix(name))
                )
                mine = ", ".join(str(o) for o in picked) or mine_raw
            except (ValueError, ValidationError):
                mine = mine_raw
        else:
            mine = mine_raw
        theirs_text = "" if theirs is None else str(theirs)
        if hasattr(current, f"get_{name}_display"):
            theirs_text = getattr(current, f"get_{name}_display")()
            mine = dict(getattr(field, "choices", [])).get(mine_raw, mine)
        if theirs_text.strip() != str(mine).strip():
            rows.append({"label": field.label or name, "theirs": theirs_text, "mine": mine})
    return rows


def _last_editor(obj: Model) -> Any:
    history = getattr(obj, "history", None)
    return history.select_related("history_user").first() if history is not None else None


SPAN_FIELDS = ["start", "end", "quote", "prefix", "suffix", "needs_review"]


def _reanchor_spans(statement: Statement) -> int:
    """Re-anchor claims and annotations on the corrected text, in the caller's
    transaction (which holds the statement's row). Each span is locked and only its
    offsets are written, with a new version: an annotation's note saved meanwhile is
    kept, and an editor holding the old offsets gets a conflict. Spans whose words
    are gone are flagged needs_review, never deleted; their offsets are pulled inside
    the new text so the database accepts them."""
    lost = 0
    text = statement.text
    for model in (Claim, Annotation):
        for span in (
            model.objects.select_for_update(of=("self",)).filter(statement=statement).order_by("pk")
        ):
            old = (span.start, span.end, span.quote, span.needs_review)
            if not span.reanchor(text):
                lost += 1
                span.end = min(span.end, len(text))
                span.start = min(span.start, span.end - 1)
            if (span.start, span.end, span.quote, span.needs_review) != old:
                _reason(span, "re-anchored after a text correction")
                # One UPDATE with the new offsets: the database refuses any
                # intermediate row whose span lies outside the new text.
                span.version += 1
                span.save(update_fields=[*SPAN_FIELDS, "version", "updated_at"])
    return lost


# --- the editor's desk --------------------------------------------------------------


@editor_required
@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    drafts = Incident.objects.filter(status=Incident.Status.DRAFT).select_related("conflict")[:50]
    draft_statements = (
        Statement.objects.filter(status=Statement.Status.DRAFT)
        .select_related("actor", "incident")
        .order_by("-updated_at")[:50]
    )
    review_claims = Claim.objects.filter(needs_review=True).select_related(
        "statement__actor", "point"
    )[:50]
    review_annotations = Annotation.objects.filter(needs_review=True).select_related(
        "statement__actor"
    )[:50]
    return render(
        request,
        "editing/index.html",
        {
            "drafts": drafts,
            "draft_statements": draft_statements,
            "review_claims": review_claims,
            "review_annotations": review_annotations,
            "recent_incidents": Incident.objects.order_by("-updated_at")[:20],
            "recent_sources": Source.objects.order_by("-updated_at")[:20],
        },
    )


# --- incidents ----------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HtmxHttpRequest) -> HttpResponse:
    return _incident_form(request, Incident())


@editor_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _incident_form(request, get_object_or_404(Incident, slug=slug))


def _incident_page_context(incident: Incident, form: IncidentForm) -> dict[str, Any]:
    return {
        "form": form,
        "incident": incident,
        "creating": False,
        "statements": incident.statements.select_related("actor", "party"),
        "points": incident.points.all(),
    }


def _incident_form(request: HtmxHttpRequest, incident: Incident) -> HttpResponse:
    template = "editing/incident_form.html"
    status = 200
    creating = incident.pk is None
    if request.method == "POST":
        form = IncidentForm(request.POST, instance=incident)
        if form.is_valid():
            if creating:
                form.instance.created_by = _user(request)
            saved = _save(request, form, "created" if creating else "edited")
            if saved is not None:
                messages.success(request, f"Saved “{saved}”.")
                url = reverse("editing:incident_edit", args=[saved.slug])
                if request.htmx and not creating:
                    form = IncidentForm(instance=saved)
                    incident = saved
                else:
                    return redirect(url)
            else:
                form = _conflict_form(IncidentForm, request, form.concurrent)
                incident = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = IncidentForm(instance=incident)
    context = {"form": form, "incident": incident, "creating": creating}
    if not creating:
        context.update(_status_context(incident))
        context.update(_incident_page_context(incident, form))
    if request.htmx and request.method == "POST":
        template += "#incident-form"
    return render(request, template, context, status=status)


@editor_required
@require_POST
def incident_publish(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Publish or unpublish an incident. Publishing goes through
    incidents.publishing.publish_incident: optionally with the incident's draft
    statements (`with_drafts`), and refused until confirmed (`confirm_one_sided`)
    when a side would have no published statement."""
    incident = get_object_or_404(Incident.objects.select_related("conflict"), slug=slug)
    refused: OneSidedError | None = None
    with_drafts = request.POST.get("with_drafts") == "1"
    try:
        if request.POST.get("action") == "unpublish":
            incident.unpublish(by=_user(request))
            messages.success(request, f"“{incident}” is a draft again, hidden from the public.")
        else:
            try:
                n = publish_incident(
                    incident,
                    by=_user(request),
                    with_drafts=with_drafts,
                    confirm_one_sided=request.POST.get("confirm_one_sided") == "1",
                )
            except OneSidedError as exc:
                refused = exc
            else:
                with_n = f" with {n} draft statement{'s' if n != 1 else ''}" if n else ""
                messages.success(request, f"“{incident}” is published{with_n}.")
    except Incident.DoesNotExist:
        raise Http404("The incident was deleted meanwhile.") from None
    if refused is not None:
        status = _status(request, 409)
        context = {**_status_context(incident, refused, with_drafts)}
        if request.htmx:
            return render(
                request, "editing/incident_form.html#incident-status", context, status=status
            )
        context.update(_incident_page_context(incident, IncidentForm(instance=incident)))
        return render(request, "editing/incident_form.html", context, status=status)
    if request.htmx:
        return render(
            request, "editing/incident_form.html#incident-status", _status_context(incident)
        )
    return redirect(_next_url(request, reverse("editing:incident_edit", args=[slug])))


def _status_context(
    incident: Incident, refused: OneSidedError | None = None, with_drafts: bool = False
) -> dict[str, Any]:
    """The publication box: per side, what the public sees now and after publishing."""
    state = refused.readiness if refused is not None else readiness(incident)
    return {
        "incident": incident,
        "readiness": state,
        "silent_now": state.silent_sides(),
        "silent_with_drafts": state.silent_sides(with_drafts=True),
        "refused": refused,
        "refused_message": one_sided_message(refused.silent) if refused else "",
        "with_drafts": with_drafts,
    }


# --- statements ---------------------------------------------------------------------


def _actor_matches(query: str, incident: Incident) -> list[Actor]:
    actors = Actor.objects.filter(
        party__in=Party.objects.of_conflict(pk=incident.conflict_id)
    ).select_related("party")
    query = query.strip()
    if query:
        actors = actors.filter(
            Q(name__icontains=query) | Q(role__icontains=query) | Q(party__name__icontains=query)
        )
    return list(actors.order_by("name")[:20])


@editor_required
@require_http_methods(["GET", "POST"])
def statement_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("conflict"), slug=slug)
    return _statement_form(request, Statement(incident=incident), incident)


@editor_required
@require_http_methods(["GET", "POST"])
def statement_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(
        Statement.objects.select_related("incident__conflict", "actor__party"), pk=pk
    )
    return _statement_form(request, statement, statement.incident)


def _statement_form(
    request: HtmxHttpRequest, statement: Statement, incident: Incident
) -> HttpResponse:
    template = "editing/statement_form.html"
    status = 200
    creating = statement.pk is None
    lost = 0
    if request.method == "POST":
        old_text = statement.text
        form = StatementForm(request.POST, instance=statement, incident=incident)
        if form.is_valid():
            if creating:
                form.instance.created_by = _user(request)

            def after_save(obj: Statement) -> None:
                nonlocal lost
                if not creating and obj.text != old_text:
                    lost = _reanchor_spans(obj)

            saved = _save(request, form, "created" if creating else "edited", after_save=after_save)
            if saved is not None:
                messages.success(request, "Statement saved.")
                if lost:
                    messages.warning(
                        request,
                        f"{lost} claim(s) or annotation(s) no longer match the corrected text "
                        "and are flagged for review.",
                    )
                if request.htmx and not creating:
                    statement = saved
                    form = StatementForm(instance=saved, incident=incident)
                else:
                    return redirect("editing:statement_spans", pk=saved.pk)
            else:
                form = _conflict_form(StatementForm, request, form.concurrent, incident=incident)
                statement = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        # A no-JavaScript actor search (and "create a speaker") comes back as a GET
        # carrying the half-filled form; keep what the editor typed.
        initial = {k: v for k, v in request.GET.items() if k != "actor_q"}
        form = StatementForm(instance=statement, incident=incident, initial=initial)
    actor_q = request.GET.get("actor_q", "")
    selected = _selected_actor(form)
    context = {
        "form": form,
        "statement": statement,
        "incident": incident,
        "creating": creating,
        "actor_q": actor_q,
        "actors": _actor_matches(actor_q, incident) if actor_q else [],
        "selected_actor": selected,
        "actor_form": ActorForm(incident=incident),
    }
    if request.htmx and request.method == "POST":
        template += "#statement-form"
    return render(request, template, context, status=status)


def _selected_actor(form: StatementForm) -> Actor | None:
    value = form["actor"].value()
    if isinstance(value, Actor):
        return value
    try:
        return Actor.objects.select_related("party").get(pk=int(value)) if value else None
    except (TypeError, ValueError, Actor.DoesNotExist):
        return None


@editor_required
@require_GET
def actor_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """htmx autocomplete: radio buttons named `actor` for the statement form."""
    incident = get_object_or_404(Incident.objects.select_related("conflict"), slug=slug)
    query = request.GET.get("actor_q", "")[:100]
    context = {
        "actors": _actor_matches(query, incident),
        "actor_q": query,
        "incident": incident,
        "selected_actor": None,
    }
    if not request.htmx:
        # The list alone makes no page: send the editor to the statement form with it.
        return redirect(
            reverse("editing:statement_create", args=[slug]) + "?" + urlencode({"actor_q": query})
        )
    return render(request, "editing/statement_form.html#actor-results", context)


@editor_required
@require_POST
def actor_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Create a speaker inline from the statement form. htmx gets the results list with
    the new speaker chosen; a plain post returns to the form with what was typed."""
    incident = get_object_or_404(Incident.objects.select_related("conflict"), slug=slug)
    form = ActorForm(request.POST, incident=incident)
    back = request.POST.get("back") or reverse("editing:statement_create", args=[slug])
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("editing:statement_create", args=[slug])
    if form.is_valid():
        actor = form.save()
        messages.success(request, f"Speaker “{actor}” ({actor.party}) created.")
        if request.htmx:
            return render(
                request,
                "editing/statement_form.html#actor-results",
                {"actors": [actor], "checked_actor": actor, "incident": incident},
            )
        keep = QueryDict(mutable=True)
        for key in StatementForm.Meta.fields:
            if key in request.POST and key != "actor":
                keep[key] = request.POST[key]
        keep["actor"] = str(actor.pk)
        return HttpResponseRedirect(f"{back.split('?')[0]}?{keep.urlencode()}")
    if request.htmx:
        return render(
            request,
            "editing/statement_form.html#actor-results",
            {"actors": [], "actor_errors": form.errors, "incident": incident},
        )
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(
                request,
                f"New speaker: {error}"
                if field == "__all__"
                else f"New speaker, {form.fields[field].label}: {error}",
            )
    return redirect(back)


@editor_required
@require_POST
def statement_publish(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.select_related("incident"), pk=pk)
    action = request.POST.get("action", "publish")
    error = ""
    try:
        if action == "unpublish":
            # Refused by the model, on the stored row, when the statement is public.
            statement.unpublish(by=_user(request))
            messages.success(request, "The statement is a draft again.")
        else:
            statement.publish(by=_user(request))
            messages.success(request, "The statement is published.")
            if not statement.incident.is_published:
                messages.info(request, "It shows to the public once its incident is published.")
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except Statement.DoesNotExist:
        raise Http404("The statement was deleted meanwhile.") from None
    if error:
        messages.error(request, error)
    return _after_status_change(request, statement, status=409 if error else 200)


@editor_required
@require_http_methods(["GET", "POST"])
def statement_withdraw(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.select_related("incident", "actor"), pk=pk)
    # Bound on every POST (an empty one too): add_error() needs a bound form.
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if statement.status != Statement.Status.PUBLISHED and form.is_bound:
        # Only what was published is withdrawn; a draft simply stays a draft.
        form.add_error(None, "Only a published statement can be withdrawn.")
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            statement.withdraw(form.cleaned_data["reason"], by=_user(request))
        except ValidationError as exc:
            # Someone unpublished or withdrew it since the page was loaded.
            form.add_error(None, exc)
            conflict = True
            statement.refresh_from_db()
        except Statement.DoesNotExist:
            raise Http404("The statement was deleted meanwhile.") from None
        else:
            messages.success(
                request, "The statement is withdrawn; the public sees it with the reason."
            )
            return _after_status_change(request, statement)
    status = 200 if request.method == "GET" else 409 if conflict else 400
    if request.htmx:
        return render(
            request,
            "editing/_statement_tools.html",
            {
                "statement": statement,
                "withdraw_form": form,
                "can_edit": True,
                "card_key": _card_key(request),
                "next_url": _next_url(request, statement.get_absolute_url()),
            },
            status=_status(request, status),
        )
    return render(
        request,
        "editing/statement_withdraw.html",
        {"statement": statement, "form": form},
        status=status,
    )


def _card_key(request: HtmxHttpRequest) -> str:
    """The card whose tools were used (templates/editing/_statement_tools.html)."""
    return valid_card_key(request.POST.get("card") or request.GET.get("card"))


def _after_status_change(
    request: HtmxHttpRequest, statement: Statement, status: int = 200
) -> HttpResponse:
    if request.htmx:
        clicked = _card_key(request) or f"statement-{statement.pk}"
        context = {
            "statement": statement,
            "can_edit": True,
            "next_url": _next_url(request, statement.get_absolute_url()),
        }
        # The statement's other cards on the page (one per claim in the comparison
        # grid; the tools send the keys of those shown) get the new status too.
        possible = {f"statement-{statement.pk}"} | {
            f"claim-{pk}" for pk in statement.claims.values_list("pk", flat=True)
        }
        others = [k for k in dict.fromkeys(request.POST.getlist("shown")) if k in possible]
        html = render_to_string(
            "editing/_statement_tools.html", {**context, "card_key": clicked}, request
        ) + "".join(
            render_to_string(
                "editing/_statement_tools.html",
                {**context, "card_key": key, "oob": True},
                request,
            )
            for key in others
            if key != clicked
        )
        # 200 even when refused: htmx swaps only 2xx answers, and the message is in it.
        return HttpResponse(html)
    return redirect(_next_url(request, reverse("editing:statement_edit", args=[statement.pk])))


# --- claims and annotations on a statement's text -----------------------------------


def _segments(text: str, spans: list[Annotation | Claim]) -> list[dict[str, Any]]:
    """The statement text cut for highlighting (incidents.segments), each piece with
    the annotations and claims covering it. A span awaiting re-anchoring is left out:
    its offsets may point at other words."""
    pieces = segment_text(text, [Span(s.start, s.end, item=s) for s in spans if not s.needs_review])
    return [
        {
            "text": seg.text,
            "annotations": [i for i in seg.items if isinstance(i, Annotation)],
            "claims": [i for i in seg.items if isinstance(i, Claim)],
        }
        for seg in pieces
    ]


def _workspace_context(
    statement: Statement,
    annotation_form: AnnotationForm | None = None,
    claim_form: ClaimForm | None = None,
) -> dict[str, Any]:
    annotations = list(
        statement.annotations.select_related("evidence", "author").order_by("start", "id")
    )
    claims = list(
        statement.claims.select_related("point")
        .prefetch_related("relations_from__to_claim__statement__actor")
        .order_by("start", "id")
    )
    incident = statement.incident
    points = list(incident.points.all())
    sides = incident.sides()
    grid_claims = list(
        Claim.objects.filter(statement__incident=incident)
        .select_related("statement__actor", "statement__party", "point")
        .prefetch_related("relations_from__to_claim__statement__actor")
    )
    for claim in claims:
        form = ClaimRelationForm(from_claim=claim, prefix=f"rel{claim.pk}")
        # Choices from the claims already loaded for the grid: no query per claim.
        form.fields["to_claim"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a claim…"),
            *[
                (other.pk, form.fields["to_claim"].label_from_instance(other))  # type: ignore[attr-defined]
                for other in grid_claims
                if other.pk != claim.pk
            ],
        ]
        claim.relation_form = form  # type: ignore[attr-defined]
    grid = by_point_and_side(
        points,
        SideOrder(sides),
        ((c.point_id, c.statement.party_id, c) for c in grid_claims),
    )
    return {
        "statement": statement,
        "incident": incident,
        "segments": _segments(statement.text, [*annotations, *claims]),
        "annotations": annotations,
        "claims": claims,
        "annotation_form": annotation_form or AnnotationForm(statement=statement),
        "claim_form": claim_form or ClaimForm(statement=statement),
        "points": points,
        "sides": sides,
        "grid": grid,
        "can_relate": len(grid_claims) > 1,
        "can_edit": True,
    }


def _statement_for_spans(pk: int) -> Statement:
    return get_object_or_404(
        Statement.objects.select_related("incident__conflict", "actor", "party", "source"), pk=pk
    )


@editor_required
@require_GET
def statement_spans(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    template = "editing/statement_spans.html"
    if request.htmx and request.GET.get("part") == "forms":
        # The annotate/assign forms inside a statement card of a public page.
        # Saving comes back to the page the card is on, scrolled to the card: that
        # page's URL opens the card again (?card=, incidents.views.open_card).
        came_from = request.headers.get("HX-Current-URL") or statement.get_absolute_url()
        key = _card_key(request) or f"statement-{statement.pk}"
        context = {
            **_workspace_context(
                statement,
                annotation_form=AnnotationForm(statement=statement, auto_id=f"{key}-annotate-%s"),
                claim_form=ClaimForm(statement=statement, auto_id=f"{key}-assign-%s"),
            ),
            "in_card": True,
            "next_url": _same_site_path(came_from, statement.get_absolute_url()).split("#")[0]
            + f"#{key}",
            "card_key": key,
        }
        return render(request, template + "#span-forms", context)
    if request.htmx:
        template += "#span-workspace"
    return render(request, template, _workspace_context(statement))


def _same_site_path(url: str, default: str) -> str:
    """The path and query of a URL of this site (HX-Current-URL is absolute)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else default


def _workspace_response(
    request: HtmxHttpRequest, statement: Statement, status: int = 200, **forms: Any
) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "editing/statement_spans.html#span-workspace",
            _workspace_context(statement, **forms),
            status=_status(request, status),
        )
    if status != 200:
        return render(
            request,
            "editing/statement_spans.html",
            _workspace_context(statement, **forms),
            status=status,
        )
    return redirect(_next_url(request, reverse("editing:statement_spans", args=[statement.pk])))


@editor_required
@require_POST
def annotation_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    form = AnnotationForm(request.POST, statement=statement)
    if form.is_valid():
        form.instance.author = _user(request)
        try:
            _save(request, form, "annotated")
        except (IntegrityError, ValidationError):
            form.add_error(None, "The statement changed meanwhile; select the words again.")
            return _workspace_response(request, statement, 409, annotation_form=form)
        messages.success(request, "Annotation added.")
        return _workspace_response(request, statement)
    return _workspace_response(request, statement, 400, annotation_form=form)


@editor_required
@require_http_methods(["GET", "POST"])
def annotation_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(
        Annotation.objects.select_related("statement__incident", "statement__actor"), pk=pk
    )
    return _span_edit(request, annotation, AnnotationForm, "annotation")


@editor_required
@require_http_methods(["GET", "POST"])
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(
        Claim.objects.select_related("statement__incident", "statement__actor", "point"), pk=pk
    )
    return _span_edit(request, claim, ClaimForm, "claim")


def _span_edit(
    request: HtmxHttpRequest, span: Any, form_class: type[VersionedForm], kind: str
) -> HttpResponse:
    """Edit an annotation's note or a claim's point, and optionally its words (also
    the way to fix one flagged needs_review after a text correction)."""
    statement = span.statement
    template = f"editing/{kind}_form.html"
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, instance=span, statement=statement)
        if form.is_valid():
            try:
                saved = _save(request, form, f"{kind} edited")
            except ValidationError as exc:
                form.add_error(None, exc)
                return render(
                    request,
                    template + (f"#{kind}-form" if request.htmx else ""),
                    {"form": form, kind: span, "statement": statement},
                    status=_status(request, 409),
                )
            if saved is not None:
                messages.success(request, f"{kind.capitalize()} saved.")
                if not request.htmx:
                    return redirect("editing:statement_spans", pk=statement.pk)
                span, form = saved, form_class(instance=saved, statement=statement)
            else:
                form = _conflict_form(form_class, request, form.concurrent, statement=statement)
                span = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = form_class(instance=span, statement=statement)
    if request.htmx and request.method == "POST":
        template += f"#{kind}-form"
    return render(
        request, template, {"form": form, kind: span, "statement": statement}, status=status
    )


@editor_required
@require_POST
def annotation_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(Annotation.objects.select_related("statement"), pk=pk)
    statement = annotation.statement
    _reason(annotation, "deleted")
    annotation.delete()
    messages.success(request, "Annotation deleted (its history keeps it and can restore it).")
    return _workspace_response(request, _statement_for_spans(statement.pk))


@editor_required
@require_POST
def claim_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    form = ClaimForm(request.POST, statement=statement)
    if form.is_valid():
        try:
            _save(request, form, "claim assigned")
        except (IntegrityError, ValidationError):
            form.add_error(None, "The statement changed meanwhile; select the words again.")
            return _workspace_response(request, statement, 409, claim_form=form)
        messages.success(request, f"Claim assigned to “{form.instance.point}”.")
        return _workspace_response(request, statement)
    return _workspace_response(request, statement, 400, claim_form=form)


@editor_required
@require_POST
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim, pk=pk)
    statement_pk = claim.statement_id
    _reason(claim, "deleted")
    claim.delete()
    messages.success(request, "Claim removed from its point.")
    return _workspace_response(request, _statement_for_spans(statement_pk))


@editor_required
@require_POST
def relation_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("statement"), pk=pk)
    form = ClaimRelationForm(request.POST, from_claim=claim, prefix=f"rel{claim.pk}")
    statement = _statement_for_spans(claim.statement_id)
    if form.is_valid():
        relation = form.save(commit=False)
        relation.created_by = _user(request)
        try:
            with transaction.atomic():
                # Both claims held until the relation is stored: a claim deleted
                # meanwhile is reported as such, not as a duplicate.
                ids = sorted({relation.from_claim_id, relation.to_claim_id})
                if len(
                    Claim.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
                ) != len(ids):
                    messages.error(request, "One of the claims was removed meanwhile.")
                    return _workspace_response(request, statement, 409)
                relation.save()
        except IntegrityError:
            messages.error(request, "That relation is already recorded.")
            return _workspace_response(request, statement, 400)
        messages.success(request, f"Recorded: this claim {relation.get_kind_display()} another.")
        return _workspace_response(request, statement)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return _workspace_response(request, statement, 400)


@editor_required
@require_POST
def relation_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    relation = get_object_or_404(ClaimRelation.objects.select_related("from_claim"), pk=pk)
    statement_pk = relation.from_claim.statement_id
    relation.delete()
    messages.success(request, "Relation removed.")
    return _workspace_response(request, _statement_for_spans(statement_pk))


# --- sources ------------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def source_create(request: HtmxHttpRequest) -> HttpResponse:
    return _source_form(request, Source())


@editor_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _source_form(request, get_object_or_404(Source, pk=pk))


def _source_form(request: HtmxHttpRequest, source: Source) -> HttpResponse:
    template = "editing/source_form.html"
    status = 200
    creating = source.pk is None
    if request.method == "POST":
        form = SourceForm(request.POST, instance=source)
        if form.is_valid():
            saved = _save(request, form, "created" if creating else "edited")
            if saved is not None:
                messages.success(request, f"Source saved (SHA-256 {saved.sha256[:12]}…).")
                if request.htmx and not creating:
                    source, form = saved, SourceForm(instance=saved)
                else:
                    return redirect("editing:source_edit", pk=saved.pk)
            else:
                form = _conflict_form(SourceForm, request, form.concurrent)
                source = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = SourceForm(instance=source)
    if request.htmx and request.method == "POST":
        template += "#source-form"
    return render(
        request,
        template,
        {"form": form, "source": source, "creating": creating},
        status=status,
    )


# --- points of contention -----------------------------------------------------------


def _points_context(incident: Incident, add_form: PointForm | None = None, **kw: Any):
    points = list(incident.points.all())
    forms = {p.pk: PointForm(instance=p, prefix=f"p{p.pk}") for p in points}
    forms.update(kw.get("forms", {}))
    return {
        "incident": incident,
        "rows": [(p, forms[p.pk]) for p in points],
        "add_form": add_form or PointForm(prefix="new"),
    }


def _points_response(
    request: HtmxHttpRequest, incident: Incident, status: int = 200, **kw: Any
) -> HttpResponse:
    if request.htmx or status != 200 or request.method == "GET":
        template = "editing/points.html"
        if request.htmx:
            template += "#points"
        return render(
            request, template, _points_context(incident, **kw), status=_status(request, status)
        )
    return redirect("editing:points", slug=incident.slug)


@editor_required
@require_GET
def points(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _points_response(request, get_object_or_404(Incident, slug=slug))


@editor_required
@require_POST
def point_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    incident = get_object_or_404(Incident, slug=slug)
    form = PointForm(request.POST, prefix="new")
    form.instance.incident = incident
    if form.is_valid():
        last = incident.points.aggregate(m=Max("order"))["m"]
        form.instance.order = 0 if last is None else last + 1
        _save(request, form, "added")
        messages.success(request, f"Point “{form.instance.label}” added.")
        return _points_response(request, incident)
    return _points_response(request, incident, 400, add_form=form)


@editor_required
@require_POST
def point_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(PointOfContention.objects.select_related("incident"), pk=pk)
    incident = point.incident
    form = PointForm(request.POST, instance=point, prefix=f"p{pk}")
    if form.is_valid():
        if _save(request, form, "renamed") is not None:
            messages.success(request, f"Point renamed to “{form.instance.label}”.")
            return _points_response(request, incident)
        current = form.concurrent
        data = request.POST.copy()
        data[f"p{pk}-version"] = str(current.version)
        fresh = PointOfContention.objects.get(pk=pk)
        form = PointForm(data, instance=fresh, prefix=f"p{pk}")
        form.is_valid()
        form.concurrent = current
        messages.error(
            request, f"Another editor renamed this point to “{current.label}” meanwhile."
        )
        return _points_response(request, incident, 409, forms={pk: form})
    return _points_response(request, incident, 400, forms={pk: form})


@editor_required
@require_POST
def point_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(PointOfContention.objects.select_related("incident"), pk=pk)
    incident = point.incident
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        messages.error(request, "Move a point up or down.")
        return _points_response(request, incident, 400)
    with transaction.atomic():
        ordered = list(incident.points.select_for_update().order_by("order", "id"))
        i = next(n for n, p in enumerate(ordered) if p.pk == point.pk)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ordered):
            ordered[i], ordered[j] = ordered[j], ordered[i]
            for order, p in enumerate(ordered):
                if p.order != order:
                    p.order = order
                    _reason(p, "reordered")
                    p.save_versioned(p.version)
    return _points_response(request, incident)


# --- history and revert -------------------------------------------------------------

HISTORY_MODELS: dict[str, Any] = {
    "incident": Incident,
    "statement": Statement,
    "source": Source,
    "point": PointOfContention,
    "claim": Claim,
    "annotation": Annotation,
}
PUBLICATION_FIELDS = {
    "incident": ("status", "published_at"),
    "statement": ("status", "published_at", "withdrawn_reason"),
}
# Bookkeeping fields that would only clutter a diff.
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "id"}


def _history_model(kind: str) -> Any:
    try:
        return HISTORY_MODELS[kind]
    except KeyError:
        raise Http404("No history for that kind of object.") from None


def _display(model: type[Model], field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    field: Any = model._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.related_model is not None:
        obj = field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%d %b %Y, %H:%M:%S} UTC"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


def _word_diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.split(" "), new.split(" ")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("del", " ".join(a[i1:i2])))
            if j2 > j1:
                out.append(("ins", " ".join(b[j1:j2])))
    return out


def _history_entries(model: type[Model], records: list[Any]) -> list[dict[str, Any]]:
    entries = []
    for n, record in enumerate(records):
        previous = records[n + 1] if n + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HIDDEN_FIELDS)
            for change in delta.changes:
                field = model._meta.get_field(change.field)
                label = str(getattr(field, "verbose_name", change.field)).capitalize()
                if getattr(field, "many_to_many", False):
                    old = ", ".join(_m2m_names(field, change.old))
                    new = ", ".join(_m2m_names(field, change.new))
                    changes.append({"label": label, "old": old or "—", "new": new or "—"})
                    continue
                old = _display(model, change.field, change.old)
                new = _display(model, change.field, change.new)
                row: dict[str, Any] = {"label": label, "old": old, "new": new}
                if isinstance(field, TextField) and change.old and change.new:
                    row["words"] = _word_diff(old, new)
                changes.append(row)
        entries.append({"record": record, "previous": previous, "changes": changes})
    return entries


def _m2m_names(field: Any, rows: list[dict[str, Any]]) -> list[str]:
    target = field.related_model
    attname = target._meta.model_name
    ids = [r.get(attname) for r in rows or []]
    return [str(o) for o in target._default_manager.filter(pk__in=ids)]


@editor_required
@require_GET
def history(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _history_model(kind)
    records = list(
        model.history.filter(id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:200]
    )
    if not records:
        raise Http404("No such object.")
    current = model._default_manager.filter(pk=pk).first()
    return render(
        request,
        "editing/history.html",
        {
            "kind": kind,
            "pk": pk,
            "current": current,
            "title": str(current or records[0].instance),
            "entries": _history_entries(model, records),
            "model_name": model._meta.verbose_name,
        },
    )


@editor_required
@require_POST
def history_revert(request: HtmxHttpRequest, kind: str, pk: int, history_id: int) -> HttpResponse:
    model = _history_model(kind)
    record = get_object_or_404(model.history.all(), id=pk, history_id=history_id)
    current = model._default_manager.filter(pk=pk).first()
    back = reverse("editing:history", args=[kind, pk])
    restored = record.instance
    _reason(restored, f"reverted to the version of {record.history_date:%Y-%m-%d %H:%M}")
    if current is not None:
        # Publication changes only through publish/unpublish/withdraw, never as a side
        # effect of a revert: a public statement must not silently disappear.
        for name in PUBLICATION_FIELDS.get(kind, ()):
            setattr(restored, name, getattr(current, name))
    expected = 0
    try:
        with transaction.atomic():
            if current is None:
                # A deleted claim or annotation comes back as it was.
                restored.version = 1
                restored.save(force_insert=True)
            else:
                expected = int(request.POST.get("version") or current.version)
                restored.save_versioned(expected)
            if isinstance(restored, Incident):
                places = getattr(record, "places", None)
                if places is not None:
                    restored.places.set([row.place_id for row in places.all()])
            if (
                isinstance(restored, Statement)
                and current is not None
                and current.text != restored.text
            ):
                lost = _reanchor_spans(restored)
                if lost:
                    messages.warning(request, f"{lost} span(s) flagged for review.")
    except StaleObjectError as exc:
        stored = cast(Any, exc.current)
        changed = "; ".join(
            f"{label}: {now}" for label, _then, now in stored.changes_since(expected)
        )
        messages.error(
            request,
            "Someone changed it after you opened this page; look again."
            + (f" Now: {changed}." if changed else ""),
        )
        return redirect(back)
    except ObjectDoesNotExist:
        messages.error(request, "It was deleted meanwhile.")
        return redirect(back)
    except (IntegrityError, ValidationError, ValueError):
        messages.error(
            request,
            "That version cannot be restored any more (its statement or point changed "
            "or was deleted).",
        )
        return redirect(back)
    messages.success(request, "Restored the earlier version.")
    return redirect(back)
