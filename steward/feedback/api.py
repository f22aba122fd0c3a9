"""JSON API of feedback (mounted under /api/)."""

from ninja import Router

router = Router(tags=["feedback"])
