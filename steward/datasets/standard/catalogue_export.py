"""The national portal's full catalogue export (CSV, UTF-8 with BOM): read it and write it.

22 columns, read by header name (a file whose columns were reordered reads the same) and
written in the portal's order; the 9th header really is 資資料集上架方式 (sic). Per-resource values
(檔案格式, 資料下載網址, 編碼格式, 資料量) are joined with ``;`` and are split here into resources.
Reading streams: one row at a time, whatever the file size.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from steward.lib.cells import csv_row, formula_like, read_cells

#: The export's columns, in order. The typo in the 9th column is in the real file.
CATALOGUE_COLUMNS: tuple[str, ...] = (
    "資料集識別碼",
    "資料集名稱",
    "資料提供屬性",
    "服務分類",
    "品質檢測",
    "檔案格式",
    "資料下載網址",
    "編碼格式",
    "資資料集上架方式",
    "資料集描述",
    "主要欄位說明",
    "提供機關",
    "更新頻率",
    "授權方式",
    "相關網址",
    "計費方式",
    "提供機關聯絡人姓名",
    "提供機關聯絡人電話",
    "上架日期",
    "詮釋資料更新時間",
    "備註",
    "資料量",
)

#: Column → attribute of :class:`CatalogueRow` (the per-resource columns are in RESOURCE_COLUMNS).
ROW_ATTRIBUTES: dict[str, str] = {
    "資料集識別碼": "identifier",
    "資料集名稱": "title",
    "資料提供屬性": "provider_type",
    "服務分類": "category",
    "品質檢測": "quality_mark",
    "資資料集上架方式": "listing_method",
    "資料集描述": "description",
    "主要欄位說明": "field_description",
    "提供機關": "publisher",
    "更新頻率": "update_frequency",
    "授權方式": "licence",
    "相關網址": "landing_page",
    "計費方式": "cost",
    "提供機關聯絡人姓名": "contact_name",
    "提供機關聯絡人電話": "contact_phone",
    "上架日期": "listed_at",
    "詮釋資料更新時間": "metadata_modified_at",
    "備註": "notes",
}

#: Per-resource columns → attribute of :class:`CatalogueResource`.
RESOURCE_COLUMNS: dict[str, str] = {
    "檔案格式": "format",
    "資料下載網址": "download_url",
    "編碼格式": "encoding",
    "資料量": "amount",
}

#: Header spellings accepted besides the real one (in case the portal ever fixes its typo).
_HEADER_ALIASES = {"資料集上架方式": "資資料集上架方式"}

#: 品質檢測 values seen in exports.
QUALITY_MARKS: tuple[str, ...] = ("白金標章", "金標章", "銀標章", "銅標章", "無標章")


class CatalogueFormatError(ValueError):
    """The export cannot be read at all (bad header, bad encoding, broken quoting)."""

    def __init__(self, message: str, *, row: int, column: str = "") -> None:
        where = f"第 {row} 列" + (f"「{column}」欄" if column else "")
        super().__init__(f"{where}：{message}")
        self.row = row
        self.column = column


@dataclass(frozen=True)
class RowProblem:
    """A problem in one row that does not stop reading: row number, column, code, message."""

    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class CatalogueResource:
    """One resource of a catalogue row, from the ``;``-joined per-resource columns."""

    format: str = ""
    download_url: str = ""
    encoding: str = ""
    amount: str = ""


@dataclass
class CatalogueRow:
    """One dataset of the export. ``row`` counts the header as row 1; ``line`` is the file line."""

    identifier: str = ""
    title: str = ""
    provider_type: str = ""
    category: str = ""
    quality_mark: str = ""
    listing_method: str = ""
    description: str = ""
    field_description: str = ""
    publisher: str = ""
    update_frequency: str = ""
    licence: str = ""
    landing_page: str = ""
    cost: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    listed_at: str = ""
    metadata_modified_at: str = ""
    notes: str = ""
    resources: list[CatalogueResource] = field(default_factory=list)
    row: int = 0
    line: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # Columns whose cell looks like a formula (steward.lib.cells): read as text, worth a warning.
    formula_columns: list[str] = field(default_factory=list)

    def as_columns(self) -> list[str]:
        """The row as the 22 export cells, resources joined with ``;``."""
        cells = []
        for column in CATALOGUE_COLUMNS:
            if column in RESOURCE_COLUMNS:
                attribute = RESOURCE_COLUMNS[column]
                values = [getattr(r, attribute) for r in self.resources]
                cells.append(";".join(values) if any(values) else "")
            else:
                cells.append(getattr(self, ROW_ATTRIBUTES[column]))
        return cells


def _split_resources(text: str) -> list[str]:
    if not text.strip():
        return []
    return [part.strip() for part in text.split(";")]


def _text_stream(stream: IO[Any]) -> IO[str]:
    if isinstance(stream, io.TextIOBase):
        return stream  # type: ignore[return-value]
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="strict")


def _column_order(header: list[str]) -> list[int]:
    """Where each of the 22 columns is in the file, matched by header name, not position.

    A file whose columns were reordered (a spreadsheet program, another tool) is read the
    same as the portal's own order; a missing, repeated or unknown header is refused.
    """
    if header:
        header = [header[0].lstrip("\ufeff"), *header[1:]]
    cleaned = [_HEADER_ALIASES.get(h.strip(), h.strip()) for h in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(cleaned):
        if name in positions:
            raise CatalogueFormatError(
                f"第 {positions[name] + 1} 欄與第 {index + 1} 欄都是「{name}」；每欄只能出現一次。",
                row=1,
                column=name,
            )
        positions[name] = index
    missing = [column for column in CATALOGUE_COLUMNS if column not in positions]
    unknown = [name for name in cleaned if name not in CATALOGUE_COLUMNS]
    if missing:
        raise CatalogueFormatError(
            f"缺少「{'」、「'.join(missing)}」欄"
            + (f"（檔案中另有不認得的「{'」、「'.join(unknown)}」欄）" if unknown else "")
            + "；這不是資料集目錄匯出檔，或欄名被改動了。",
            row=1,
            column=missing[0],
        )
    if unknown:
        raise CatalogueFormatError(
            f"多出 {len(unknown)} 欄（{'、'.join(unknown)}），目錄匯出檔應剛好 22 欄。",
            row=1,
        )
    return [positions[column] for column in CATALOGUE_COLUMNS]


def _file_columns(order: list[int] | None) -> list[str]:
    """The 22 column names in the order the file has them (``order`` maps ours to the file's)."""
    if order is None:
        return list(CATALOGUE_COLUMNS)
    names = [""] * len(CATALOGUE_COLUMNS)
    for ours, theirs in enumerate(order):
        if theirs < len(names):
            names[theirs] = CATALOGUE_COLUMNS[ours]
    return names


def _build_row(
    cells: list[str], row: int, line: int, order: list[int] | None = None
) -> CatalogueRow:
    problems: list[RowProblem] = []
    if len(cells) != len(CATALOGUE_COLUMNS):
        problems.append(
            RowProblem(
                row,
                "",
                "column_count",
                f"第 {row} 列有 {len(cells)} 欄，應為 22 欄；"
                "可能是欄位內的引號或逗號沒有正確跳脫。",
            )
        )
        cells = (cells + [""] * len(CATALOGUE_COLUMNS))[: len(CATALOGUE_COLUMNS)]
    if order is not None:
        cells = [cells[index] for index in order]
    values = dict(zip(CATALOGUE_COLUMNS, cells, strict=True))
    result = CatalogueRow(row=row, line=line, problems=problems)
    for column, attribute in ROW_ATTRIBUTES.items():
        setattr(result, attribute, values[column])

    split = {column: _split_resources(values[column]) for column in RESOURCE_COLUMNS}
    # the column(s) out of step with the majority get the blame; the others are padded silently
    lengths = [len(parts) for parts in split.values() if len(parts) > 1]
    usual = max(set(lengths), key=lambda n: (lengths.count(n), n)) if lengths else 1
    count = max(len(parts) for parts in split.values())
    for column, parts in split.items():
        if not parts:
            continue
        if len(parts) == 1 and count > 1:
            # one value for every resource (e.g. one 編碼格式 for three files): spread it
            split[column] = parts * count
            continue
        if len(parts) != usual:
            problems.append(
                RowProblem(
                    row,
                    column,
                    "resource_count",
                    f"第 {row} 列「{column}」有 {len(parts)} 個值，但其他欄有 {usual} 個資源；"
                    "請以「;」分隔，每個資源各一個值。",
                )
            )
        split[column] = parts + [""] * (count - len(parts))
    for index in range(count):
        result.resources.append(
            CatalogueResource(
                **{
                    RESOURCE_COLUMNS[column]: (parts[index] if parts else "")
                    for column, parts in split.items()
                }
            )
        )
    return result


class _Lines:
    """The text's lines for the csv reader, noting quotes per record and the last line end."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.quotes = 0
        self.ended = True

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline()
        if not line:
            raise StopIteration
        self.ended = line.endswith(("\n", "\r"))
        if '"' in line:
            self.quotes += line.count('"')
        return line


def _cut_problem(row: CatalogueRow) -> None:
    row.problems.append(
        RowProblem(
            row.row,
            "",
            "cut",
            f"第 {row.row} 列在引號中途就到了檔案結尾，檔案可能在下載或複製時被截斷；"
            "請重新下載完整的匯出檔。",
        )
    )


def read_catalogue(stream: IO[Any]) -> Iterator[CatalogueRow]:
    """Yield every row of a catalogue export (binary stream in UTF-8 with BOM, or a text stream).

    A broken header, undecodable bytes or broken quoting raise :class:`CatalogueFormatError`
    with the row (and column); smaller problems ride on each row's ``problems``.
    """
    text = _text_stream(stream)
    lines = _Lines(text)
    reader = csv.reader(lines)
    row = 0
    previous_line = 0
    order: list[int] | None = None
    pending: CatalogueRow | None = None  # one row behind, so the last can be told it was cut
    last_quotes = 0
    try:
        for cells in reader:
            line = previous_line + 1
            previous_line = reader.line_num
            quotes, lines.quotes = lines.quotes, 0
            if row == 0:
                row = 1
                order = _column_order(cells)
                if order == list(range(len(CATALOGUE_COLUMNS))):
                    order = None  # the portal's own order: nothing to move
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            row += 1
            if pending is not None:
                yield pending
            values = read_cells(cells)  # the quote a formula-like cell was written with goes
            pending = _build_row(values, row, line, order)
            pending.formula_columns = [
                column
                for column, value in zip(_file_columns(order), values, strict=False)
                if formula_like(value)
            ]
            last_quotes = quotes
        if pending is not None:
            if last_quotes % 2:  # a quote still open: the reader ran into the end of the file
                _cut_problem(pending)
            yield pending
    except UnicodeDecodeError as exc:
        raise CatalogueFormatError(
            f"檔案不是 UTF-8 編碼（{exc.reason}），請以 UTF-8 重新匯出。", row=row + 1
        ) from exc
    except csv.Error as exc:
        raise CatalogueFormatError(
            f"CSV 格式錯誤（{exc}），通常是欄位內的引號沒有成對。", row=row + 1
        ) from exc
    finally:
        if isinstance(text, io.TextIOWrapper) and text is not stream:
            text.detach()  # leave the caller's binary stream open


def write_catalogue(rows: Iterable[CatalogueRow], stream: IO[Any]) -> int:
    """Write rows as a catalogue export (UTF-8 with BOM, CRLF); returns the number of rows."""
    if isinstance(stream, io.TextIOBase):
        text: IO[str] = stream  # type: ignore[assignment]
        text.write("\ufeff")
    else:
        stream.write(codecs.BOM_UTF8)
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CATALOGUE_COLUMNS)
    count = 0
    for item in rows:
        writer.writerow(csv_row(item.as_columns()))
        count += 1
    text.flush()
    if isinstance(text, io.TextIOWrapper) and text is not stream:
        text.detach()
    return count
