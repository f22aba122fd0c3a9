"""factory-boy factories for organisations and people, used by every app's tests."""

from __future__ import annotations

import factory

from steward.organisations.models import (
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleAssignment,
)


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"機關{n}")
    kind = OrganisationKind.AGENCY
    parent = None


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda p: f"{p.username}@example.gov.tw")
    display_name = factory.LazyAttribute(lambda p: p.username)
    password = factory.django.Password("correct horse battery staple")


class RoleAssignmentFactory(factory.django.DjangoModelFactory[RoleAssignment]):
    class Meta:
        model = RoleAssignment

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.LIAISON
