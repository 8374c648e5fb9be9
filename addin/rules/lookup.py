"""Resolve what partners type (names, labels, codes) to configuration entries."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from addin.config.models import Categoria, Config, ModalitaPagamento, Partner, Programma

_SPACES = re.compile(r"\s+")


def norm(text: object) -> str:
    """Normalise text for matching: no accents, lower case, single spaces, no outer punctuation."""
    if text is None:
        return ""
    return _norm_str(text if isinstance(text, str) else str(text))


@functools.lru_cache(maxsize=16384)
def _norm_str(s: str) -> str:
    # perf (verifica bench): cached, and ASCII text has no accents to strip (NFKD is the identity)
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
        s = s.replace("’", " ")
    s = s.replace("'", " ")
    return _SPACES.sub(" ", s).strip().casefold()


_ACTION = re.compile(r"^(\d+)\s*[.,]\s*(\d+)")


def norm_action(value: object) -> str:
    """'1.2', ' 1.2 - Titolo', 1.2 -> '1.2'."""
    return _norm_action_str(str(value)) if value is not None else ""


@functools.lru_cache(maxsize=4096)
def _norm_action_str(s: str) -> str:
    s = s.strip()
    m = _ACTION.match(s)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else s


@dataclass
class Lookup:
    """Pre-built lookup tables for one configuration."""

    config: Config
    _partner: dict[str, Partner] = field(default_factory=dict)
    _categoria: dict[str, Categoria] = field(default_factory=dict)
    _non_ammissibili: dict[str, str] = field(default_factory=dict)
    _modalita: dict[str, ModalitaPagamento] = field(default_factory=dict)
    _azioni: dict[int, frozenset[str]] = field(default_factory=dict)
    _memo: dict[int, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in self.config.partner:
            for name in [p.nome, *p.alias]:
                self._partner[norm(name)] = p
        for c in self.config.categorie:
            self._categoria[norm(c.codice)] = c
            self._categoria[norm(c.nome)] = c
            self._categoria[norm(c.codice.replace("_", " "))] = c
        for c in self.config.costi_non_ammissibili:
            self._non_ammissibili[norm(c.codice)] = c.nome
            self._non_ammissibili[norm(c.nome)] = c.nome
        for m in self.config.modalita_pagamento:
            self._modalita[norm(m.nome)] = m

    def partner(self, text: object) -> Partner | None:
        return self._resolve(self._partner, text)

    def categoria(self, text: object) -> Categoria | None:
        return self._resolve(self._categoria, text)

    def costo_non_ammissibile(self, text: object) -> str | None:
        return self._resolve(self._non_ammissibili, text)

    def modalita(self, text: object) -> ModalitaPagamento | None:
        return self._resolve(self._modalita, text)

    def azione(self, programma: Programma, text: object) -> str | None:
        codes = self._azioni.get(programma.codice)
        if codes is None:
            codes = self._azioni[programma.codice] = frozenset(programma.codici_azioni)
        code = norm_action(text)
        return code if code in codes else None

    def _resolve(self, table: dict, text: object):
        # perf: the same few texts repeat on every row; remember them as typed, before normalising
        memo = self._memo.get(id(table))
        if memo is None:
            memo = self._memo[id(table)] = {}
        try:
            return memo[text]
        except KeyError:
            found = memo[text] = table.get(norm(text))
            return found
        except TypeError:  # unhashable input
            return table.get(norm(text))


_cache: dict[int, Lookup] = {}


def lookup_for(config: Config) -> Lookup:
    key = id(config)
    lk = _cache.get(key)
    if lk is None or lk.config is not config:
        lk = _cache[key] = Lookup(config)
    return lk
