"""Dependencies point inward: the rules package never imports openpyxl or xlwings."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import addin.rules

RULES = Path(addin.rules.__file__).parent
FORBIDDEN = ("openpyxl", "xlwings", "python_calamine", "pandas")


def test_importing_rules_loads_no_spreadsheet_library():
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import addin.rules\n"
        "names = [m.name for m in pkgutil.iter_modules(addin.rules.__path__, 'addin.rules.')]\n"
        "for n in names: importlib.import_module(n)\n"
        f"print(json.dumps({{'modules': names, 'loaded': [m for m in {list(FORBIDDEN)!r} if m in sys.modules]}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert "addin.rules.eligibility" in result["modules"] and len(result["modules"]) >= 10
    assert result["loaded"] == []


def test_no_spreadsheet_import_in_rules_source():
    offenders = []
    files = sorted(RULES.rglob("*.py"))
    assert files
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for n in names:
                if n.split(".")[0] in FORBIDDEN or n.startswith("addin.workbook") or n.startswith("addin.cli"):
                    offenders.append(f"{f.name}:{node.lineno} {n}")
    assert offenders == []


def test_workbook_io_never_imports_the_use_cases_at_run_time():
    """addin.workbook (I/O) sits below the use cases (check, consolidate, lock): no import circle.
    Imports under `if TYPE_CHECKING:` (type names only) are allowed."""
    use_cases = ("addin.check", "addin.consolidate", "addin.lock", "addin.cli", "addin.xlbridge")
    offenders = []
    for f in sorted((RULES.parent / "workbook").rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        type_only = {id(n) for node in ast.walk(tree)
                     if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
                     for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in type_only \
                    and (node.module or "").startswith(use_cases):
                offenders.append(f"{f.name}:{node.lineno} {node.module}")
    assert offenders == []
