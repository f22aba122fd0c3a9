"""Find the TOML line of a key path such as `versions[1].schedule[3].deadlines[1].date`.

tomllib gives no positions, so this reads the source text once and records the
line of every table header (`[x]`, `[[x]]`) and every `key = value` line under
its full path, counting array-of-tables entries the way TOML does. Elements of
a multi-line array get the line they start on. A path with no line of its own
falls back to its nearest ancestor that has one; a leaf key written inside an
inline table is then searched for on that line and the lines just below it.
Good effort, not a TOML parser: the line is a pointer for people, never used
to decide validity.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=\s*(.*)$")
_INDEX = re.compile(r"\[(\d+)\]")


def _split_dotted(text: str) -> list[str]:
    """`a."b.c".d` → ["a", "b.c", "d"] (quotes removed)."""
    parts: list[str] = []
    current = ""
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _strip_comment(line: str) -> str:
    quote = ""
    for position, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:position]
    return line


class LineIndex:
    """Key path → 1-based line number for one TOML source text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.paths: dict[str, int] = {}
        self._build()

    def _resolve(self, parts: list[str], last_is_array: bool) -> str:
        resolved = ""
        for position, part in enumerate(parts):
            candidate = f"{resolved}.{part}" if resolved else part
            is_last = position == len(parts) - 1
            if is_last and last_is_array:
                index = self._array_counts.get(candidate, -1) + 1
                self._array_counts[candidate] = index
                candidate = f"{candidate}[{index}]"
            elif candidate in self._array_counts:
                candidate = f"{candidate}[{self._array_counts[candidate]}]"
            resolved = candidate
        return resolved

    def _build(self) -> None:
        self._array_counts: dict[str, int] = {}
        table = ""
        skip_until = 0
        for number, raw in enumerate(self.lines, start=1):
            if number <= skip_until:
                continue
            line = _strip_comment(raw)
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                table = self._resolve(_split_dotted(header.group(2)), header.group(1) == "[[")
                self.paths.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                dotted = _split_dotted(key.group(1))
                path = ".".join([table, *dotted]) if table else ".".join(dotted)
                self.paths.setdefault(path, number)
                if key.group(2).lstrip().startswith("["):
                    skip_until = self._scan_array(path, number, line.index("=") + 1)

    def _scan_array(self, path: str, number: int, column: int) -> int:
        """Record the line of each element of the array value of `path`; return its last line."""
        depth = 0
        element = -1
        expect_item = False
        quote = ""
        line_number = number
        text = self.lines[number - 1][column:]
        while True:
            for char in _strip_comment(text) if not quote else text:
                if quote:
                    if char == quote:
                        quote = ""
                    continue
                if char.isspace():
                    continue
                if depth == 1 and expect_item and char not in ",]":
                    element += 1
                    self.paths.setdefault(f"{path}[{element}]", line_number)
                    expect_item = False
                if char in "\"'":
                    quote = char
                elif char in "[{":
                    depth += 1
                    if depth == 1:
                        expect_item = True
                elif char in "]}":
                    depth -= 1
                    if depth == 0:
                        return line_number
                elif char == "," and depth == 1:
                    expect_item = True
            line_number += 1
            if line_number > len(self.lines):
                return line_number
            text = self.lines[line_number - 1]

    def line_of(self, path: str) -> int | None:
        """The line where `path` (or its nearest located ancestor) is written."""
        candidate = path
        while candidate:
            if candidate in self.paths:
                line = self.paths[candidate]
                if candidate != path:
                    leaf = _INDEX.sub("", path[len(candidate) :]).strip(".").split(".")[0]
                    found = self._search_leaf(leaf, line)
                    if found is not None:
                        return found
                return line
            candidate = _parent(candidate)
        return None

    def _search_leaf(self, leaf: str, start: int) -> int | None:
        if not leaf:
            return None
        pattern = re.compile(rf"(^|[\s{{,]){re.escape(leaf)}\s*=")
        for number in range(start, min(start + 40, len(self.lines)) + 1):
            if pattern.search(_strip_comment(self.lines[number - 1])):
                return number
            if number > start and _HEADER.match(self.lines[number - 1]):
                break
        return None


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    if "." in path:
        return path[: path.rindex(".")]
    return ""
