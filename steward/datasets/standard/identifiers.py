"""資料集編號 and 資料資源編號: the next free dataset identifier and resource ID."""

from __future__ import annotations

from collections.abc import Iterable

from .fields import AGENCY_CODE_RE, IDENTIFIER_RE


class IdentifierError(ValueError):
    """An agency code or identifier that cannot be used; the message is Chinese."""


def next_identifier(agency_code: str, existing: Iterable[str]) -> str:
    """The next dataset identifier for an agency: ``{agency_code}-{serial:06d}``.

    The serial follows the highest numeric serial among ``existing`` identifiers of the same
    agency (others and non-numeric serials are ignored); the first is ``000001``.
    """
    if not AGENCY_CODE_RE.match(agency_code):
        raise IdentifierError(f"機關代碼「{agency_code}」應為 10 碼英數字。")
    prefix = agency_code + "-"
    highest = 0
    for identifier in existing:
        if identifier.startswith(prefix) and IDENTIFIER_RE.match(identifier):
            serial = identifier[len(prefix) :]
            if serial.isdigit():
                highest = max(highest, int(serial))
    if highest >= 999_999:
        raise IdentifierError(f"機關代碼「{agency_code}」的資料集流水號已用完（999999）。")
    return f"{prefix}{highest + 1:06d}"


def next_resource_id(identifier: str, existing: Iterable[str]) -> str:
    """The next resource ID of a dataset: ``{identifier}-{n:03d}``, after the highest numeric one."""
    if not IDENTIFIER_RE.match(identifier):
        raise IdentifierError(f"資料集編號「{identifier}」格式不符，無法產生資料資源編號。")
    prefix = identifier + "-"
    highest = 0
    for resource_id in existing:
        suffix = resource_id[len(prefix) :] if resource_id.startswith(prefix) else ""
        if len(suffix) == 3 and suffix.isdigit():
            highest = max(highest, int(suffix))
    if highest >= 999:
        raise IdentifierError(f"資料集「{identifier}」的資料資源編號已用完（999）。")
    return f"{prefix}{highest + 1:03d}"
