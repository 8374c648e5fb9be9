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
    _memo_partner: dict = field(default_factory=dict)
    _memo_categoria: dict = field(default_factory=dict)
    _memo_non_ammissibili: dict = field(default_factory=dict)
    _memo_modalita: dict = field(default_factory=dict)

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
        try:
            return self._memo_partner[text]
        except (KeyError, TypeError):
            return self._resolve(self._partner, self._memo_partner, text)

    def categoria(self, text: object) -> Categoria | None:
        try:
            return self._memo_categoria[text]
        except (KeyError, TypeError):
            return self._resolve(self._categoria, self._memo_categoria, text)

    def costo_non_ammissibile(self, text: object) -> str | None:
        return self._resolve(self._non_ammissibili, self._memo_non_ammissibili, text)

    def modalita(self, text: object) -> ModalitaPagamento | None:
        try:
            return self._memo_modalita[text]
        except (KeyError, TypeError):
            return self._resolve(self._modalita, self._memo_modalita, text)

    def azione(self, programma: Programma, text: object) -> str | None:
        codes = self._azioni.get(programma.codice)
        if codes is None:
            codes = self._azioni[programma.codice] = frozenset(programma.codici_azioni)
        code = norm_action(text)
        return code if code in codes else None

    @staticmethod
    def _resolve(table: dict, memo: dict, text: object):
        # perf: the same few texts repeat on every row; the callers look them up as typed in `memo`
        # first (one dictionary access per row), normalising only the first time a text is met
        found = table.get(norm(text))
        try:
            memo[text] = found
        except TypeError:  # unhashable input
            pass
        return found


_cache: dict[int, Lookup] = {}


def lookup_for(config: Config) -> Lookup:
    key = id(config)
    lk = _cache.get(key)
    if lk is None or lk.config is not config:
        lk = _cache[key] = Lookup(config)
    return lk
