"""Shared fixtures. Keep this minimal: helpers put their own fixtures in their test files."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import tempfile
import uuid

import pytest

# xlwings reads these when it is first imported (add-in tests): set them before any test module does
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

# The tests never touch the user's real data folder or register: everything below points into a
# temporary folder before any test module is imported (subprocesses inherit it).
_TMP = tempfile.mkdtemp(prefix="rendiconta-test-")
atexit.register(shutil.rmtree, _TMP, True)
os.environ["XDG_DATA_HOME"] = os.path.join(_TMP, "dati")
os.environ["LOCALAPPDATA"] = os.path.join(_TMP, "dati")
os.environ["RENDICONTA_REGISTRO"] = f"sqlite:///{_TMP}/registro-sessione.sqlite"
os.environ.setdefault("RENDICONTA_OPERATORE", "Funzionario di prova")
# The add-in server's tests fix the scripts' date by monkeypatching addin.xlbridge.today, which a worker
# process would not see: scripts run in threads unless a test asks for worker processes (test_server_processi).
os.environ["RENDICONTA_PROCESSI"] = "0"
_counter = itertools.count()

from addin.config import default_config  # noqa: E402
from addin.registro import connessione  # noqa: E402

PG_URL = os.environ.get("RENDICONTA_TEST_PG_URL")


@pytest.fixture(scope="session")
def cfg():
    """The embedded Crema 2026-2028 configuration."""
    return default_config()


@pytest.fixture(autouse=True, scope="module")
def _registro_per_modulo():
    """Module-scoped fixtures (workbooks sealed once for a whole test file) get their module's own
    register, so no act of one file's fixtures is seen by another file's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RENDICONTA_REGISTRO", f"sqlite:///{_TMP}/registro-modulo-{next(_counter)}.sqlite")
        yield


@pytest.fixture(autouse=True)
def _registro_per_test(monkeypatch):
    """Each test gets its own embedded register (a SQLite file created only if the test opens it)."""
    monkeypatch.setenv("RENDICONTA_REGISTRO", f"sqlite:///{_TMP}/registro-{next(_counter)}.sqlite")
    yield
    if connessione._engines:
        connessione.chiudi_motori()


@contextlib.contextmanager
def _database_pg(monkeypatch):
    """A new PostgreSQL database on RENDICONTA_TEST_PG_URL's server, dropped afterwards."""
    if not PG_URL:
        pytest.skip("PostgreSQL: impostare RENDICONTA_TEST_PG_URL (lo fa .ci/run)")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"rendiconta_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("RENDICONTA_REGISTRO", url)
    try:
        yield url
    finally:
        connessione.chiudi_motori()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def registro_url(request, monkeypatch):
    """An empty register on SQLite, and on PostgreSQL when RENDICONTA_TEST_PG_URL is set (a new
    database per test, dropped afterwards). RENDICONTA_REGISTRO points to it for the whole test."""
    if request.param == "sqlite":
        url = f"sqlite:///{_TMP}/registro-{next(_counter)}.sqlite"
        monkeypatch.setenv("RENDICONTA_REGISTRO", url)
        yield url
        return
    with _database_pg(monkeypatch) as url:
        yield url


@pytest.fixture
def registro_pg_url(monkeypatch):
    """An empty register on PostgreSQL only (tests of PostgreSQL's own features)."""
    with _database_pg(monkeypatch) as url:
        yield url


@pytest.fixture
def registro(registro_url):
    """The opened register of `registro_url`."""
    from addin.registro import Registro

    return Registro.apri(registro_url)


def pytest_collection_modifyitems(config, items):
    """Under `make mutate` (mutmut sets MUTANT_UNDER_TEST) the property-based tests are left out: they
    cost seconds per mutant, and every mutant must be killed by a deterministic test anyway."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    keep = [i for i in items if not getattr(getattr(i, "obj", None), "is_hypothesis_test", False)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


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
