"""WSGI entry point (gunicorn in production: see docs/deploy.md)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

from steward.lib.security import refuse_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
application = get_wsgi_application()
refuse_development_key()
# `steward serve` starts gunicorn with --preload: its workers fork from this process. What
# start-up made lives as long as they do, so it is left out of the cyclic collector
# (`gc.freeze` before fork, as Python's gc documentation advises): each full collection
# walked all of it, a third of the centre's computed dashboard (docs/benchmarks.md).
gc.freeze()
