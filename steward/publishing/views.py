"""Pages of publishing: the outbox (what went to the portal, what failed and why, retry),
and the catalogue CSV import (upload, every problem listed) and export (download).

Thin: `entry_for()` scopes outbox rows (404 outside), a form parses, a service acts, a
domain error becomes a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from steward.lib.pagination import page_rows
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, scope_q, scope_roots
from steward.publishing import services
from steward.publishing.catalogue import (
    CatalogueImportError,
    ImportReport,
    check_catalogue,
    import_catalogue,
    refuse_if_too_large,
    runs,
    stream_csv,
    stream_ndjson,
)
from steward.publishing.models import CatalogueImportRun, OutboxStatus, PublishingOutboxEntry

RECENT = 30
#: What the outbox page reads of an entry's dataset: only its title, state and organisation
#: (dataset rows are wide: every page of the outbox reads 100 of them).
LISTED = (
    *(f.name for f in PublishingOutboxEntry._meta.concrete_fields),
    "dataset__title",
    "dataset__status",
    "dataset__organisation__name",
    "dataset__organisation__short_name",
    "dataset__organisation__path",
)


def visible_entries(person: Person) -> QuerySet[PublishingOutboxEntry]:
    """Outbox rows of datasets the person may see."""
    return PublishingOutboxEntry.objects.filter(
        scope_q(person, Action.VIEW, field="dataset__organisation")
    ).select_related("dataset__organisation", "requested_by")


def entry_for(person: Person, pk: int, action: Action = Action.VIEW) -> PublishingOutboxEntry:
    """The outbox row `pk` if `person` may perform `action` on its dataset, else 404."""
    try:
        return PublishingOutboxEntry.objects.filter(
            scope_q(person, action, field="dataset__organisation")
        ).get(pk=pk)
    except PublishingOutboxEntry.DoesNotExist:
        raise Http404(_("No such outbox entry in your scope.")) from None


def ministries_for(person: Person, action: Action) -> QuerySet[Organisation]:
    """Ministries (roots of the tree) where `person` may perform `action`."""
    return organisations_for(person, action).filter(kind=OrganisationKind.MINISTRY)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Outbox status: what needs a person (refused, abandoned), what is waiting, what went."""
    person: Person = request.user  # type: ignore[assignment]
    entries = visible_entries(person).select_related(None).select_related("dataset__organisation")
    entries = entries.only(*LISTED)
    # One GROUP BY counts every status: the two pages' totals come from it, not two COUNTs.
    counts = dict(entries.values_list("status").annotate(n=Count("pk")).order_by())
    attention = page_rows(
        entries.filter(status__in=[OutboxStatus.FAILED, OutboxStatus.DEAD]).order_by(
            "-updated_at", "-pk"
        ),
        request,
        "attention_page",
        keys_first=True,
        count=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.DEAD, 0),
    )
    waiting = page_rows(
        entries.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]).order_by(
            "next_attempt_at", "pk"
        ),
        request,
        "waiting_page",
        keys_first=True,
        count=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.IN_FLIGHT, 0),
    )
    publish_roots = scope_roots(person, Action.DATASET_PUBLISH)  # read once, not per row
    for entry in attention:
        entry.can_retry = person.is_superuser or any(  # type: ignore[attr-defined]
            entry.dataset.organisation.is_within(root) for root in publish_roots
        )
    return render(
        request,
        "publishing/index.html",
        {
            "counts": [(status, counts.get(status.value, 0)) for status in OutboxStatus],
            "attention": attention,
            "waiting": waiting,
            "keep_waiting": f"waiting_page={waiting.number}&",
            "keep_attention": f"attention_page={attention.number}&",
            "recent": entries.filter(status=OutboxStatus.SUCCEEDED).order_by("-delivered_at")[
                :RECENT
            ],
            "may_catalogue": ministries_for(person, Action.DATASET_PUBLISH).exists()
            or ministries_for(person, Action.VIEW).exists(),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    entry = entry_for(person, pk)
    try:
        services.retry(entry, by=person)
    except services.PublishingError as error:
        messages.error(request, str(error))
    except PermissionDenied:
        messages.error(request, _("Only the information centre may send it again."))
    else:
        messages.success(
            request,
            _("%(identifier)s will be sent again within a minute.")
            % {"identifier": entry.identifier},
        )
    return redirect("publishing:index")


class CatalogueUploadForm(forms.Form):
    ministry = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=gettext_lazy("Ministry")
    )
    file = forms.FileField(
        label=gettext_lazy("Catalogue CSV (資料集目錄, 22 columns)"),
        help_text=gettext_lazy(
            "The file exported from data.gov.tw (.csv or .csv.gz), UTF-8 or Big5; all rows or "
            "none. A large file is imported in the background."
        ),
    )
    check_only = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("Only check the file; import nothing"),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ministry"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ministries_for(person, Action.DATASET_PUBLISH)


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """Import the portal's catalogue CSV (check first), and download the export."""
    person: Person = request.user  # type: ignore[assignment]
    report: ImportReport | None = None
    if request.method == "POST":
        form = CatalogueUploadForm(request.POST, request.FILES, person=person)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = ImportReport(file=upload.name)
            if refuse_if_too_large(upload.size or 0, report):
                pass  # never read a file over the limit into memory
            elif runs.in_background(upload):
                run = runs.start_import(
                    upload,
                    ministry=form.cleaned_data["ministry"],
                    by=person,
                    check_only=form.cleaned_data["check_only"],
                )
                return redirect("publishing:catalogue_run", pk=run.pk)
            else:
                report = _run_import(request, form, person)
    else:
        form = CatalogueUploadForm(person=person)
    return render(
        request,
        "publishing/catalogue.html",
        {
            "form": form,
            "report": report.as_json() if report is not None else None,
            "export_ministries": ministries_for(person, Action.VIEW),
            "runs": CatalogueImportRun.objects.filter(requested_by=person)[:5],
        },
    )


def _run_import(request: HttpRequest, form: CatalogueUploadForm, person: Person) -> ImportReport:
    upload = form.cleaned_data["file"]
    ministry: Organisation = form.cleaned_data["ministry"]
    data = upload.read()
    if form.cleaned_data["check_only"]:
        report = check_catalogue(data, ministry=ministry, file=upload.name)
        if report.ok:
            messages.info(
                request,
                _("%(summary)s Untick “only check” to import.") % {"summary": report.summary()},
            )
        return report
    try:
        report = import_catalogue(data, ministry=ministry, by=person, file=upload.name)
    except CatalogueImportError as error:
        return error.report
    messages.success(request, report.summary())
    return report


@login_required
def catalogue_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A background catalogue import: its progress, then its report."""
    person: Person = request.user  # type: ignore[assignment]
    run = get_object_or_404(
        CatalogueImportRun.objects.select_related("ministry"),
        pk=pk,
        ministry__in=ministries_for(person, Action.DATASET_PUBLISH),
    )
    return render(request, "publishing/catalogue_run.html", {"run": run})


@login_required
def catalogue_export(request: HttpRequest) -> HttpResponseBase:
    """Download the ministry's catalogue, streamed: CSV (UTF-8 with BOM) or NDJSON."""
    person: Person = request.user  # type: ignore[assignment]
    try:
        ministry = ministries_for(person, Action.VIEW).get(pk=int(request.GET.get("ministry", "0")))
    except (Organisation.DoesNotExist, ValueError):
        raise Http404(_("No such ministry in your scope.")) from None
    return catalogue_download(ministry, person, request.GET.get("format", "csv"))


def catalogue_download(ministry: Organisation, person: Person, kind: str) -> HttpResponseBase:
    """The streamed export response (shared by the page and the API)."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if kind == "ndjson":
        response: HttpResponseBase = StreamingHttpResponse(
            stream_ndjson(ministry, by=person), content_type="application/x-ndjson; charset=utf-8"
        )
        name = f"catalogue-{ministry.key}-{stamp}.ndjson"
    else:
        response = StreamingHttpResponse(
            stream_csv(ministry, by=person), content_type="text/csv; charset=utf-8"
        )
        name = f"catalogue-{ministry.key}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
