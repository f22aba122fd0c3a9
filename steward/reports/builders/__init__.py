"""The built-in report kinds: one module each, registered with `kinds.report_kind`."""

from steward.reports.builders import (  # noqa: F401  (registering is importing)
    amendment,
    committee,
    evaluation,
    improvement,
    quarterly_progress,
)
