"""Domain errors of datasets: a transition that may not happen now, or metadata not ready."""

from __future__ import annotations

from collections.abc import Sequence

from steward.datasets.standard import FieldProblem


class DatasetError(Exception):
    """Something the person asked cannot be done; the message is translated and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TransitionNotAllowed(DatasetError):
    """The dataset is not in a state from which this step may be taken."""


class StaleStep(TransitionNotAllowed):
    """The step names a stage the dataset has already left: a repeated or out-of-date request
    (two clicks on "approve", a page opened before somebody else acted). Nothing changes."""


class MetadataIncomplete(DatasetError):
    """The metadata breaks the national standard; `problems` says where, field by field."""

    def __init__(self, message: str, problems: Sequence[FieldProblem]) -> None:
        super().__init__(message)
        self.problems = list(problems)
