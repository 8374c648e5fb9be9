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


def _imports(path: Path) -> list[tuple[int, str]]:
    """Modules imported by a source file at run time (imports under `if TYPE_CHECKING:` excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
    return out


def test_dependencies_point_inward():
    """Register and workbook I/O never import the use cases or the front ends; the register knows
    nothing of workbooks; the use cases never import a front end."""
    root = RULES.parent
    outer = {"registro": ("addin.casi", "addin.cli", "addin.xlbridge", "addin.server", "addin.workbook",
                          "openpyxl", "xlwings"),
             "workbook": ("addin.casi", "addin.cli", "addin.xlbridge", "addin.server"),
             "casi": ("addin.cli", "addin.xlbridge", "addin.server")}
    offenders = []
    for pkg, forbidden in outer.items():
        files = sorted((root / pkg).rglob("*.py"))
        assert files, pkg
        for f in files:
            for line, name in _imports(f):
                if name.startswith(forbidden):
                    offenders.append(f"{pkg}/{f.name}:{line} {name}")
    assert offenders == []
