"""Pages of the inventory: the list with filters and targets, the item form, import, export,
and the yearly return's workflow (submit, compile, approve, return)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.audit.services import histories, history
from steward.inventory import imports, services
from steward.inventory.changes import ImportPreview
from steward.inventory.exporting import FORMATS, export_items
from steward.inventory.forms import (
    ApproveForm,
    CompileForm,
    FilterForm,
    ImportForm,
    ItemForm,
    RecheckForm,
    ReturnForm,
    SubmitForm,
)
from steward.inventory.models import (
    ImportStatus,
    InventoryCompilation,
    InventoryImport,
    InventoryItem,
    InventoryStatus,
)
from steward.inventory.queries import (
    ItemFilters,
    agency_for,
    compilation_for,
    filter_items,
    item_for,
    returns_of,
    visible_agencies,
    visible_items,
)
from steward.inventory.spreadsheets import ExportError, Problem, SpreadsheetError, check_size
from steward.inventory.targets import target_rows
from steward.inventory.workflow import Step, StepRules
from steward.lib.bounds import MAX_YEAR, MIN_YEAR, year_in_range
from steward.lib.pagination import Page, page_of
from steward.lib.years import year_label
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, can, organisations_for


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _year(request: HttpRequest) -> int:
    """The year the page asks for; this year when it asks for none or for one we do not keep."""
    this_year = timezone.localdate().year
    asked = request.GET.get("year", "")
    if not asked:
        return this_year
    try:
        year = int(asked)
    except ValueError:
        year = 0
    if not year_in_range(year):
        messages.error(
            request,
            _("“%(year)s” is not a year we keep (%(first)s to %(last)s); showing %(this)s.")
            % {"year": asked, "first": MIN_YEAR, "last": MAX_YEAR, "this": this_year},
        )
        return this_year
    return year


def _filters(request: HttpRequest) -> tuple[FilterForm, ItemFilters]:
    person = _person(request)
    form = FilterForm(request.GET or None, organisations=organisations_for(person, Action.VIEW))
    filters = ItemFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = ItemFilters(
            agency=data["agency"],
            unit=data["unit"],
            classification=data["classification"],
            year=data["year"],
            status=data["status"],
            gender_statistics=data["gender_statistics"],
            q=data["q"].strip(),
        )
    return form, filters


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _page(request: HttpRequest, items: QuerySet[InventoryItem]) -> Page[InventoryItem]:
    """The page asked for; a page that does not exist says so and shows the nearest one."""
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        number = 0
    if number < 1:
        messages.warning(request, _("Pages are numbered from 1."))
        return page_of(items, number=1)
    try:
        return page_of(items, number=number)
    except Http404:
        last = page_of(items, number=1).pages
        messages.warning(
            request,
            _("There is no page %(number)d: the last page is %(last)d.")
            % {"number": number, "last": last},
        )
        return page_of(items, number=last)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The inventory with filters, and totals per agency against the year's targets."""
    person = _person(request)
    form, filters = _filters(request)
    items = filter_items(visible_items(person), filters).order_by("agency__path", "identifier")
    page = _page(request, items)
    year = filters.year or timezone.localdate().year
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inventory/index.html",
        {
            "form": form,
            "page": page,
            "count": page.count,
            "year": year,
            "rows": target_rows(visible_agencies(person), year),
            "query": query.urlencode(),
            "formats": FORMATS,
            "can_edit": organisations_for(person, Action.INVENTORY_EDIT).exists(),
        },
    )


@login_required
def item_create(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    editable = organisations_for(person, Action.INVENTORY_EDIT)
    if not editable.exists():
        raise PermissionDenied(_("You may not edit any inventory."))
    form = ItemForm(request.POST or None, organisations=editable)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.create_item(
                by=person, organisation=form.cleaned_data["organisation"], data=form.item_data()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Item %(id)s added.") % {"id": item.identifier})
            return redirect("inventory:index")
    return render(request, "inventory/item_form.html", {"form": form, "item": None})


def _add_errors(form: ItemForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field_name, messages_ in error.message_dict.items():
            target = "planned" if field_name in ("planned_year", "planned_half") else field_name
            form.add_error(target if target in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    item = item_for(person, pk)
    may_edit = can(person, Action.INVENTORY_EDIT, item.organisation)
    editable = organisations_for(person, Action.INVENTORY_EDIT).filter(
        path__startswith=item.agency.path
    )
    form = ItemForm(
        request.POST if request.method == "POST" else None,
        instance=item,
        organisations=editable if may_edit else organisations_for(person, Action.VIEW),
    )
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("You may not edit this item."))
        if form.is_valid():
            try:
                services.update_item(
                    item,
                    by=person,
                    data=form.item_data(),
                    organisation=form.cleaned_data["organisation"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Item %(id)s saved.") % {"id": item.identifier})
                return redirect("inventory:index")
    return render(
        request,
        "inventory/item_form.html",
        {"form": form, "item": item, "may_edit": may_edit, "history": history(item)},
    )


def _editable_or_refuse(person: Person) -> QuerySet[Organisation]:
    editable = organisations_for(person, Action.INVENTORY_EDIT)
    if not editable.exists():
        raise PermissionDenied(_("You may not edit any inventory."))
    return editable


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet; the next page previews what it would change."""
    person = _person(request)
    form = ImportForm(
        request.POST or None, request.FILES or None, organisations=_editable_or_refuse(person)
    )
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.name, upload.size or 0)
        except SpreadsheetError as error:
            problems = error.problems
        else:
            stored = imports.start_import(
                upload.name,
                upload.read(),
                by=person,
                default_organisation=form.cleaned_data["organisation"],
                remove_missing=form.cleaned_data["remove_missing"],
            )
            return redirect("inventory:import_detail", token=stored.token)
    return render(
        request,
        "inventory/import.html",
        {"form": form, "problems": problems},
        status=400 if problems else 200,
    )


def _stored_import(request: HttpRequest, token: str) -> InventoryImport:
    """The person's own stored import; 404 for anybody else's."""
    try:
        return InventoryImport.objects.select_related("default_organisation").get(
            token=token, created_by=_person(request)
        )
    except InventoryImport.DoesNotExist:
        raise Http404(_("No such import.")) from None


@login_required
def import_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The preview (added, changed cell by cell, unchanged, not in the file), its problems,
    or the progress of a background check or import."""
    person = _person(request)
    upload = _stored_import(request, token)
    editable = _editable_or_refuse(person)
    form = RecheckForm(
        request.POST or None,
        organisations=editable,
        initial={
            "organisation": upload.default_organisation,
            "remove_missing": upload.remove_missing,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.recheck(
                upload,
                by=person,
                default_organisation=form.cleaned_data["organisation"],
                remove_missing=form.cleaned_data["remove_missing"],
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        return redirect("inventory:import_detail", token=upload.token)
    preview = ImportPreview.from_dict(upload.preview) if upload.preview else None
    status = 400 if upload.status == ImportStatus.PROBLEMS else 200
    return render(
        request,
        "inventory/import_preview.html",
        {"upload": upload, "preview": preview, "form": form, "statuses": ImportStatus},
        status=status,
    )


@login_required
def import_progress(request: HttpRequest, token: str) -> HttpResponse:
    """The progress bar htmx polls; when the job has finished, the page reloads."""
    upload = _stored_import(request, token)
    response = render(request, "inventory/import_progress.html", {"upload": upload})
    if not upload.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Apply exactly the previewed change (or refuse if the inventory changed meanwhile)."""
    upload = _stored_import(request, token)
    try:
        upload = imports.confirm_import(upload, by=_person(request))
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("inventory:import_detail", token=upload.token)
    if upload.status == ImportStatus.APPLIED:
        messages.success(request, upload.message)
        return redirect("inventory:index")
    return redirect("inventory:import_detail", token=upload.token)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX, ODS or CSV (UTF-8 with BOM, or Big5)."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    _form, filters = _filters(request)
    items = filter_items(visible_items(_person(request)), filters).order_by(
        "agency__path", "identifier"
    )
    try:
        content, content_type, extension = export_items(items, fmt)
    except ExportError as error:
        messages.error(request, str(error))
        return redirect(reverse("inventory:index") + "?" + request.GET.urlencode())
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    suffix = "-big5" if fmt == "csv-big5" else ""
    response["Content-Disposition"] = (
        f'attachment; filename="inventory-{stamp}{suffix}.{extension}"; '
        f"filename*=UTF-8''%E8%B3%87%E6%96%99%E8%B3%87%E7%94%A2%E7%9B%A4%E9%BB%9E%E8%A1%A8-{stamp}{suffix}.{extension}"
    )
    return response


@login_required
def returns(request: HttpRequest) -> HttpResponse:
    """The year's returns: each agency's state, figures and the buttons its people may press."""
    person = _person(request)
    year = _year(request)
    agencies = visible_agencies(person)
    existing = {r.agency_id: r for r in returns_of(person, year)}
    rules = StepRules(person)
    events = histories(list(existing.values()))
    cards: list[dict[str, Any]] = []
    for row in target_rows(agencies, year):
        agency = row.organisation
        inventory = existing.get(agency.pk)
        state = inventory.status if inventory else InventoryStatus.DRAFT
        steps = rules.available(agency, state)
        cards.append(
            {
                "row": row,
                "inventory": inventory,
                "status": InventoryStatus(state),
                "may_submit": Step.SUBMIT in steps,
                "may_return": inventory is not None and Step.RETURN in steps,
                "may_agency_approve": inventory is not None and Step.AGENCY_APPROVE in steps,
                "history": events.get(inventory.pk, []) if inventory else [],
            }
        )
    ministries = [a for a in agencies if a.parent_id is None]
    of_ministry = {
        c.ministry_id: c
        for c in InventoryCompilation.objects.filter(ministry__in=ministries, year=year)
    }
    compilation_events = histories(list(of_ministry.values()))
    compilations = []
    for ministry in ministries:
        compilation = of_ministry.get(ministry.pk)
        submitted = sum(
            1
            for card in cards
            if card["inventory"] is not None
            and card["inventory"].status == InventoryStatus.SUBMITTED
            and card["row"].organisation.is_within(ministry)
        )
        # Returns may wait to be compiled while the compilation waits for the CIO.
        waiting = [InventoryStatus.SUBMITTED] if submitted else []
        if compilation is not None and compilation.status == InventoryCompilation.Status.COMPILED:
            waiting.append(InventoryStatus.COMPILED)
        steps = [
            step
            for status in waiting
            for step in rules.available(ministry, status, compilation=True)
        ]
        compilations.append(
            {
                "ministry": ministry,
                "compilation": compilation,
                "submitted": submitted,
                "may_compile": Step.COMPILE in steps,
                "may_approve": Step.APPROVE in steps,
                "history": compilation_events.get(compilation.pk, []) if compilation else [],
            }
        )
    return render(
        request,
        "inventory/returns.html",
        {
            "year": year,
            "years": range(timezone.localdate().year + 2, timezone.localdate().year - 5, -1),
            "cards": cards,
            "compilations": compilations,
            "submit_form": SubmitForm(),
            "return_form": ReturnForm(),
            "compile_form": CompileForm(),
            "approve_form": ApproveForm(),
            "steps": Step,
        },
    )


def _back(year: int) -> HttpResponse:
    return redirect(reverse("inventory:returns") + f"?year={year}")


@login_required
@require_POST
def submit(request: HttpRequest, agency_pk: int, year: int) -> HttpResponse:
    person = _person(request)
    agency = agency_for(person, agency_pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        inventory = services.inventory_for(agency, year)
        services.submit_inventory(
            inventory, by=person, shortfall_reason=form.cleaned_data.get("shortfall_reason", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The inventory of %(agency)s was submitted.") % {"agency": agency}
        )
    return _back(year)


@login_required
@require_POST
def agency_approve(request: HttpRequest, agency_pk: int, year: int) -> HttpResponse:
    """The agency's own CIO approves its return before the centre compiles it (MOEA)."""
    person = _person(request)
    agency = agency_for(person, agency_pk)
    try:
        services.approve_for_agency(services.inventory_for(agency, year), by=person)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The inventory of %(agency)s was approved and goes to the information centre.")
            % {"agency": agency},
        )
    return _back(year)


@login_required
@require_POST
def return_view(request: HttpRequest, agency_pk: int, year: int) -> HttpResponse:
    person = _person(request)
    agency = agency_for(person, agency_pk)
    form = ReturnForm(request.POST)
    form.is_valid()
    try:
        inventory = services.inventory_for(agency, year)
        services.return_inventory(inventory, by=person, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The inventory of %(agency)s was returned.") % {"agency": agency}
        )
    return _back(year)


@login_required
@require_POST
def compile_view(request: HttpRequest, ministry_pk: int, year: int) -> HttpResponse:
    person = _person(request)
    ministry = agency_for(person, ministry_pk)
    form = CompileForm(request.POST)
    form.is_valid()
    try:
        services.compile_inventories(
            ministry, year, by=person, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The %(year)s inventories were compiled.") % {"year": year_label(year)}
        )
    return _back(year)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    compilation = compilation_for(person, pk)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        services.approve_compilation(
            compilation, by=person, comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The %(year)s inventory was approved.") % {"year": year_label(compilation.year)},
        )
    return _back(compilation.year)
