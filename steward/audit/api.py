"""JSON API of audit (mounted under /api/)."""

from ninja import Router

router = Router(tags=["audit"])
