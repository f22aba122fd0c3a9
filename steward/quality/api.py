"""JSON API of quality (mounted under /api/)."""

from ninja import Router

router = Router(tags=["quality"])
