"""Import pages (editors only): paste an article, review the proposals, save; bulk
uploads run as background jobs whose progress the page polls with htmx."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import TooManyFilesSent, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import editor_required
from accounts.models import User
from core.http import HtmxHttpRequest
from incidents.models import Incident, Party, Statement

from .forms import ArticleForm, BulkForm, SaveForm, StatementReviewForm
from .models import ImportDraft, ImportJob
from .nlp import model_status
from .saving import save_import

logger = logging.getLogger("parallax.imports")


def _user(request: HtmxHttpRequest) -> User | None:
    # The role decorators let only signed-in editors through.
    return request.user if isinstance(request.user, User) else None


def _draft(pk: int) -> ImportDraft:
    return get_object_or_404(ImportDraft, pk=pk)


@editor_required
@require_http_methods(["GET", "POST"])
def new(request: HtmxHttpRequest) -> HttpResponse:
    """Paste an article; on success, the review screen."""
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        draft = form.save(by=_user(request))
        return redirect(draft)
    context = {
        "form": form,
        "model_problem": model_status(),
        "drafts": ImportDraft.objects.awaiting_review().select_related("created_by")[:20],
        "jobs": ImportJob.objects.select_related("created_by")[:5],
    }
    status = 400 if form.errors else 200
    return render(request, "imports/new.html", context, status=status)


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _review_context(draft: ImportDraft) -> dict[str, object]:
    text = draft.text
    parties = {p.slug: p for p in Party.objects.all()}
    party_choices = [(p.slug, p.name) for p in parties.values()]
    items = []
    for index, item in enumerate(draft.statements):
        s0, s1 = item["sentence_start"], item["sentence_end"]
        c0, c1 = item["start"], item["end"]
        s0, s1 = min(s0, c0), max(s1, c1)
        items.append(
            {
                "index": index,
                "item": item,
                "party": parties.get(item.get("party") or ""),
                "new_party": item.get("new_party")
                if item.get("party") and item.get("party") not in parties
                else None,
                "kind_label": _label(Statement.Kind, item["kind"]),
                "type_label": _label(Statement.Type, item["statement_type"]),
                "decision_label": _label(ImportDraft.Decision, item.get("decision", "")),
                "before": text[max(0, s0 - 200) : s0],
                "sentence_before": text[s0:c0],
                "content": text[c0:c1],
                "sentence_after": text[c1:s1],
                "after": text[s1 : s1 + 200],
                "form": StatementReviewForm(
                    draft=draft,
                    index=index,
                    party_choices=party_choices,
                    initial={
                        "decision": item.get("decision"),
                        "speaker": item["speaker"],
                        "party": item.get("party") or None,
                        "span": f"{item['start']}-{item['end']}",
                        "text": item["text"],
                        "kind": item["kind"],
                        "statement_type": item["statement_type"],
                        "leaning": item.get("leaning", ""),
                        "leaning_towards": item.get("leaning_towards") or None,
                        "points": item.get("points", []),
                    },
                ),
            }
        )
    accepted = len(draft.accepted())
    return {"draft": draft, "items": items, "accepted_count": accepted}


@editor_required
@require_http_methods(["GET"])
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    proposals = draft.proposals
    save_form = SaveForm(
        draft=draft,
        initial={
            "title": draft.title,
            "date_start": proposals.get("incident_date") or draft.published_on,
        },
    )
    context = _review_context(draft) | {
        "save_form": save_form,
        "earlier_imports": draft.earlier_imports(),
    }
    return render(request, "imports/review.html", context)


@editor_required
@require_POST
def decide(request: HtmxHttpRequest, pk: int, index: int) -> HttpResponse:
    """Accept, correct or drop one proposal; htmx gets the updated proposal back."""
    draft = _draft(pk)
    if not draft.is_open:
        messages.error(request, "This import has already been saved or discarded.")
        if request.htmx:
            return HttpResponseClientRedirect(draft.get_absolute_url())
        return redirect(draft)
    try:
        form = StatementReviewForm(request.POST, draft=draft, index=index)
    except IndexError:
        raise Http404("No such proposed statement.") from None
    if form.is_valid():
        try:
            draft.update_statement(index, form.changes())
        except ValidationError as exc:
            # Saved or discarded by someone else since this page was loaded.
            messages.error(request, " ".join(exc.messages))
            if request.htmx:
                return HttpResponseClientRedirect(draft.get_absolute_url())
            return redirect(draft)
    if not request.htmx:
        if form.errors:
            messages.error(request, f"Statement {index + 1}: {form.errors.as_text()}")
        return redirect(draft)
    context = _review_context(draft)
    entry = context["items"][index]  # type: ignore[index]
    if form.errors:
        entry["form"] = form
    context |= {"entry": entry}
    response = render(request, "imports/review.html#proposal", context)
    response["HX-Trigger"] = "importDecisionsChanged"
    return response


@editor_required
@require_http_methods(["GET"])
def save_summary(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The save bar's count of accepted statements (refreshed after each decision)."""
    draft = _draft(pk)
    return render(request, "imports/review.html#save-count", _review_context(draft))


@editor_required
@require_POST
def save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    form = SaveForm(request.POST, draft=draft)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = save_import(
                draft,
                by=_user(request),
                incident=data.get("incident"),
                conflict=data.get("conflict"),
                new_conflict=data.get("new_conflict") or "",
                sides=data.get("sides") or [],
                title=data.get("title") or "",
                date_start=data.get("date_start"),
                add_third_parties=data.get("add_third_parties", False),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                f"{len(draft.accepted())} statements saved as drafts on “{incident.title}”.",
            )
            url = _incident_url(incident)
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
    else:
        error = "Check the incident fields below."
    context = _review_context(draft) | {"save_form": form, "save_error": error}
    if request.htmx:
        return render(request, "imports/review.html#save-panel", context, status=400)
    return render(request, "imports/review.html", context, status=400)


def _incident_url(incident: Incident) -> str:
    return incident.get_absolute_url()


@editor_required
@require_POST
def discard(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    if draft.is_open:
        if draft.discard():
            messages.info(request, "The import was discarded; nothing was saved.")
        else:
            messages.error(request, "Someone saved or discarded this import meanwhile.")
    return redirect("imports:new")


# The CSRF check is made by the view itself (csrf_protect below), after the size
# check: the site-wide middleware would read, and spool to disk, a body of any size
# before the view could refuse it.
@csrf_exempt
@editor_required
@require_http_methods(["GET", "POST"])
def bulk(request: HtmxHttpRequest) -> HttpResponse:
    """Upload many articles; their files go to storage and a background job imports
    them (ImportJob.from_uploads). Nothing is stored unless every file is accepted."""
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Refused before the body is read: an oversized upload never reaches the disk.
        # (A little room above the limit for the form's other fields and boundaries.)
        if length > settings.IMPORT_BULK_MAX_BYTES + 65536:
            return _bulk_page(
                request,
                BulkForm(),
                f"The upload is {length / 1_048_576:.1f} MB; the limit is "
                f"{_limit_mb()} MB. Upload the files in parts.",
                status=413,
            )
        try:
            request.FILES  # noqa: B018 (reads the body: Django's own file count check)
        except TooManyFilesSent:
            return _bulk_page(
                request,
                BulkForm(),
                f"Too many files in one upload; at most {settings.IMPORT_BULK_MAX_FILES} "
                "at a time. Upload them in parts.",
                status=400,
            )
    return _bulk_form(request)


@csrf_protect
def _bulk_form(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = ImportJob.from_uploads(form.cleaned_data["articles"], by=_user(request))
        except OSError:
            logger.exception("Bulk upload: its files could not be stored")
            return _bulk_page(
                request,
                form,
                "The files could not be stored (the server's storage failed); nothing was "
                "imported. Try again in a moment.",
                status=503,
            )
        return redirect(job)
    return _bulk_page(request, form, "", status=400 if form.errors else 200)


def _bulk_page(request: HtmxHttpRequest, form: BulkForm, error: str, status: int) -> HttpResponse:
    context = {
        "form": form,
        "model_problem": model_status(),
        "limit_mb": _limit_mb(),
        "max_files": settings.IMPORT_BULK_MAX_FILES,
        "upload_error": error,
    }
    return render(request, "imports/bulk.html", context, status=status)


def _limit_mb() -> str:
    return f"{round(settings.IMPORT_BULK_MAX_BYTES / 1_048_576, 1):g}"


@editor_required
@require_http_methods(["GET"])
def job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    # The page polls while the job runs: it is also where a dead worker is noticed.
    ImportJob.objects.filter(pk=pk).recover_stale()
    job = get_object_or_404(ImportJob, pk=pk)
    context = {"job": job, "drafts": job.drafts.all()}
    template = "imports/job.html"
    if request.htmx:
        template += "#job-progress"
    return render(request, template, context)


@editor_required
@require_POST
def job_discard(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Give up a failed job: its remaining articles are dropped and their stored files
    deleted (the drafts it made stay)."""
    job = get_object_or_404(ImportJob, pk=pk)
    if job.discard():
        messages.info(request, "The job was discarded; its remaining files were deleted.")
    else:
        messages.error(request, "Only a failed job can be discarded.")
    return redirect(job)


@editor_required
@require_POST
def job_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Run a failed job again, from the article where it stopped."""
    with transaction.atomic():
        job = get_object_or_404(ImportJob.objects.select_for_update(of=("self",)), pk=pk)
        if job.can_retry:
            job.retry()
            messages.success(request, f"The job continues from article {job.processed + 1}.")
        else:
            messages.error(request, "Only a failed job with articles left can be retried.")
    return redirect(job)
