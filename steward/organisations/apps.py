"""App configuration for organisations."""

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "steward.organisations"
    label = "organisations"
    verbose_name = _("Organisations and people")

    def ready(self) -> None:
        from steward.organisations import work
        from steward.organisations.models import Role
        from steward.organisations.signin import lockouts, middleware, twofactor  # noqa: F401

        work.autodiscover()

        known = {*Role.values, twofactor.ADMIN}
        unknown = sorted(set(settings.STEWARD_REQUIRE_2FA_ROLES) - known)
        if unknown:
            raise ImproperlyConfigured(
                f"STEWARD_REQUIRE_2FA_ROLES: unknown role(s) {', '.join(unknown)};"
                f" use any of {', '.join(sorted(known))}"
            )
