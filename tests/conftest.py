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


def pytest_sessionfinish(session, exitstatus):
    """In CI (CI=true, as .ci/run is run) a skipped test fails the run: CI installs everything the
    tests need, so a skip there means an assertion silently not made."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test saltati (vedi -ra sopra): in CI ogni test deve essere eseguito",
                            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
