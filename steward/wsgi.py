"""WSGI entry point (gunicorn in production: see docs/deploy.md)."""

import gc
import os
from typing import Any

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

from steward.lib.security import refuse_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
application = get_wsgi_application()
refuse_development_key()


def _freeze_after_first_request(**_kwargs: Any) -> None:
    """What a worker's first request loads and keeps (the URL patterns and every view, form
    and API schema behind them, templates, catalogues) is frozen too, once, after a
    collection (so no garbage of that request is kept): the centre's dashboard through
    `steward serve` went from 287 to 229 ms p50 on PostgreSQL (docs/benchmarks.md)."""
    request_finished.disconnect(_freeze_after_first_request)
    gc.collect()
    gc.freeze()


# `steward serve` starts gunicorn with --preload: its workers fork from this process. What
# start-up made lives as long as they do, so it is left out of the cyclic collector
# (`gc.freeze` before fork, as Python's gc documentation advises): each full collection
# walked all of it, a third of the centre's computed dashboard (docs/benchmarks.md).
gc.freeze()
request_finished.connect(_freeze_after_first_request)
