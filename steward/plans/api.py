"""JSON API of plans (mounted under /api/)."""

from ninja import Router

router = Router(tags=["plans"])
