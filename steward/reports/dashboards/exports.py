"""The export menu of a dashboard: links to the corresponding report (`reports:download`).

Every dashboard is exportable as its report: the centre's and an agency's as the quarterly
progress report, the committee's as its agenda, in each format the report kind offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from steward.organisations.models import Organisation
from steward.quality.measures.periods import Period
from steward.reports import kinds

#: Which report each dashboard exports as.
CENTRE_KIND = "quarterly_progress"
AGENCY_KIND = "quarterly_progress"
COMMITTEE_KIND = "committee_agenda"

#: What a person reads for each format (file types are their own names in every language).
FORMAT_LABELS = {"odt": "ODT", "ods": "ODS", "xlsx": "XLSX", "pdf": "PDF"}


@dataclass(frozen=True)
class ExportLink:
    label: str
    url: str


def export_links(
    kind: str, organisation: Organisation, period: Period, **options: str | int
) -> list[ExportLink]:
    """One link per format of report `kind` for `organisation` and `period`, with the
    report's `options` (e.g. `committee`: the committee whose agenda it is)."""
    registered = kinds.get(kind)
    formats = registered.formats if registered is not None else kinds.FORMATS
    asked = {"kind": kind, "organisation": organisation.key, "period": period.label, **options}
    base = reverse("reports:download")
    return [
        ExportLink(
            FORMAT_LABELS.get(fmt, fmt.upper()), f"{base}?{urlencode({**asked, 'format': fmt})}"
        )
        for fmt in formats
    ]
