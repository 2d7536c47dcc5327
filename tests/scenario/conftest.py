"""Scenario tests run on a real snapshot of the tiny plant."""

from __future__ import annotations

import pytest

from tests.tiny_plant import tiny_snapshot
from twin_core.settings import Settings


@pytest.fixture
def snapshot(settings: Settings) -> int:
    """The tiny plant, rebuilt into snapshot 1 as of 2026-01-05."""
    return tiny_snapshot(settings)
