"""Periodic work decided in our code (healthchecks' `sendalerts` idea): no cron, no broker.

Apps register producers with `@periodic("name")`; each is called with the current time on
every scheduler tick of a worker and enqueues whatever has become due (idempotently, with
`enqueue(..., unique_key=...)`, so several workers ticking at once do no harm).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from steward.jobs.services import requeue_orphans

logger = logging.getLogger(__name__)

Producer = Callable[[datetime], int]

_PRODUCERS: dict[str, Producer] = {}


def periodic(name: str) -> Callable[[Producer], Producer]:
    """Register `producer(now) -> number of jobs enqueued` to run on every tick."""

    def register(producer: Producer) -> Producer:
        _PRODUCERS[name] = producer
        return producer

    return register


def producers() -> dict[str, Producer]:
    return dict(_PRODUCERS)


def tick(now: datetime | None = None) -> dict[str, int]:
    """Run every producer once, and give orphaned jobs back to the queue."""
    now = now or timezone.now()
    counts = {"orphans_requeued": requeue_orphans(now=now)}
    for name, producer in _PRODUCERS.items():
        try:
            counts[name] = producer(now)
        except Exception:  # one broken producer must not stop the others
            logger.exception("periodic producer %s failed", name)
            counts[name] = -1
    return counts
