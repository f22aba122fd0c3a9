"""Running the quality checks (品質檢核) and recording them: every state change of quality.

`check_resources(refs, kind=..., by=..., ...)` is the one entry point used by the CLI
(`steward quality check`), the background jobs (2-1 self-check, 2-2 spot check) and the pages: it
opens a `CheckRun` (or resumes the scope's interrupted one), crawls and checks every
resource, and `record_results` writes only what changed: a `CheckResult` when a resource's
verdict differs from its last one, a narrow `CheckEntry` per resource and run, and each
resource's `ResourceHealth` in one upsert per batch. The run is closed with its totals, with
an audit event at the start and at the end. `prune_runs` deletes runs past the retention.

Where the resources come from:

* `refs_from_catalogue(stream)` — a national-portal catalogue export CSV (22 columns);
* `refs_from_database(organisation=...)` — open datasets in our own database
  (`steward.datasets.models.Resource`).

The modules: `sources` (where refs come from), `runs` (opening, resuming and closing a run,
the crawl in its thread, the pages' scope), `recording` (`record_results`, `Tally`) and
`retention` (`prune_runs`). Everything a caller uses is imported here.
"""

from steward.quality.services.recording import Tally, record_results
from steward.quality.services.retention import prune_runs, retention_cutoff
from steward.quality.services.runs import (
    BATCH,
    STALE_AFTER,
    QualityError,
    check_resources,
    checked_in_run,
    finish_run,
    latest_runs,
    request_check,
    resume_run,
    run_for,
    run_results,
    run_to_resume,
    start_run,
    visible_runs,
)
from steward.quality.services.sources import (
    catalogue_resource_key,
    normalise_download_url,
    open_datasets_query,
    refs_from_catalogue,
    refs_from_database,
)

__all__ = [
    "BATCH",
    "STALE_AFTER",
    "QualityError",
    "Tally",
    "catalogue_resource_key",
    "check_resources",
    "checked_in_run",
    "finish_run",
    "latest_runs",
    "normalise_download_url",
    "open_datasets_query",
    "prune_runs",
    "record_results",
    "refs_from_catalogue",
    "refs_from_database",
    "request_check",
    "resume_run",
    "retention_cutoff",
    "run_for",
    "run_results",
    "run_to_resume",
    "start_run",
    "visible_runs",
]
