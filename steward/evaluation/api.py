"""JSON API of evaluation (mounted under /api/)."""

from ninja import Router

router = Router(tags=["evaluation"])
