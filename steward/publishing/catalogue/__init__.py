"""The portal's 22-column catalogue CSV (data-gov-tw.md §2): import a ministry's export, and
export what is on the portal in the same form.

- `reading`: the file's bytes to text (own size limit, gzip, UTF-8 else CP950);
- `rows`: one row to what would be stored, or its problems (pure);
- `planning`: every problem of the file and what importing it would do (no writes);
- `importing`: the import service (through `datasets.services.import_published_many`);
- `exporting`: CSV and NDJSON, streamed in bounded memory;
- `runs`: imports started from the page, run by the worker with progress;
- `report`: the report every step fills.
"""

from steward.publishing.catalogue.exporting import (
    cells_of,
    datasets_for_export,
    export_catalogue,
    export_cell,
    export_rows,
    stream_csv,
    stream_ndjson,
)
from steward.publishing.catalogue.importing import import_catalogue
from steward.publishing.catalogue.planning import check_catalogue
from steward.publishing.catalogue.reading import (
    catalogue_limit,
    open_text,
    refuse_if_too_large,
)
from steward.publishing.catalogue.report import (
    MAX_LISTED_PROBLEMS,
    CatalogueImportError,
    GoneDataset,
    ImportProblem,
    ImportReport,
)
from steward.publishing.catalogue.rows import PlannedDataset

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "CatalogueImportError",
    "GoneDataset",
    "ImportProblem",
    "ImportReport",
    "PlannedDataset",
    "catalogue_limit",
    "cells_of",
    "check_catalogue",
    "datasets_for_export",
    "export_catalogue",
    "export_cell",
    "export_rows",
    "import_catalogue",
    "open_text",
    "refuse_if_too_large",
    "stream_csv",
    "stream_ndjson",
]
