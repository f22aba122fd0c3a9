"""JSON API of feedback (mounted under /api/)."""

from steward.lib.api import Router

router = Router(tags=["feedback"])
