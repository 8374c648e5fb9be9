"""Shared fixtures. Keep this minimal: helpers put their own fixtures in their test files."""

from __future__ import annotations

import pytest

from addin.config import default_config


@pytest.fixture(scope="session")
def cfg():
    """The embedded Crema 2026-2028 configuration."""
    return default_config()
