"""Names vulture cannot see used: found by a dotted path in settings or urls, by a template, by
`getattr`, or the API of a registry whose callers are still to come.

vulture reads this file (pyproject.toml); nothing imports it. Each line is a use of a name.
"""

# ruff: noqa: B018

from steward import errors
from steward.catalogue import search_index
from steward.evaluation import registry
from steward.feedback.models import FeedbackItem
from steward.lib import middleware
from steward.organisations import context_processors, work
from steward.organisations import middleware as organisations_middleware
from steward.organisations.signin import middleware as signin_middleware
from steward.organisations.signin import views as signin_views
from steward.plans.management.commands.plan import Command as PlanCommand
from steward.quality.services import QualityError

errors.bad_request  # handler400 in steward/urls.py
errors.permission_denied  # handler403
errors.page_not_found  # handler404
errors.server_error  # handler500
errors.csrf_failure  # CSRF_FAILURE_VIEW
middleware.TraditionalChineseFirstMiddleware  # MIDDLEWARE
signin_middleware.IdleTimeoutMiddleware  # MIDDLEWARE
signin_middleware.SecondFactorMiddleware  # MIDDLEWARE
context_processors.navigation  # TEMPLATES' context_processors
signin_views.locked_out  # AXES_LOCKOUT_CALLABLE
QualityError  # steward.cli.DOMAIN_ERRORS, by dotted path
FeedbackItem.published_dataset  # feedback/_decision.html
PlanCommand._install  # `plan install`, dispatched by getattr(self, f"_{subcommand}")
# The programme's registries (KPI measures, work waiting on a person): the evaluation pages
# and the home page's list will call these.
registry.is_registered
registry.registered
work.work_source
work.waiting_for
search_index.uninstall  # the reverse of migration catalogue 0002 (migrations are not read)
search_index.install_version  # migration catalogue 0003
search_index.uninstall_version  # its reverse
organisations_middleware.RolesOncePerRequestMiddleware  # MIDDLEWARE in settings.py
