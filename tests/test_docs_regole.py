"""docs/regole.md stays in sync with the catalogue and the configuration keys it names."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from addin.config import DEFAULT_CONFIG
from addin.rules.catalogue import CATALOGO

DOC = Path(__file__).resolve().parents[1] / "docs" / "regole.md"


README = DOC.parents[1] / "README.md"


@pytest.mark.parametrize("doc", [DOC, README], ids=["docs/regole.md", "README.md"])
def test_every_code_documented_with_its_effect(doc):
    text = doc.read_text(encoding="utf-8")
    effects = {"non_ammessa": "NON_AMMESSA", "esclusa": "ESCLUSA", "integrabile": "DA_INTEGRARE, poi ESCLUSA",
               "riduzione": "riduzione", "integrabile_riduzione": "DA_INTEGRARE, poi riduzione",
               "segnalazione": "segnalazione"}
    rows = {m.group(1): m.group(2).strip() for m in re.finditer(r"^\| `([A-Z_]+)` \| ([^|]+) \|", text, re.M)}
    for code, voce in CATALOGO.items():
        assert code in rows, f"{code} manca in {doc.name}"
        assert rows[code] == effects[voce.effetto], code
    assert set(rows) - set(CATALOGO) <= {"AMMESSA", "DA_INTEGRARE", "NON_AMMESSA", "ESCLUSA"}


def _resolve(data, key: str) -> bool:
    node = data
    for part in key.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_documented_defaults_exist_in_the_toml():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Valori predefiniti", 1)[1]
    keys = re.findall(r"^\| `([a-z_.]+)` \|", section, re.M)
    assert len(keys) >= 15
    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert [k for k in keys if not _resolve(data, k)] == []
    # every [D] line of the TOML is covered by a documented key
    toml = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for line in toml.splitlines():
        m = re.match(r"^([a-z_]+) = .*\[D\]", line)
        if m:
            assert any(k.endswith("." + m.group(1)) for k in keys), m.group(1)
