"""The reporting configuration: TOML validated by pydantic, with Italian errors naming the key."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from addin.config.models import Config

DEFAULT_CONFIG = Path(__file__).with_name("crema_2026_2028.toml")

__all__ = ["Config", "ConfigError", "DEFAULT_CONFIG", "load_config", "default_config"]


class ConfigError(Exception):
    """The configuration file is unreadable or invalid; the message is Italian and names the key."""


def _key(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(radice)"


_ARRAY_HINT = {"programmi": "codice", "partner": "nome", "categorie": "codice", "finestre": "numero",
               "tranche": "numero", "costi_non_ammissibili": "codice", "modalita_pagamento": "nome"}


def _where(loc: tuple, data: object) -> str:
    """The dotted key, plus which [[array]] element it is when the path goes through one
    (list indices in the key count from 0, as in pydantic; the hint counts from 1)."""
    node: object = data
    prev: object = None
    hints: list[str] = []
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            elem = node[part]
            label = f"[[{prev}]] {part + 1}° elemento"
            field = _ARRAY_HINT.get(str(prev))
            if isinstance(elem, dict) and field and field in elem:
                label += f", {field} = {elem[field]!r}"
            hints.append(label)
            node = elem
        elif isinstance(node, dict):
            node = node.get(part, node.get(str(part)))
        else:
            node = None
        prev = part
    key = _key(loc)
    return f"{key} ({'; '.join(hints)})" if hints else key


_TOML_POS = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")


_MESSAGES = {
    "missing": "chiave obbligatoria mancante",
    "extra_forbidden": "chiave non prevista",
    "decimal_parsing": "non è un numero",
    "decimal_type": "deve essere un numero (tra virgolette, es. \"1234.56\")",
    "float_parsing": "non è un numero",
    "float_type": "deve essere un numero",
    "int_from_float": "deve essere un numero intero",
    "model_type": "deve essere una tabella",
    "less_than": "valore troppo grande",
    "date_from_datetime_inexact": "deve essere una data senza ora (AAAA-MM-GG)",
    "date_from_datetime_parsing": "deve essere una data (AAAA-MM-GG)",
    "int_parsing": "non è un numero intero",
    "int_type": "deve essere un numero intero",
    "bool_type": "deve essere true o false",
    "bool_parsing": "deve essere true o false",
    "date_type": "deve essere una data (AAAA-MM-GG)",
    "date_parsing": "deve essere una data (AAAA-MM-GG)",
    "string_type": "deve essere un testo",
    "list_type": "deve essere un elenco",
    "dict_type": "deve essere una tabella",
    "greater_than_equal": "valore troppo piccolo",
    "greater_than": "valore troppo piccolo",
    "less_than_equal": "valore troppo grande",
    "too_short": "elenco vuoto",
    "literal_error": "valore non ammesso",
}


def parse_config(text: str, source: str = "configurazione") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.match(str(exc))
        if m is None:
            raise ConfigError(f"{source}: TOML non valido ({exc})") from None
        line_no = int(m.group(2))
        lines = text.splitlines()
        line = lines[line_no - 1].strip() if 0 < line_no <= len(lines) else ""
        raise ConfigError(f"{source}: TOML non valido alla riga {line_no}, colonna {m.group(3)} "
                          f"({m.group(1)}): «{line}»") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, "))
            if err["loc"]:
                lines.append(f"  - {_where(err['loc'], data)}: {msg}")
            else:  # whole-file checks: the message names the key itself
                lines.append(f"  - {msg}")
        raise ConfigError(f"{source}: configurazione non valida\n" + "\n".join(lines)) from None


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate a configuration file (the embedded Crema one by default)."""
    p = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: impossibile leggere il file di configurazione ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: il file di configurazione non è UTF-8") from None
    return parse_config(text, str(p))


@functools.cache
def default_config() -> Config:
    return load_config(None)
