"""The production choices docs/deploy.md describes are in effect: templates compiled once per
process, kept database connections checked before reuse, and gunicorn sized with threads."""

from __future__ import annotations

from django.conf import settings
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader


def test_templates_are_compiled_once_per_process() -> None:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    assert [type(loader) for loader in engine.template_loaders] == [CachedLoader]


def test_kept_database_connections_are_checked_before_reuse() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_the_server_overlaps_database_waits_with_threads() -> None:
    assert settings.STEWARD_WEB_THREADS > 1  # gunicorn's gthread worker
    assert settings.STEWARD_WEB_WORKERS >= 1
