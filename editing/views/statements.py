"""Creating and editing statements, the speaker autocomplete, publishing and withdrawing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    ActorForm,
    StatementForm,
    WithdrawForm,
)
from incidents.models import (
    Actor,
    Incident,
    Party,
    Statement,
)
from incidents.templatetags.cards import valid_card_key

from .common import _conflict_form, _next_url, _reanchor_spans, _save, _status, _user


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
