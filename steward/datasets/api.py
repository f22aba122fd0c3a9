"""JSON API of datasets (mounted under /api/)."""

from ninja import Router

router = Router(tags=["datasets"])
