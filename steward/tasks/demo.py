"""Demo activity of tasks (`steward demo`): the year's tasks of a ministry, done as a year
goes — every task due more than a month ago done with evidence and signed off, through the
services; the later ones left for the demo's people (some overdue, some due soon)."""

from __future__ import annotations

import datetime

from steward.organisations.models import Organisation, Person, Role
from steward.plans.schedule import version_in_force
from steward.tasks import services
from steward.tasks.access import workers_of
from steward.tasks.generation import generate_tasks
from steward.tasks.models import Task, TaskStatus


def populate(ministry: Organisation, *, today: datetime.date) -> None:
    plan = ministry.plans.first()
    if plan is None:
        return
    version = version_in_force(plan, today.year)
    if version is None:
        return
    generate_tasks(version, today.year)
    signer = (
        Person.objects.filter(
            role_assignments__role=Role.INFORMATION_CENTRE,
            role_assignments__organisation__path__startswith=ministry.path,
            role_assignments__active=True,
        )
        .order_by("pk")
        .first()
    )
    if signer is None:
        return
    done_before = today - datetime.timedelta(days=30)
    tasks = Task.objects.filter(
        organisation__path__startswith=ministry.path,
        status=TaskStatus.OPEN,
        due_date__lt=done_before,
    ).select_related("organisation")
    for task in tasks:
        worker = workers_of(task.organisation).order_by("pk").first()
        if worker is None and task.organisation.pk == ministry.pk:
            worker = signer  # the ministry's own work: the information centre does it
        if worker is None:
            continue
        services.start(task, by=worker)
        services.add_link(
            task,
            by=worker,
            url=f"https://www.example.gov.tw/opendata/{task.organisation.key}/{task.key}",
            name=f"{task.title}辦理情形",
        )
        services.complete(task, by=worker, note="已依期限辦理。")
        services.sign_off(task, by=signer)
