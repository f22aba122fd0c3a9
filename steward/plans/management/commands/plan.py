"""`steward plan check|show|install|compare`: plan files on the command line.

steward plan check FILE             every problem with file:line [key path]; exit 1 if any
steward plan show NAME [--version LABEL]
steward plan install FILE... | --builtin
steward plan compare NAME OLD NEW   the amendment comparison table (修正對照表)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, person_named
from steward.plans.compare import compare_versions
from steward.plans.models import Plan, PlanVersion
from steward.plans.planfile import PlanError, read_plan_file, unknown_measure_problems
from steward.plans.render import render_comparison, render_version
from steward.plans.services import builtin_plan_paths, install_plan


class Command(StewardCommand):
    help = "Check, show, install and compare action plan files (資料開放行動方案)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        check = commands.add_parser("check", help="Check a plan file; exit 1 on any problem.")
        check.add_argument("file", type=Path, help="The plan file (TOML).")
        show = commands.add_parser("show", help="Show an installed plan as text.")
        show.add_argument("name", help="Plan key, e.g. mol.")
        show.add_argument("--version", dest="label", help="Version label (default: current).")
        install = commands.add_parser("install", help="Install plan files.")
        install.add_argument("files", nargs="*", type=Path, help="Plan files (TOML).")
        install.add_argument("--builtin", action="store_true", help="The four built-in plans.")
        install.add_argument(
            "--as",
            dest="username",
            default="",
            help="Install as this person (needs plan management in the plan's ministry); "
            "default: the server's operator.",
        )
        compare = commands.add_parser("compare", help="Amendment comparison table (修正對照表).")
        compare.add_argument("name", help="Plan key, e.g. moea.")
        compare.add_argument("old", help="Label of the version in force (現行).")
        compare.add_argument("new", help="Label of the amended version (修正).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _check(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            plan_file = read_plan_file(path)
            unknown = unknown_measure_problems(plan_file)
            if unknown:
                raise PlanError(unknown)
        except PlanError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(count)d problem(s) in %(file)s.")
                % {"count": len(error.problems), "file": path},
                returncode=1,
            ) from None
        items = sum(len(v["schedule"]) for v in plan_file.versions)
        self.stdout.write(
            f"OK {path}: plan {plan_file.key}, {len(plan_file.organisations)} organisations, "
            f"{len(plan_file.versions)} version(s) "
            f"({', '.join(v['label'] for v in plan_file.versions)}), {items} schedule items."
        )

    def _plan(self, name: str) -> Plan:
        try:
            return Plan.objects.get(key=name)
        except Plan.DoesNotExist:
            known = ", ".join(Plan.objects.values_list("key", flat=True)) or _("none installed")
            raise CommandError(
                _("No plan “%(name)s” (known: %(known)s).") % {"name": name, "known": known}
            ) from None

    def _version(self, plan: Plan, label: str | None) -> PlanVersion:
        version = plan.versions.filter(label=label).first() if label else plan.current_version()
        if version is None:
            labels = ", ".join(plan.versions.values_list("label", flat=True))
            raise CommandError(
                _("Plan %(plan)s has no version “%(label)s” (versions: %(labels)s).")
                % {"plan": plan.key, "label": label, "labels": labels}
            )
        return version

    def _show(self, options: dict[str, Any]) -> None:
        plan = self._plan(options["name"])
        version = self._version(plan, options["label"])
        others = [v.label for v in plan.versions.all()]
        self.stdout.write(render_version(version.document), ending="")
        self.stdout.write(f"\nVersions: {', '.join(others)}\n")

    def _install(self, options: dict[str, Any]) -> None:
        paths: list[Path] = list(options["files"])
        builtin = options["builtin"]
        if builtin:
            paths += builtin_plan_paths()
        if not paths:
            raise CommandError(_("Give plan files or --builtin."))
        by = person_named(options["username"]) if options["username"] else None
        # A file that cannot be opened (missing, a folder, not allowed) stops the command
        # before anything is installed.
        for path in paths:
            path.open("rb").close()
        failed = 0
        for path in paths:
            try:
                report = install_plan(
                    read_plan_file(path),
                    by=by,
                    built_in=builtin and path in builtin_plan_paths(),
                )
            except PlanError as error:
                failed += 1
                for problem in error.problems:
                    self.stderr.write(str(problem))
                continue
            labels = ", ".join(v.label for v in report.versions)
            if report.unchanged:
                self.stdout.write(f"{path.name}: plan {report.plan.key} unchanged ({labels}).")
            else:
                self.stdout.write(f"{path.name}: plan {report.plan.key} installed ({labels}).")
                if options["verbosity"] >= 1:
                    for change in report.changes:
                        self.stdout.write(f"  {change}")
        if failed:
            raise CommandError(
                _("%(count)d file(s) not installed.") % {"count": failed}, returncode=1
            )

    def _compare(self, options: dict[str, Any]) -> None:
        plan = self._plan(options["name"])
        old = self._version(plan, options["old"])
        new = self._version(plan, options["new"])
        self.stdout.write(f"{plan.name}　修正對照表　{old.label} → {new.label}\n")
        self.stdout.write(render_comparison(compare_versions(old, new)), ending="")
