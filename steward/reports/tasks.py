"""The jobs app imports each app's `tasks.py`: the report jobs live in `jobs.py`."""

from steward.reports import jobs  # noqa: F401  (registers reports.schedule)
