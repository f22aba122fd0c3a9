"""A plan's KPI formula as written (正確率=(1-(…)/實際開放資料集數量)*100), parsed and evaluated.

Only arithmetic over the terms the quality results can count is accepted: numbers, the
four operations, parentheses and the terms' names (the seeds' Chinese words or our keys).
Evaluation is exact (fractions).
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.quality.measures.periods import MeasureError

#: The terms the quality results can count, with their English labels.
TERM_LABELS: dict[str, Any] = {
    "not_timely": gettext_lazy("Open datasets not updated on time"),
    "broken_links": gettext_lazy("Broken links"),
    "wrong_info": gettext_lazy("Wrong information"),
    "three_star": gettext_lazy("Datasets of three stars or more"),
    "four_star": gettext_lazy("Datasets of four stars or more"),
    "five_star": gettext_lazy("Datasets of five stars"),
    "open_datasets": gettext_lazy("Open datasets checked"),
}
#: Names a plan's formula may use for each term (the seeds' words, then our keys).
TERM_NAMES: dict[str, str] = {
    "開放資料集未及時更新數": "not_timely",
    "未及時更新數": "not_timely",
    "錯誤連結數": "broken_links",
    "錯誤資訊數": "wrong_info",
    "實際開放等級達三星等資料集數量": "three_star",
    "開放等級達三星等資料集數量": "three_star",
    "開放等級達四星等資料集數量": "four_star",
    "開放等級達五星等資料集數量": "five_star",
    "實際開放資料集數量": "open_datasets",
    "開放資料集數量": "open_datasets",
    **{key: key for key in TERM_LABELS},
}
#: MOL's formulas (004_b5b47495cfb08049.txt, 陸 註2 and 註3), used when a plan has none.
PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Formula:
    """A KPI formula as written, parsed to an expression over the terms."""

    text: str
    expression: ast.expr
    terms: tuple[str, ...]  # term keys, in the order written
    gives_percent: bool  # the formula multiplies by 100 itself

    def evaluate(self, counts: Mapping[str, int]) -> Fraction | None:
        """The exact value; None when it divides by zero (nothing to count)."""
        try:
            return _evaluate(self.expression, counts)
        except ZeroDivisionError:
            return None


_ALLOWED_NODES = (
    ast.BinOp, ast.UnaryOp, ast.Constant, ast.Load,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd,
)  # fmt: skip


def parse_formula(text: str) -> Formula:
    """Parse a plan's formula (`正確率=(1-(…)/實際開放資料集數量)*100`); MeasureError if we can't.

    Full-width signs are normalised (NFKC, × and ÷); a left-hand side before "=" is the
    KPI's name and is dropped; names must be terms of `TERM_NAMES`.
    """
    cleaned = unicodedata.normalize("NFKC", text or "").replace("×", "*").replace("÷", "/")
    cleaned = re.sub(r"\s+", "", cleaned).rstrip("。.%")
    if "=" in cleaned:
        cleaned = cleaned.rsplit("=", 1)[1]
    try:
        tree = ast.parse(cleaned, mode="eval").body
    except SyntaxError:
        raise MeasureError(
            _("The formula “%(formula)s” cannot be read as arithmetic.") % {"formula": text}
        ) from None
    terms: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            term = TERM_NAMES.get(node.id)
            if term is None:
                raise MeasureError(
                    _("The formula uses “%(name)s”, which the quality checks cannot count.")
                    % {"name": node.id}
                )
            node.id = term
            if term not in terms:
                terms.append(term)
        elif not isinstance(node, _ALLOWED_NODES) or (
            isinstance(node, ast.Constant)
            and (isinstance(node.value, bool) or not isinstance(node.value, int | float))
        ):
            raise MeasureError(
                _("The formula “%(formula)s” may only add, subtract, multiply and divide.")
                % {"formula": text}
            )
    if not terms:
        raise MeasureError(_("The formula “%(formula)s” counts nothing.") % {"formula": text})
    gives_percent = (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Mult)
        and any(isinstance(side, ast.Constant) and side.value == 100 for side in (tree.left, tree.right))
    )  # fmt: skip
    return Formula(text=text, expression=tree, terms=tuple(terms), gives_percent=gives_percent)


def _evaluate(node: ast.expr, counts: Mapping[str, int]) -> Fraction:
    if isinstance(node, ast.Constant):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        return Fraction(counts[node.id])
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, counts)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, counts), _evaluate(node.right, counts)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
    raise MeasureError(_("The formula may only add, subtract, multiply and divide."))


def to_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PLACES, rounding=ROUND_HALF_UP
    )
