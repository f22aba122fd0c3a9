"""The `steward` command: every sub-command is a Django management command.

`steward plan check FILE` runs `manage.py plan check FILE`, so the CLI and the
management commands are one thing.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["steward", *args])


if __name__ == "__main__":
    main()
