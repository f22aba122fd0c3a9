"""JSON API of audit (mounted under /api/)."""

from steward.lib.api import Router

router = Router(tags=["audit"])
