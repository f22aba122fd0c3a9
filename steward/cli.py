"""The `steward` command: every sub-command is a Django management command.

`steward plan check FILE` runs `manage.py plan check FILE`, so the CLI and the
management commands are one thing. Every command of ours derives from `StewardCommand`,
the one place where errors become a single line for people:

- a refusal (PermissionDenied) → one line on stderr, exit status 2;
- invalid input (ValidationError, a domain error of an app, a file that is missing, a
  directory, unreadable) → one line on stderr (a file's problems listed above it), exit 1;
- never a traceback (`--traceback` still shows one, for developers).

Messages are in Traditional Chinese unless the environment asks for English:
STEWARD_LANGUAGE=en, or else LC_ALL / LC_MESSAGES / LANG (the first one set) starting with `en`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    SystemCheckError,
    handle_default_options,
)
from django.db import connections
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

#: Errors of our apps whose message is written for people (translated, saying why).
DOMAIN_ERRORS = (
    "steward.datasets.errors.DatasetError",
    "steward.datasets.standard.CatalogueFormatError",
    "steward.datasets.standard.IdentifierError",
    "steward.plans.planfile.PlanError",
    "steward.plans.services.NoCalendarError",
    "steward.calendars.parsing.CalendarFileError",
    "steward.calendars.workdays.CalendarGapError",
    "steward.inventory.spreadsheets.SpreadsheetError",
    "steward.inventory.spreadsheets.ExportError",
    "steward.publishing.catalogue.CatalogueImportError",
    "steward.publishing.services.PublishingError",
    "steward.publishing.portal.PortalError",
    "steward.quality.services.QualityError",
    "steward.quality.measures.periods.MeasureError",
    "steward.lib.http.FetchError",
    "steward.catalogue.harvest.HarvestError",
)

#: At most this many problems of one file are listed before the summary line.
SHOWN_PROBLEMS = 50


def cli_language() -> str:
    """zh-hant, or en when STEWARD_LANGUAGE or the locale (LC_ALL, LC_MESSAGES, LANG) says so."""
    from django.conf import settings

    chosen = settings.STEWARD_LANGUAGE or ""
    if not chosen:
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            chosen = os.environ.get(name, "")
            if chosen:
                break
    return "en" if chosen.strip().lower().startswith("en") else "zh-hant"


def _domain_errors() -> tuple[type[Exception], ...]:
    return tuple(import_string(path) for path in DOMAIN_ERRORS)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def describe_os_error(error: OSError) -> str:
    """A file that cannot be used, said plainly: which file and why."""
    name = error.filename if error.filename is not None else ""
    if isinstance(error, FileNotFoundError):
        reason = _("no such file or folder.")
    elif isinstance(error, IsADirectoryError):
        reason = _("this is a folder; give a file.")
    elif isinstance(error, NotADirectoryError):
        reason = _("a part of this path is a file, not a folder.")
    elif isinstance(error, PermissionError):
        reason = _("permission denied: this file may not be read or written.")
    else:
        reason = _one_line(error.strerror or str(error))
    return _("%(file)s: %(reason)s") % {"file": name, "reason": reason} if name else reason


def _validation_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        parts = []
        for key, messages in error.message_dict.items():
            text = "；".join(messages)
            parts.append(f"{key}: {text}" if key != "__all__" else text)
        return _one_line("；".join(parts))
    return _one_line("；".join(error.messages))


def refusal(error: Exception, stderr: Any) -> CommandError | None:
    """The CommandError that says `error` in one line (problems written to `stderr` first),
    or None when `error` is not one people can act on (a bug: let it raise)."""
    if isinstance(error, CommandError):
        return error
    if isinstance(error, PermissionDenied):
        return CommandError(_one_line(str(error)) or _("You may not do this."), returncode=2)
    if isinstance(error, ValidationError):
        return CommandError(_validation_text(error), returncode=1)
    if isinstance(error, OSError):
        return CommandError(describe_os_error(error), returncode=1)
    if isinstance(error, _domain_errors()):
        problems: Iterable[Any] = getattr(error, "problems", None) or []
        problems = list(problems)
        if problems:
            for problem in problems[:SHOWN_PROBLEMS]:
                stderr.write(str(problem))
            if len(problems) > SHOWN_PROBLEMS:
                stderr.write(
                    _("… and %(count)d more problem(s).")
                    % {"count": len(problems) - SHOWN_PROBLEMS}
                )
            return CommandError(
                _("%(count)d problem(s); nothing was changed.") % {"count": len(problems)},
                returncode=1,
            )
        return CommandError(_one_line(str(error)), returncode=1)
    return None


def person_named(username: str, *, option: str = "--as") -> Any:
    """The person with `username`, or a one-line CommandError naming the option."""
    from steward.organisations.models import Person

    try:
        return Person.objects.get(username=username)
    except Person.DoesNotExist:
        raise CommandError(
            _("%(option)s: nobody has the username “%(username)s”.")
            % {"option": option, "username": username},
            returncode=2,
        ) from None


def organisation_keyed(key: str, *, option: str) -> Any:
    """The organisation with `key`, or a one-line CommandError naming the option."""
    from steward.organisations.models import Organisation

    try:
        return Organisation.objects.get(key=key)
    except Organisation.DoesNotExist:
        raise CommandError(
            _("%(option)s: no organisation has the key “%(key)s”.")
            % {"option": option, "key": key},
            returncode=2,
        ) from None


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (settings are not set up yet
    when this module is imported, so Django's own cannot be called here)."""
    return message


#: argparse's messages (English only), recognised and said again in the command's language.
ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (
            r"^the following arguments are required: (?P<args>.+)$",
            gettext_noop("the following arguments are required: %(args)s"),
        ),
        (
            r"^unrecognized arguments: (?P<args>.+)$",
            gettext_noop("unrecognized arguments: %(args)s"),
        ),
        (
            r"^one of the arguments (?P<args>.+) is required$",
            gettext_noop("one of the arguments %(args)s is required"),
        ),
        (
            r"^argument (?P<argument>[^:]+): invalid choice: (?P<value>.+) "
            r"\(choose from (?P<choices>.+)\)$",
            gettext_noop(
                "argument %(argument)s: invalid choice %(value)s (choose from %(choices)s)"
            ),
        ),
        (
            r"^argument (?P<argument>[^:]+): invalid (?P<type>\w+) value: (?P<value>.+)$",
            gettext_noop("argument %(argument)s: %(value)s is not a valid %(type)s value"),
        ),
        (
            r"^argument (?P<argument>[^:]+): expected one argument$",
            gettext_noop("argument %(argument)s: expected one value"),
        ),
        (
            r"^argument (?P<argument>[^:]+): not allowed with argument (?P<other>.+)$",
            gettext_noop("argument %(argument)s: not allowed with %(other)s"),
        ),
        (
            r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$",
            gettext_noop("ambiguous option: %(option)s could match %(matches)s"),
        ),
    )
)


def translate_usage_error(message: str) -> str:
    """An argparse message in the active language (unknown ones as they are)."""
    for pattern, translated in ARGPARSE_MESSAGES:
        match = pattern.match(message)
        if match:
            return _(translated) % match.groupdict()
    return message


class StewardParser(CommandParser):
    """Django's parser, with usage errors in the command's language on one line."""

    def error(self, message: str) -> NoReturn:
        text = translate_usage_error(message)
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(2, _("Error: %(message)s") % {"message": text} + "\n")
        raise CommandError(text, returncode=2)


def _use_steward_parser(parser: argparse.ArgumentParser) -> None:
    """Give `parser` and every sub-parser made in add_arguments our error() (same objects)."""
    parser.__class__ = StewardParser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _use_steward_parser(sub)


class StewardCommand(BaseCommand):
    """Base of every `steward` command: one language, and errors as one line (see above).

    Put it first among the bases of a command that extends another Django command
    (`class Command(StewardCommand, SystemCheckCommand)`).
    """

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except Exception as error:
            if options.get("traceback"):
                raise
            command_error = refusal(error, self.stderr)
            if command_error is None or command_error is error:
                raise
            raise command_error from None

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _use_steward_parser(parser)
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        """Django's, in the environment's language, printing an error as one line.

        The command line's language comes from its environment; a caller of call_command
        (a test, the demo) keeps the language it has chosen.
        """
        self._called_from_command_line = True
        try:
            with translation.override(cli_language()):
                parser = self.create_parser(argv[0], argv[1])
                options = parser.parse_args(argv[2:])
                cmd_options = vars(options)
                args = cmd_options.pop("args", ())
                handle_default_options(options)
                try:
                    self.execute(*args, **cmd_options)
                except CommandError as error:
                    if options.traceback:
                        raise
                    if isinstance(error, SystemCheckError):
                        self.stderr.write(str(error), lambda x: x)
                    else:
                        message = _one_line(str(error))
                        self.stderr.write(_("Error: %(message)s") % {"message": message})
                    sys.exit(error.returncode)
        finally:
            with contextlib.suppress(ImproperlyConfigured):
                # As Django does, but a connection inside a transaction (a test's) is its
                # owner's to close.
                for connection in connections.all(initialized_only=True):
                    if not connection.in_atomic_block:
                        connection.close()


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
