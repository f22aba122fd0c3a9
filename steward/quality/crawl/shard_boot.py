"""Preloaded by the fork server that starts crawl shards (`steward.quality.crawl.shards`).

Django's set-up and the crawler's imports take a second or two on a small machine; done once
here, every shard forked from the fork server starts with them. A failure here is not fatal:
the shard sets Django up itself (`shards.shard_main`).
"""

from __future__ import annotations

import contextlib
import os

with contextlib.suppress(Exception):
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        import django

        django.setup()

    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401
