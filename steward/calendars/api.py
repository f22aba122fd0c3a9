"""JSON API of calendars (mounted under /api/)."""

from ninja import Router

router = Router(tags=["calendars"])
