"""JSON API of inventory (mounted under /api/)."""

from ninja import Router

router = Router(tags=["inventory"])
