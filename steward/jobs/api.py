"""JSON API of jobs (mounted under /api/)."""

from steward.lib.api import Router

router = Router(tags=["jobs"])
