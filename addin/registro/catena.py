"""The hash chain of the register: canonical serialisation of an act and its SHA-256 (pure, no I/O).

Every act of a programme and year carries the hash of the previous act of the same chain. The hash
covers every column of the act in a fixed order (envelope) and its payload (`dati`) as stored: the
payload is canonical JSON (keys sorted, no spaces, Decimal as strings, dates ISO), built once by
`dati_canonici` when the act is written, so what is hashed is byte for byte what the database holds
(no JSON column: PostgreSQL's JSONB would reorder keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from enum import Enum

VERSIONE_CATENA = "rendiconta-registro/1"
HASH_INIZIALE = "0" * 64            # hash_precedente of the first act of a chain

# the envelope, in the order it is hashed (never reorder: it would change every hash)
CAMPI_ATTO = ("programma", "anno", "posizione", "tipo", "data", "registrato_il", "autore", "riferimento",
              "dati", "hash_precedente")


def _valore(v: object) -> object:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    raise TypeError(f"valore non serializzabile nel registro: {type(v).__name__}")


def dati_canonici(dati: dict) -> str:
    """The canonical JSON text of an act's payload."""
    if any(isinstance(x, float) for x in _foglie(dati)):
        raise TypeError("il registro non accetta numeri in virgola mobile: usare Decimal")
    return json.dumps(dati, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_valore)


def _foglie(v: object):
    if isinstance(v, dict):
        for x in v.values():
            yield from _foglie(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _foglie(x)
    else:
        yield v


def hash_atto(campi: dict) -> str:
    """SHA-256 (hex) of an act: the envelope fields of CAMPI_ATTO in order; `dati` is the stored text."""
    envelope = [VERSIONE_CATENA, *(campi[k] for k in CAMPI_ATTO)]
    text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def impronta_teste(teste: list[tuple[int, int, int, str]]) -> str:
    """One digest of every chain head (programma, anno, lunghezza, ultimo hash): written down outside
    the register (protocol, e-mail), it proves later that no chain was truncated or removed."""
    text = json.dumps(sorted(teste), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
