"""JSON API of jobs (mounted under /api/)."""

from ninja import Router

router = Router(tags=["jobs"])
