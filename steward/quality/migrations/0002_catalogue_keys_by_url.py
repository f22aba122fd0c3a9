"""Re-key catalogue resources from their position (`ID#2`) to a hash of their URL (`ID#3f2a…`).

Positions shifted whenever a resource was added before another, so a resource's history
(`ResourceHealth`) moved to its neighbour. The new key is the dataset identifier plus a
short hash of the normalised download URL (see `services.catalogue_resource_key`); this
migration carries the existing history and results over, so the change itself loses
nothing. The key function is copied here on purpose: a migration must not change when the
code it once used does.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import migrations

POSITION_KEY = re.compile(r"^(?P<identifier>.+)#(?P<position>\d+)$")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise(url: str) -> str:
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.lower().rpartition(":")
    if not colon or "]" in port:
        host, port = hostport.lower(), ""
    if port == DEFAULT_PORTS.get(scheme):
        port = ""
    netloc = f"{userinfo}{at}{host}" + (f":{port}" if port else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def new_key(identifier: str, url: str) -> str:
    digest = hashlib.sha256(normalise(url).encode("utf-8")).hexdigest()
    return f"{identifier.strip()[:180]}#{digest[:12]}"


def _rekey(rows: list[Any], taken: set[str]) -> list[Any]:
    """Give each position-keyed row its URL key (suffix .2, .3… on a clash, in position order)."""
    changed = []
    for row in sorted(rows, key=lambda r: (r.key.rsplit("#", 1)[0], int(r.key.rsplit("#", 1)[1]))):
        match = POSITION_KEY.match(row.key)
        if match is None:
            continue
        identifier = row.dataset_identifier or match["identifier"]
        key = base = new_key(identifier, row.url)
        number = 1
        while key in taken:
            number += 1
            key = f"{base}.{number}"
        taken.add(key)
        row.key = key
        changed.append(row)
    return changed


def _save_keys(model: Any, rows: list[Any]) -> None:
    # Two passes through temporary keys: a new key may equal another row's old one.
    for row in rows:
        model.objects.filter(pk=row.pk).update(key=f"~{row.pk}")
    for row in rows:
        model.objects.filter(pk=row.pk).update(key=row.key)


def forwards(apps: Any, schema_editor: Any) -> None:
    ResourceHealth = apps.get_model("quality", "ResourceHealth")
    CheckResult = apps.get_model("quality", "CheckResult")
    old = list(ResourceHealth.objects.filter(key__regex=r"#[0-9]+$"))
    taken = set(
        ResourceHealth.objects.exclude(key__regex=r"#[0-9]+$").values_list("key", flat=True)
    )
    _save_keys(ResourceHealth, _rekey(old, taken))
    run_ids = CheckResult.objects.filter(key__regex=r"#[0-9]+$").values_list("run_id", flat=True)
    for run_id in sorted(set(run_ids)):
        results = CheckResult.objects.filter(run_id=run_id)
        old = list(results.filter(key__regex=r"#[0-9]+$"))
        taken = set(results.exclude(key__regex=r"#[0-9]+$").values_list("key", flat=True))
        _save_keys(CheckResult, _rekey(old, taken))


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
