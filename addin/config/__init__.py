"""The reporting configuration: TOML validated by pydantic, with Italian errors naming the key."""

from __future__ import annotations

import functools
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


_MESSAGES = {
    "missing": "chiave obbligatoria mancante",
    "extra_forbidden": "chiave non prevista",
    "decimal_parsing": "non è un numero",
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
        raise ConfigError(f"{source}: TOML non valido ({exc})") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, "))
            lines.append(f"  - {_key(err['loc'])}: {msg}")
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
