"""Fixtures of the inventory tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English, so tests can match the words of a reason; the interface's
    default is Traditional Chinese (see test_messages_are_in_traditional_chinese_by_default)."""
    with translation.override("en"):
        yield
