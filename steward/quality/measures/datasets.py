"""Quality results per resource and per dataset within a period: what counts in which term."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from steward.organisations.models import Organisation, OrganisationKind
from steward.quality.measures.periods import Period
from steward.quality.models import CheckResult, CheckState


@dataclass(frozen=True)
class ResourceVerdict:
    """The latest result of one resource in the period, with what counts against it."""

    key: str
    url: str
    state: str
    reason: str
    explanation: str
    run_id: int
    checked_at: datetime.datetime
    stars: int | None
    timely: bool | None
    lateness: str = ""  # why it is late (the timeliness check's explanation)
    mismatches: tuple[str, ...] = ()  # what of the metadata does not match

    @property
    def broken(self) -> bool:
        return self.state == CheckState.BROKEN

    @property
    def judged(self) -> bool:
        return self.state != CheckState.UNKNOWN

    @property
    def late(self) -> bool:
        return self.timely is False


@dataclass(frozen=True)
class Evidence:
    """One resource behind a dataset's count in a term, and why it counts."""

    resource: ResourceVerdict
    why: str


@dataclass(frozen=True)
class DatasetQuality:
    """One dataset's resources in the period, and the terms it counts in (each once)."""

    identifier: str
    title: str
    organisation_id: int | None
    resources: tuple[ResourceVerdict, ...]

    @property
    def judged(self) -> bool:
        """At least one resource was judged ok or broken (not only unknown)."""
        return any(r.judged for r in self.resources)

    @property
    def broken(self) -> bool:
        return any(r.broken for r in self.resources)

    @property
    def late(self) -> bool:
        return any(r.late for r in self.resources)

    @property
    def wrong_info(self) -> bool:
        return any(r.judged and r.mismatches for r in self.resources)

    @property
    def stars(self) -> int | None:
        """The best openness stars of the judged resources."""
        stars = [r.stars for r in self.resources if r.judged and r.stars is not None]
        return max(stars) if stars else None

    def evidence(self, term: str) -> tuple[Evidence, ...]:
        """The resources that put this dataset in `term`, each with why (for the pages)."""
        minimum = {"three_star": 3, "four_star": 4, "five_star": 5}.get(term)
        found = []
        for resource in self.resources:
            if term == "broken_links" and resource.broken:
                why = resource.explanation
            elif term == "not_timely" and resource.late:
                why = resource.lateness
            elif term == "wrong_info" and resource.judged and resource.mismatches:
                why = "；".join(resource.mismatches)
            elif minimum is not None and resource.judged and (resource.stars or 0) >= minimum:
                why = _("%(stars)s stars") % {"stars": resource.stars}
            elif term == "open_datasets":
                why = str(CheckState(resource.state).label)
            else:
                continue
            found.append(Evidence(resource, why))
        return tuple(found)

    def counts_in(self, term: str) -> bool:
        stars = self.stars or 0
        return {
            "not_timely": self.late,
            "broken_links": self.broken,
            "wrong_info": self.wrong_info,
            "three_star": stars >= 3,
            "four_star": stars >= 4,
            "five_star": stars >= 5,
            "open_datasets": self.judged,
        }[term]


@dataclass(frozen=True)
class OpenDataset:
    """An open dataset (on the portal in the period) that has no result in it."""

    identifier: str
    title: str
    organisation_id: int


def _mismatches(details: Mapping[str, Any], detected_format: str, detected_encoding: str) -> tuple[str, ...]:  # fmt: skip
    declared = details.get("declared") or {}
    found: list[str] = []
    verdict = ((details.get("checks") or {}).get("format") or {}).get("verdict")
    if verdict == "mismatch":
        found.append(
            _("format: declared %(declared)s, found %(found)s")
            % {"declared": declared.get("format") or "—", "found": detected_format or "—"}
        )
    if details.get("encoding_matches") is False:
        found.append(
            _("encoding: declared %(declared)s, found %(found)s")
            % {"declared": declared.get("encoding") or "—", "found": detected_encoding or "—"}
        )
    if details.get("fields_match") is False:
        found.append(_("the header does not match the field description (主要欄位說明)"))
    return tuple(found)


def covered_organisations(organisation: Organisation, *, include_subtree: bool) -> list[int]:
    """The organisation and its units; with `include_subtree`, everything below it.

    Without the subtree a ministry is 本部 (its own units), not its agencies, as in MOL's
    table of KPI targets per organisation.
    """
    rows = list(organisation.subtree().values_list("pk", "kind", "path"))
    if include_subtree:
        return [pk for pk, _kind, _path in rows]
    others = [
        path for pk, kind, path in rows if pk != organisation.pk and kind != OrganisationKind.UNIT
    ]
    return [pk for pk, _kind, path in rows if not any(path.startswith(o) for o in others)]


def latest_results(
    organisations: Iterable[int], period: Period, *, fields: Sequence[str] = ()
) -> list[CheckResult]:
    """The latest result of each resource of `organisations` checked within `period`.

    A verdict is stored once and each run that checks the resource points at it
    (`CheckEntry`), so "checked within the period" is read from those entries. Each result
    comes back with `checked_at` and `run_id` of the latest check in the period. `fields`
    reads only those columns (a dashboard counting marks needs no details).
    """
    start, end = period.bounds()
    found = (
        CheckResult.objects.annotate(
            seen_at=F("entries__checked_at"), seen_run=F("entries__run_id")
        )
        .filter(organisation_id__in=list(organisations), seen_at__gte=start, seen_at__lt=end)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("key")],
                order_by=[F("seen_at").desc(), F("seen_run").desc()],
            )
        )
        .filter(recency=1)
        .order_by("dataset_identifier", "key")
    )
    if fields:
        found = found.only("key", "dataset_identifier", *fields)
    rows: list[CheckResult] = []
    for row in found:
        row.checked_at, row.run_id = row.seen_at, row.seen_run
        rows.append(row)
    return rows


def dataset_qualities(results: Iterable[CheckResult]) -> list[DatasetQuality]:
    """Group latest results by dataset (a result without a dataset identifier stands alone)."""
    grouped: dict[str, list[CheckResult]] = {}
    for result in results:
        grouped.setdefault(result.dataset_identifier or result.key, []).append(result)
    datasets = []
    for identifier, rows in grouped.items():
        verdicts = tuple(
            ResourceVerdict(
                key=row.key,
                url=row.url,
                state=row.state,
                reason=row.reason,
                explanation=row.explanation,
                run_id=cast(int, row.run_id),  # the run that checked it (latest_results)
                checked_at=row.checked_at,
                stars=row.stars,
                timely=row.timely,
                lateness=str(
                    ((row.details.get("checks") or {}).get("timeliness") or {}).get(
                        "explanation", ""
                    )
                )
                if row.timely is False
                else "",
                mismatches=_mismatches(
                    row.details or {}, row.detected_format, row.detected_encoding
                )
                if row.state != CheckState.UNKNOWN
                else (),
            )
            for row in rows
        )
        datasets.append(
            DatasetQuality(
                identifier=identifier,
                title=rows[0].title,
                organisation_id=rows[0].organisation_id,
                resources=verdicts,
            )
        )
    return datasets


def open_datasets(organisations: Iterable[int], on: datetime.date) -> list[OpenDataset]:
    """Datasets of `organisations` open (開放) at the end of day `on`, from our database.

    Open: published on or before `on` (發布時間, else the first published version) and, at
    that day, not withdrawn (on the portal now, or withdrawn with a notice after `on`).
    """
    from steward.quality.services import open_datasets_query

    return [
        OpenDataset(identifier, title, organisation_id)
        for identifier, title, organisation_id in open_datasets_query(
            organisations=organisations, on=on, withdrawn_after=True
        ).values_list("identifier", "title", "organisation_id")
    ]
