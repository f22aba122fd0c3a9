"""Organisations (本部 / 所屬機關 / 單位), people, and the roles they hold."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

AGENCY_CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_]{10}$",
    _("An agency code (機關代碼) is exactly 10 letters, digits or underscores."),
)


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry (本部)")
    AGENCY = "agency", _("Agency (所屬機關)")
    UNIT = "unit", _("Unit (單位)")


class Organisation(models.Model):
    """A node of the tree ministry → agencies (所屬機關) → units (單位).

    `path` is a materialised path ("/1/4/9/") so that a subtree is one indexed
    prefix query; it is kept by `save()`.
    """

    key = models.SlugField(
        _("key"),
        max_length=64,
        unique=True,
        help_text=_("Short stable name used in plan files, e.g. mol-bli."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    agency_code = models.CharField(
        _("agency code (機關代碼)"),
        max_length=10,
        blank=True,
        validators=[AGENCY_CODE_VALIDATOR],
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    email = models.EmailField(_("contact e-mail"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency_code"],
                condition=~models.Q(agency_code=""),
                name="unique_agency_code",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def save(self, *args: object, **kwargs: object) -> None:
        old_path = self.path
        if self.pk is None:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            kwargs = {}
        self.path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != self.path:
            # Moved: re-root every descendant.
            for descendant in Organisation.objects.filter(path__startswith=old_path).exclude(
                pk=self.pk
            ):
                descendant.path = self.path + descendant.path[len(old_path) :]
                Organisation.objects.filter(pk=descendant.pk).update(path=descendant.path)

    def clean(self) -> None:
        if self.kind == OrganisationKind.MINISTRY and self.parent_id is not None:
            raise ValidationError({"parent": _("A ministry is the root of its tree.")})
        if self.kind != OrganisationKind.MINISTRY and self.parent_id is None:
            raise ValidationError({"parent": _("Agencies and units belong to a parent.")})
        if self.pk and self.parent_id and self.parent and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("An organisation cannot be inside itself.")})

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def subtree(self) -> models.QuerySet[Organisation]:
        """This organisation and everything below it."""
        return Organisation.objects.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet[Organisation]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Organisation.objects.filter(pk__in=ids).order_by("path")

    @property
    def ministry(self) -> Organisation:
        """The root of this organisation's tree."""
        if self.parent_id is None:
            return self
        root_id = int(self.path.strip("/").split("/")[0])
        kept: Organisation | None = self.__dict__.get("_steward_ministry")
        if kept is None or kept.pk != root_id:  # read once per instance (a page asks often)
            kept = self.__dict__["_steward_ministry"] = Organisation.objects.get(pk=root_id)
        return kept

    @property
    def agency(self) -> Organisation:
        """The agency (or ministry) this organisation belongs to: units roll up to it."""
        node = self
        while node.kind == OrganisationKind.UNIT and node.parent is not None:
            node = node.parent
        return node

    def is_within(self, other: Organisation) -> bool:
        return self.path.startswith(other.path)


class Person(AbstractUser):
    """Somebody who signs in. What they may do comes from their role assignments."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def active_roles(self) -> list[RoleAssignment]:
        """The active role assignments, with their organisations.

        In a web request they are read once, however often the scoping rule, the navigation
        and the page ask (`RolesOncePerRequestMiddleware` lets the request's person keep
        them); anywhere else every call reads them afresh.
        """
        kept: list[RoleAssignment] | None = self.__dict__.get(KEPT_ROLES)
        if kept is not None:
            return kept
        # with two levels of parents: a unit's agency (`Organisation.agency`) without a query
        found = list(
            self.role_assignments.filter(active=True).select_related("organisation__parent__parent")
        )
        if self.__dict__.get(KEEP_ROLES):
            self.__dict__[KEPT_ROLES] = found
        return found

    def forget_roles(self) -> None:
        """Read the role assignments afresh next time (after this request changed them)."""
        self.__dict__.pop(KEPT_ROLES, None)


#: Attributes of a Person loaded for a web request: keep the roles read (set by the
#: middleware), and the roles kept.
KEEP_ROLES = "_steward_keep_roles"
KEPT_ROLES = "_steward_roles"


class Role(models.TextChoices):
    """The roles the plans give people (see GLOSSARY.md)."""

    LIAISON = "liaison", _("Data liaison (資料開放聯絡人)")
    UNIT_REVIEWER = "unit_reviewer", _("Unit reviewer (資料審查者)")
    INFORMATION_CENTRE = "information_centre", _("Information centre (資訊中心)")
    CIO = "cio", _("CIO (資訊長)")
    HEAD_OF_AGENCY = "head_of_agency", _("Head of agency (機關首長)")
    COMMITTEE_MEMBER = "committee_member", _("Advisory committee member (諮詢小組委員)")
    AUDITOR = "auditor", _("Auditor, read only (稽核)")


class CommitteeSeat(models.TextChoices):
    """Seat on the advisory committee (諮詢小組)."""

    CHAIR = "chair", _("Chair (召集人)")
    AGENCY = "agency", _("Agency representative (機關代表)")
    CIVIL = "civil", _("Civil representative (民間代表)")


class RoleAssignment(models.Model):
    """A person holds a role in an organisation; people may hold several."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    committee_seat = models.CharField(
        _("committee seat"), max_length=16, choices=CommitteeSeat.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "role"], name="unique_role_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.organisation}"

    def clean(self) -> None:
        if self.role == Role.COMMITTEE_MEMBER and not self.committee_seat:
            raise ValidationError({"committee_seat": _("A committee member holds a seat.")})
        if self.role != Role.COMMITTEE_MEMBER and self.committee_seat:
            raise ValidationError({"committee_seat": _("Only committee members hold a seat.")})
