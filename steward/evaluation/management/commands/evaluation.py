"""`steward evaluation run --plan NAME --period 2026H1 [--as USERNAME]`: evaluate a plan for a
period and print the ranking (the same service as the page)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, person_named
from steward.evaluation import presenting
from steward.evaluation.runs import EvaluationError, run_evaluation
from steward.plans.models import Plan
from steward.quality.measures.periods import MeasureError, Period


class Command(StewardCommand):
    help = "Run performance evaluations (績效評估) of action plans."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        run = commands.add_parser("run", help="Evaluate a plan for a period.")
        run.add_argument("--plan", required=True, help="Plan key, e.g. mol.")
        run.add_argument(
            "--period", required=True, help="2026 (a year), 2026H1 (a half), 2026Q1 (a quarter)."
        )
        run.add_argument(
            "--as",
            dest="username",
            default="",
            help="Run as this person (needs evaluation in the plan's ministry); "
            "default: the server's operator.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(key=options["plan"]).first()
        if plan is None:
            raise CommandError(_("No plan “%(name)s”.") % {"name": options["plan"]})
        by = person_named(options["username"]) if options["username"] else None
        try:
            period = Period.parse(options["period"])
            run = run_evaluation(plan, period, by=by)
        except (MeasureError, EvaluationError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{plan.name} {presenting.period_label(run.period)}")
        for part in run.parts:
            self.stdout.write(
                _("Version %(label)s: %(start)s to %(end)s")
                % {"label": part["label"], "start": part["start"], "end": part["end"]}
            )
        for score in run.scores.select_related("organisation"):
            rank = score.rank if score.rank is not None else "—"
            overall = score.overall if score.overall is not None else _("no data")
            self.stdout.write(f"{rank}\t{score.organisation.name}\t{overall}")
        if run.changes:
            self.stdout.write(
                _("%(count)s figure(s) changed since the previous run.")
                % {"count": len(run.changes)}
            )
