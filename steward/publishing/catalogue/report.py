"""What a catalogue import found and did: problems (file, row, column, why), warnings, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

#: Most problems listed in one report; a file with more is clearly the wrong file.
MAX_LISTED_PROBLEMS = 500


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file cannot be imported: where (file, row, column) and why."""

    file: str
    row: int  # 1 = the header; 0 = the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(f"「{self.column}」")
        return f"{' · '.join(where)}: {self.message}"


@dataclass(frozen=True)
class GoneDataset:
    """A dataset the previous export listed and this one does not: listed, never deleted."""

    identifier: str
    portal_number: str
    title: str


@dataclass
class ImportReport:
    """What a catalogue file holds and what importing it does (or did).

    Any problem → nothing is imported. `added`, `changed` and `unchanged` count datasets by
    what the file says against what is stored; `gone` lists datasets an earlier import of
    this ministry's export brought in that the file no longer has.
    """

    file: str
    encoding: str = ""
    compressed: bool = False
    rows: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    planned: list[Any] = field(default_factory=list)  # PlannedDataset
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    gone: list[GoneDataset] = field(default_factory=list)
    imported: bool = False
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def created(self) -> list[str]:
        """Identifiers of the datasets the import created (empty before it ran)."""
        return self.added if self.imported else []

    @property
    def changes_nothing(self) -> bool:
        return not self.added and not self.changed

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "gone": len(self.gone),
        }

    def refuse(self, row: int, column: str, message: str) -> None:
        if len(self.problems) >= MAX_LISTED_PROBLEMS:
            self.more_problems += 1
            return
        self.problems.append(ImportProblem(self.file, row, column, message))

    def warn(self, row: int, column: str, message: str) -> None:
        if len(self.warnings) < MAX_LISTED_PROBLEMS:
            self.warnings.append(ImportProblem(self.file, row, column, message))

    def summary(self) -> str:
        """One sentence: what the import did, or would do."""
        if self.imported and self.changes_nothing:
            return _(
                "Nothing changed: all %(unchanged)d datasets are as the file says "
                "(%(gone)d no longer in the file)."
            ) % {"unchanged": self.unchanged, "gone": len(self.gone)}
        template = (
            _(
                "%(added)d added, %(changed)d changed, %(unchanged)d unchanged, "
                "%(gone)d no longer in the file."
            )
            if self.imported
            else _(
                "%(added)d would be added, %(changed)d changed, %(unchanged)d unchanged; "
                "%(gone)d are no longer in the file."
            )
        )
        return template % {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "gone": len(self.gone),
        }

    def as_json(self) -> dict[str, Any]:
        """The report as stored for a background run (the page shows it)."""
        return {
            "file": self.file,
            "encoding": self.encoding,
            "ok": self.ok,
            "imported": self.imported,
            "summary": self.summary() if self.ok else "",
            "counts": self.counts(),
            "problems": [_problem_json(p) for p in self.problems],
            "more_problems": self.more_problems,
            "warnings": [_problem_json(p) for p in self.warnings],
            "changed": self.changed[:MAX_LISTED_PROBLEMS],
            "gone": [g.__dict__ for g in self.gone[:MAX_LISTED_PROBLEMS]],
        }


def _problem_json(problem: ImportProblem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
        "text": str(problem),
    }


class CatalogueImportError(Exception):
    """The file cannot be imported; `report.problems` lists every reason. Nothing changed."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            _("%(file)s cannot be imported: %(count)d problem(s).")
            % {"file": report.file, "count": len(report.problems) + report.more_problems}
        )
        self.report = report
