"""Refuse to serve with the development secret key: one rule for every serving process.

The web server (`steward.wsgi`, so gunicorn or any WSGI server), `steward serve` and
`steward worker` call `refuse_development_key()` before they start. Development (DEBUG on) and
the test suite are not serving processes and keep the built-in key.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Sub-commands of `steward` that serve requests or run jobs for real people.
SERVING_COMMANDS = frozenset({"serve", "worker"})


class DevelopmentSecretKeyError(ImproperlyConfigured):
    """The process would serve in non-debug mode with the key everybody can read in the source."""


def development_key_in_use() -> bool:
    return not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY


def refuse_development_key() -> None:
    if development_key_in_use():
        raise DevelopmentSecretKeyError(
            "STEWARD_SECRET_KEY is not set, so the development secret key would sign sessions "
            "and CSRF tokens in production. Set STEWARD_SECRET_KEY (or STEWARD_SECRET_KEY_FILE) "
            "to a long random value, e.g. the output of: "
            'python3 -c "import secrets; print(secrets.token_urlsafe(50))". '
            "For development only, STEWARD_DEBUG=true allows the built-in key."
        )
