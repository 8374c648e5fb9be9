"""Shared fixtures. Keep this minimal: helpers put their own fixtures in their test files."""

from __future__ import annotations

import os

import pytest

# xlwings reads these when it is first imported (add-in tests): set them before any test module does
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

from addin.config import default_config


@pytest.fixture(scope="session")
def cfg():
    """The embedded Crema 2026-2028 configuration."""
    return default_config()
