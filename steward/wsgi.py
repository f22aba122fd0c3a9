"""WSGI entry point (gunicorn in production: see docs/deploy.md)."""

import os

from django.core.wsgi import get_wsgi_application

from steward.lib.security import refuse_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
application = get_wsgi_application()
refuse_development_key()
