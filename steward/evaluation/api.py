"""JSON API of evaluation (mounted under /api/)."""

from steward.lib.api import Router

router = Router(tags=["evaluation"])
