"""The `steward` command: every sub-command is a Django management command.

`steward plan check FILE` runs `manage.py plan check FILE`, so the CLI and the
management commands are one thing.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django
    from django.core.management import execute_from_command_line

    from steward.lib.security import (
        SERVING_COMMANDS,
        DevelopmentSecretKeyError,
        refuse_development_key,
    )

    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in SERVING_COMMANDS:
        django.setup()
        try:
            refuse_development_key()
        except DevelopmentSecretKeyError as exc:
            sys.stderr.write(f"steward {args[0]}: {exc}\n")
            raise SystemExit(2) from None
    execute_from_command_line(["steward", *args])


if __name__ == "__main__":
    main()
