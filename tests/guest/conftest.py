"""The test guest, built once per machine and kept between test runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mikrodock.testing.guest import guest_image


@pytest.fixture(scope="session")
def guest_base(persistent_cache: Path) -> Path:
    """The cached test guest image (built once, kept between runs)."""
    return guest_image(cache=persistent_cache / "test-guest")
