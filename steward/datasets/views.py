"""Pages of datasets: list, my work, the metadata form, review with diff, history.

Views stay thin: `dataset_for()` scopes (404 outside), forms parse, a service acts, and a
domain error becomes a message. Nothing here changes state except through services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms import BaseForm, BoundField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.audit.labels import action_label, state_label
from steward.audit.services import history as audit_history
from steward.datasets import services
from steward.datasets.access import dataset_for, person_of
from steward.datasets.errors import DatasetError, MetadataIncomplete
from steward.datasets.forms import (
    DatasetForm,
    OrganisationChoiceForm,
    ResourceFormSet,
    initial_values,
    resource_values,
)
from steward.datasets.metadata import (
    DATASET_KEYS,
    RESOURCE_KEYS,
    agency_code_of,
    check,
    flatten,
    label_of,
    last_published_record,
    record_of,
    shown_value,
)
from steward.datasets.models import Dataset, Resource
from steward.datasets.standard import (
    FIELDS_BY_KEY,
    FieldDescriptionError,
    FieldProblem,
    UpdateFrequencyError,
    parse_field_description,
    parse_update_frequency,
)
from steward.datasets.step_views import step_forms
from steward.datasets.workflow import (
    EDITABLE,
    IN_REVIEW,
    IN_THE_FORM,
    Status,
    Step,
    available_steps,
    edit_approver_label,
    queue_q,
)
from steward.lib.pagination import page_rows
from steward.organisations.models import OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, scope_q

# ---------------------------------------------------------------- lists


#: What a row of the dataset lists shows (and `dataset.pk`, `organisation` for its link).
LIST_COLUMNS = (
    "identifier",
    "title",
    "status",
    "updated_at",
    "gender_statistics",
    "returned_reasons",
    "organisation__name",
    "organisation__path",
)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every dataset the person may see, filtered by status, agency and text."""
    person = person_of(request)
    datasets = (
        Dataset.objects.filter(scope_q(person, Action.VIEW))
        .select_related("organisation")
        # The columns the list shows, not every metadata field (descriptions are long).
        .only(*LIST_COLUMNS)
        .order_by("-updated_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        datasets = datasets.filter(status=status)
    agencies = organisations_for(person, Action.VIEW).exclude(kind=OrganisationKind.UNIT)
    agency_pk = request.GET.get("agency", "")
    if agency_pk.isdigit():
        agency = agencies.filter(pk=int(agency_pk)).first()
        if agency is not None:
            datasets = datasets.filter(organisation__path__startswith=agency.path)
    text = request.GET.get("q", "").strip()
    if text:
        datasets = datasets.filter(Q(title__icontains=text) | Q(identifier__icontains=text))
    page = page_rows(datasets, request)
    return render(
        request,
        "datasets/index.html",
        {
            "page": page,
            "statuses": Status.choices,
            "agencies": agencies,
            "status": status,
            "agency_pk": agency_pk,
            "q": text,
            "filters_query": urlencode({"status": status, "agency": agency_pk, "q": text}) + "&",
            "can_draft": organisations_for(person, Action.DATASET_DRAFT).exists(),
        },
    )


class InWorkflowOrder:
    """`datasets` status by status in workflow order (`Status`), each oldest update first.

    Sliced by the paginator: a slice reads only the statuses it spans, each by the (status,
    updated_at) index, instead of sorting every waiting row by a computed order.
    """

    def __init__(self, datasets: QuerySet[Dataset], *, counts: dict[str, int]) -> None:
        self.datasets = datasets
        self.counts = counts

    def count(self) -> int:
        return sum(self.counts.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Dataset]:
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        found: list[Dataset] = []
        offset = 0
        for status in Status.values:
            n = self.counts.get(status, 0)
            low, high = max(start - offset, 0), min(stop - offset, n)
            if low < high:
                in_status = self.datasets.filter(status=status).order_by("updated_at", "pk")
                found.extend(in_status[low:high])
            offset += n
        return found


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """My work (我的待辦): what waits for me given my roles, oldest first."""
    person = person_of(request)
    waiting = Dataset.objects.filter(queue_q(person))
    # How many wait in each status, over every page (one GROUP BY; also the page's total).
    counts = dict(waiting.order_by().values_list("status").annotate(n=Count("pk")))
    rows = InWorkflowOrder(
        waiting.select_related("organisation").only(*LIST_COLUMNS), counts=counts
    )
    page = page_rows(rows, request)  # type: ignore[arg-type]  # sliceable, with its count
    groups: dict[str, list[Dataset]] = {}
    for dataset in page:
        groups.setdefault(dataset.status, []).append(dataset)
    ordered = [
        (Status(status).label, counts[status], groups[status])
        for status in Status.values
        if status in groups
    ]
    return render(
        request,
        "datasets/queue.html",
        {"groups": ordered, "page": page, "in_the_form": IN_THE_FORM},
    )


# ---------------------------------------------------------------- the form


@dataclass
class Row:
    """One field of the form with the standard's problems beside it."""

    field: BoundField
    problems: list[FieldProblem]
    level: str = ""


@dataclass
class ResourceRow:
    form: BaseForm
    rows: list[Row] = field(default_factory=list)


def _problems_by_key(problems: Iterable[FieldProblem]) -> dict[str, list[FieldProblem]]:
    by_key: dict[str, list[FieldProblem]] = {}
    for problem in problems:
        by_key.setdefault(problem.key, []).append(problem)
    return by_key


def _rows(form: BaseForm, problems: dict[str, list[FieldProblem]], prefix: str = "") -> list[Row]:
    rows = []
    for bound in form.visible_fields():
        spec = FIELDS_BY_KEY.get(bound.name)
        rows.append(
            Row(bound, problems.get(prefix + bound.name, []), spec.level.label if spec else "")
        )
    return rows


def _resource_rows(formset: Any, problems: dict[str, list[FieldProblem]]) -> list[ResourceRow]:
    result = []
    for index, form in enumerate(formset.forms):
        result.append(ResourceRow(form, _rows(form, problems, f"distribution[{index}].")))
    return result


def _field_list(text: str) -> dict[str, Any]:
    """The parsed field list of 主要欄位說明, with the strict reading's complaint if any."""
    fields = parse_field_description(text or "")
    error = ""
    if text:
        try:
            parse_field_description(text, strict=True)
        except FieldDescriptionError as exc:
            error = str(exc)
    return {"declared_fields": fields, "field_error": error}


def _frequency(text: str) -> str:
    if not text:
        return ""
    try:
        parsed = parse_update_frequency(text)
    except UpdateFrequencyError as exc:
        return str(exc)
    if parsed.period is not None:
        return _("every %(period)s") % {"period": parsed.period}
    if parsed.months is not None:
        return _("every %(months)d month(s)") % {"months": parsed.months}
    return parsed.kind.value


def _apply_service_errors(error: ValidationError, form: BaseForm, formset: Any) -> None:
    """Put a service's ValidationError beside the fields it names."""
    for key, errors in error.message_dict.items():
        if key.startswith("distribution["):
            index_text, _dot, name = key[len("distribution[") :].partition("].")
            index = int(index_text) if index_text.isdigit() else -1
            if 0 <= index < len(formset.forms) and name in formset.forms[index].fields:
                for message in errors:
                    formset.forms[index].add_error(name, message)
                continue
        target = key if key in form.fields else None
        for message in errors:
            form.add_error(target, message)


def _render_form(
    request: HttpRequest,
    *,
    dataset: Dataset | None,
    form: DatasetForm,
    formset: Any,
    chooser: OrganisationChoiceForm | None,
    problems: list[FieldProblem],
    identifier_preview: str = "",
    status: int = 200,
) -> HttpResponse:
    by_key = _problems_by_key(problems)
    text = form["fieldDescription"].value() or ""
    return render(
        request,
        "datasets/form.html",
        {
            "dataset": dataset,
            "form": form,
            "formset": formset,
            "chooser": chooser,
            "rows": _rows(form, by_key),
            "resource_rows": _resource_rows(formset, by_key),
            "general_problems": by_key.get("distribution", []),
            "problem_count": sum(1 for p in problems if p.severity == "error"),
            "identifier_preview": identifier_preview,
            "frequency": _frequency(form["accrualPeriodicity"].value() or ""),
            "is_edit_of_published": dataset is not None and dataset.status not in EDITABLE,
            "edit_approver": edit_approver_label(dataset.organisation) if dataset else "",
            **_field_list(text),
            # The form already shows the standard's complaint beside the field; the live
            # fragment shows it again only while the liaison types.
            "field_error": "",
        },
        status=status,
    )


def _draft_organisations(person: Person) -> Any:
    return organisations_for(person, Action.DATASET_DRAFT).order_by("path")


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """The liaison drafts a new dataset; the identifier comes from the agency code."""
    person = person_of(request)
    organisations = _draft_organisations(person)
    if not organisations.exists():
        raise PermissionDenied(_("You may not draft datasets."))
    chooser = OrganisationChoiceForm(request.POST or None, organisations=organisations)
    first = organisations.first()
    assert first is not None
    if request.method == "POST":
        form = DatasetForm(request.POST)
        formset = ResourceFormSet(request.POST, queryset=Resource.objects.none(), prefix="res")
        problems: list[FieldProblem] = []
        if chooser.is_valid() and form.is_valid() and formset.is_valid():
            organisation = chooser.cleaned_data["organisation"]
            submitting = "submit" in request.POST
            try:
                # 「儲存並送審」 drafts and submits in one go: refused, it leaves no draft and
                # uses up no identifier; the form comes back with everything typed in it.
                dataset = (services.create_and_submit if submitting else services.create_dataset)(
                    by=person,
                    organisation=organisation,
                    values=form.values(),
                    resources=resource_values(formset),
                )
            except ValidationError as error:
                _apply_service_errors(error, form, formset)
            except MetadataIncomplete as error:
                messages.error(request, error.message)
                problems = error.problems
            except DatasetError as error:
                messages.error(request, error.message)
            else:
                if submitting:
                    messages.success(request, _("Submitted for review."))
                    return redirect("datasets:detail", pk=dataset.pk)
                messages.success(
                    request, _("Draft %(identifier)s saved.") % {"identifier": dataset.identifier}
                )
                return redirect("datasets:edit", pk=dataset.pk)
        return _render_form(
            request,
            dataset=None,
            form=form,
            formset=formset,
            chooser=chooser,
            problems=problems,
            status=400,
        )
    form = DatasetForm(initial=initial_values(first, person))
    formset = ResourceFormSet(queryset=Resource.objects.none(), prefix="res")
    formset.extra = 1
    code = agency_code_of(first)
    return _render_form(
        request,
        dataset=None,
        form=form,
        formset=formset,
        chooser=chooser,
        problems=[],
        identifier_preview=f"{code}-……" if code else "",
    )


def _after_save(request: HttpRequest, dataset: Dataset, person: Person) -> HttpResponse:
    """After saving a draft: submit it too if asked, else back to the form with its problems."""
    if "submit" in request.POST:
        try:
            services.submit_for_review(dataset, by=person)
        except MetadataIncomplete as error:
            messages.error(request, error.message)
            return redirect("datasets:edit", pk=dataset.pk)
        except DatasetError as error:
            messages.error(request, error.message)
            return redirect("datasets:edit", pk=dataset.pk)
        messages.success(request, _("Submitted for review."))
        return redirect("datasets:detail", pk=dataset.pk)
    return redirect("datasets:edit", pk=dataset.pk)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft or returned dataset, or propose an edit of a published one."""
    person = person_of(request)
    dataset = dataset_for(person, pk, Action.DATASET_DRAFT)
    if Step.EDIT not in available_steps(person, dataset):
        messages.error(
            request,
            _("The dataset cannot be edited while it is “%(status)s”.")
            % {"status": dataset.get_status_display()},
        )
        return redirect("datasets:detail", pk=dataset.pk)
    resources = dataset.resources.all()
    if request.method == "POST":
        form = DatasetForm(request.POST, instance=Dataset.objects.get(pk=dataset.pk))
        formset = ResourceFormSet(request.POST, queryset=resources, prefix="res")
        if form.is_valid() and formset.is_valid():
            try:
                if dataset.status in EDITABLE:
                    services.update_dataset(
                        dataset,
                        by=person,
                        values=form.values(),
                        resources=resource_values(formset),
                    )
                else:
                    services.propose_edit(
                        dataset,
                        by=person,
                        values=form.values(),
                        resources=resource_values(formset),
                        comment=request.POST.get("comment", ""),
                    )
            except ValidationError as error:
                _apply_service_errors(error, form, formset)
            except MetadataIncomplete as error:
                messages.error(request, error.message)
                return _render_form(
                    request,
                    dataset=dataset,
                    form=form,
                    formset=formset,
                    chooser=None,
                    problems=error.problems,
                    status=400,
                )
            except DatasetError as error:
                messages.error(request, error.message)
            else:
                if dataset.status == Status.SCHEDULED:
                    messages.success(request, _("Edit queued for re-publishing."))
                    return redirect("datasets:detail", pk=dataset.pk)
                if dataset.status not in EDITABLE:
                    messages.success(
                        request,
                        _("Edit sent for approval: %(approver)s.")
                        % {"approver": edit_approver_label(dataset.organisation)},
                    )
                    return redirect("datasets:detail", pk=dataset.pk)
                messages.success(request, _("Saved."))
                return _after_save(request, dataset, person)
        return _render_form(
            request,
            dataset=dataset,
            form=form,
            formset=formset,
            chooser=None,
            problems=[],
            status=400,
        )
    form = DatasetForm(instance=dataset)
    formset = ResourceFormSet(queryset=resources, prefix="res")
    formset.extra = 1  # one empty resource to add; left empty, it is ignored
    return _render_form(
        request,
        dataset=dataset,
        form=form,
        formset=formset,
        chooser=None,
        problems=check(dataset),
    )


@login_required
@require_POST
def field_list(request: HttpRequest) -> HttpResponse:
    """htmx fragment: 主要欄位說明 parsed into the field list, as the liaison types."""
    return render(
        request,
        "datasets/_field_list.html",
        _field_list(request.POST.get("fieldDescription", "")),
    )


# ---------------------------------------------------------------- reading


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One dataset: its metadata, resources, where it stands, and what I can do now."""
    person = person_of(request)
    dataset = dataset_for(person, pk)
    resources = list(dataset.resources.all())  # read once: the record and the table show them
    return render(
        request,
        "datasets/detail.html",
        {
            "dataset": dataset,
            "record_rows": [
                (FIELDS_BY_KEY[key].label, _show(value, key))
                for key, value in record_of(dataset, resources).items()
                if key in FIELDS_BY_KEY
            ],
            "resources": resources,
            "versions": dataset.versions.order_by("-number"),
            "decisions": dataset.committee_decisions.select_related("meeting"),
            "withdrawals": dataset.withdrawals.all(),
            "frequency": _frequency(dataset.accrualPeriodicity),
            "in_review": dataset.status in IN_REVIEW,
            **_field_list(dataset.fieldDescription),
            **step_forms(person, dataset),
        },
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page: the metadata beside the last published version, changes marked."""
    person = person_of(request)
    dataset = dataset_for(person, pk)
    current = flatten(record_of(dataset))
    published_record = last_published_record(dataset)
    published = flatten(published_record)
    rows = []
    order = list(DATASET_KEYS)
    resource_keys = sorted(
        {key for key in (*current, *published) if key.startswith("distribution[")},
        key=lambda key: (key.split("]")[0], _resource_position(key)),
    )
    for key in [*order, *resource_keys]:
        now, before = current.get(key), published.get(key)
        if now is None and before is None:
            continue
        rows.append(
            {
                "label": label_of(key),
                "key": key,
                "published": _show(before, key),
                "current": _show(now, key),
                "changed": published_record is not None and now != before,
            }
        )
    return render(
        request,
        "datasets/review.html",
        {
            "dataset": dataset,
            "rows": rows,
            "never_published": published_record is None,
            "changed_count": sum(1 for row in rows if row["changed"]),
            "problems": [p for p in check(dataset) if p.severity == "error"],
            "decisions": dataset.committee_decisions.select_related("meeting"),
            **_field_list(dataset.fieldDescription),
            **step_forms(person, dataset),
        },
    )


def _resource_position(key: str) -> int:
    name = key.rpartition(".")[2]
    return RESOURCE_KEYS.index(name) if name in RESOURCE_KEYS else len(RESOURCE_KEYS)


def _show(value: Any, key: str = "") -> str:
    """A metadata value as people read it (`metadata.shown_value`)."""
    return shown_value(key, value)


def _change_label(key: str) -> str:
    """The label of a changed key: the standard's Chinese label, or our field's name."""
    if key in FIELDS_BY_KEY or key.startswith("distribution["):
        return label_of(key)
    names = {field.name: field.verbose_name for field in Dataset._meta.concrete_fields}
    return str(names.get(key, key))


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every audit event of the dataset: who, when, from → to, comment and the diff."""
    person = person_of(request)
    dataset = dataset_for(person, pk)
    events = []
    for event in audit_history(dataset):
        events.append(
            {
                "event": event,
                "verb": action_label(event.action),
                "from": state_label(event.from_state),
                "to": state_label(event.to_state),
                "changes": [
                    {
                        "label": _change_label(key),
                        "from": _show(change.get("from")),
                        "to": _show(change.get("to")),
                    }
                    for key, change in event.changes.items()
                    if key not in ("status",)
                ],
            }
        )
    return render(request, "datasets/history.html", {"dataset": dataset, "events": events})
