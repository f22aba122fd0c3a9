"""JSON API of publishing (mounted under /api/publishing/)."""

from ninja import Router

router = Router(tags=["publishing"])
