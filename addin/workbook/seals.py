"""Tamper-evident seals of closed reporting windows (HMAC-SHA256 keyed by a secret of the Comune).

INTERFACE CONTRACT (used by addin.casi.blocca and addin.casi.verifica):
    carica_chiave(path_or_none) -> bytes | None
    verifica_sigilli(cartella, config, chiave, data_riferimento) -> RisultatoSigilli
        .stato in {"verificati", "non_verificabili", "assenti"}
        .motivi: dict[int, list[Motivo]]  (Spese row -> RIGA_SIGILLATA_MODIFICATA / INSERIMENTO_RETROATTIVO)
        .dettagli: list[str]              (Italian lines for the report)

What a seal covers (see docs/blocco.md):
- a window seal ("finestraN"): every `Spese` row whose deciding date (by default its competence date:
  addin.rules.eligibility.data_decisiva) falls in window N of the workbook's year, in row order;
- the co-financing seal of a window ("cofinanziamentoN", made together with "finestraN" when the
  `Cofinanziamento` sheet has the column «Data»): every non-monetary or volunteer row dated in window N
  (addin.rules.cofinancing.finestra_voce), in row order;
- the year's co-financing seal ("cofinanziamento"): the other `Cofinanziamento` rows (monetary rows,
  derived from the expenses; undated rows; rows of an unknown type or dated in another year), written once
  the last window of the year is closed. A workbook without the column «Data» (older templates) has no
  window co-financing seals: this seal then covers every row, as before; so does it once it exists
  without window co-financing seals (made by an earlier version): none are added afterwards.
The canonical form of a row is a JSON object of the partner's input fields (schema order): text as
read, amounts and numbers as normalised Decimal strings, dates ISO, SI/NO as true/false. The two
columns reserved to the Comune (decision and its reason) are outside the seal: the Comune writes them
after the lock. Everything is computed from the parsed models (Spesa, VoceCofinanziamento) produced by
addin.workbook.reader, so sealing and verification see exactly the same values.

Storage: extra key/value rows of the hidden `_meta` sheet, keys starting with `sigillo.`:
    sigillo.<ambito>.<campo>       header fields (versione, programma, anno, finestra, periodo, blocco,
                                   data, righe, chiave = key fingerprint, hmac = seal HMAC)
    sigillo.<ambito>.dati.<k>      the sealed rows, compressed (written since 29/11/2026): chunk k (1, 2...)
                                   of "z1:" + base64(zlib(lines "<n> <row HMAC hex> <canonical row text>")),
                                   at most LUNGHEZZA_PEZZO characters a cell (Excel: 32,767)
    sigillo.<ambito>.riga.<n>      the first form, still read: "<row HMAC hex> <canonical row text>" for
                                   Excel row n (about 695 bytes a sealed row against about 105 compressed)
The seal HMAC covers every header field and the ordered list (row number, row HMAC), so deleting,
adding, reordering or editing a `_meta` entry is detected; the row HMAC authenticates the stored row
text, which the report uses to show the old values of a changed row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac as _hmac
import json
import os
import re
import zlib
from base64 import b64decode, b64encode
from binascii import Error as ErroreBase64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from operator import attrgetter
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreChiave
from addin.rules.cofinancing import finestra_voce
from addin.rules.eligibility import data_decisiva
from addin.rules.models import Motivo, Spesa, VoceCofinanziamento
from addin.rules.money import fmt_eur
from addin.rules.windows import FinestraAnno, finestre_anno
from addin.workbook import schema

VERSIONE = "2"          # 1: values as read; 2: what a person sees (see forma_canonica)
PREFISSO = "sigillo."
AMBITO_COFIN = "cofinanziamento"          # the year's co-financing seal; "cofinanziamentoN": window N's
ENV_CHIAVE = "RENDICONTA_CHIAVE"            # the key itself
ENV_CHIAVE_FILE = "RENDICONTA_CHIAVE_FILE"  # the path of the file holding the key
BOM_UTF8 = b"\xef\xbb\xbf"
MAX_BYTE_FILE_CHIAVE = 64 * 1024
LUNGHEZZA_MINIMA_CHIAVE = 16

# columns reserved to the Comune: written after the lock, so outside the seal
CAMPI_COMUNE = ("decisione_comune", "motivazione_comune")
COLONNE_SPESE = tuple(c for c in schema.input_cols(schema.SPESE_COLS) if c.key not in CAMPI_COMUNE)
COLONNE_COFIN = tuple(schema.input_cols(schema.COFIN_COLS))

_HEADER_FIELDS = ("versione", "programma", "anno", "finestra", "periodo", "blocco", "data", "righe", "chiave")


# --- key ------------------------------------------------------------------------------------------

@dataclass
class ChiaveCaricata:
    """The sealing key with where it came from and notes for the user (a stripped BOM...)."""

    chiave: bytes
    fonte: str
    note: list[str] = field(default_factory=list)


def _sembra_percorso(value: str) -> bool:
    """A RENDICONTA_CHIAVE value that is a file path, not a key (a path with a typo, a share not
    mounted: it must never become the key itself)."""
    v = value.strip()
    return (re.fullmatch(r"~?(/[\w.\- ]+){2,}/?|\.{1,2}/.+|[A-Za-z]:[\\/].*|\\\\.+", v) is not None
            or re.search(r"\.(txt|key|pem|bin|chiave)$", v, re.IGNORECASE) is not None)


def leggi_chiave(path: str | Path | None = None) -> ChiaveCaricata | None:
    """The sealing key from exactly one source, never guessed: the file `path` (``--chiave FILE``),
    else the file named by RENDICONTA_CHIAVE_FILE, else the value of RENDICONTA_CHIAVE; None when no
    source is given. Surrounding whitespace (a final newline) is ignored; a UTF-8 BOM is stripped (with a
    note); a UTF-16 file (Windows Notepad) is read as text. Raises ErroreChiave (exit 6) when the file is
    missing or unreadable, the key is empty or too short, RENDICONTA_CHIAVE holds a path, or both
    variables are set."""
    note: list[str] = []
    env_file = os.environ.get(ENV_CHIAVE_FILE)
    env_value = os.environ.get(ENV_CHIAVE)
    if path is None and env_file is not None and env_value is not None:
        raise ErroreChiave(f"sono impostate sia {ENV_CHIAVE_FILE} sia {ENV_CHIAVE}: indicare la chiave in un "
                           "solo modo (il file oppure il valore).")
    if path is not None or env_file is not None:
        if path is not None:
            file, source = Path(path), f"file «{path}»"
        else:
            if not env_file.strip():
                raise ErroreChiave(f"la variabile {ENV_CHIAVE_FILE} è impostata ma vuota: indicare il percorso "
                                   "del file della chiave.")
            file, source = Path(env_file.strip()), f"file «{env_file.strip()}» indicato da {ENV_CHIAVE_FILE}"
        try:
            if not file.exists():
                raise ErroreChiave(f"il {source} non esiste (percorso sbagliato o cartella di rete non "
                                   "collegata?): nessuna chiave, nulla viene sigillato né verificato.")
            if not file.is_file():
                raise ErroreChiave(f"il {source} non è un file.")
            if file.stat().st_size > MAX_BYTE_FILE_CHIAVE:
                raise ErroreChiave(f"il {source} è troppo grande per essere una chiave "
                                   f"({file.stat().st_size} byte): indicare il file della chiave.")
            raw = file.read_bytes()
        except OSError as exc:
            raise ErroreChiave(f"impossibile leggere la chiave dal {source}: {exc.strerror or exc}") from None
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                raw = raw.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError:
                raise ErroreChiave(f"il {source} non è un file di testo leggibile.") from None
            note.append(f"Il {source} è in UTF-16 (con BOM): letto come testo; la chiave è il suo testo.")
        elif raw.startswith(BOM_UTF8):
            raw = raw[len(BOM_UTF8):]
            note.append(f"Il {source} inizia con un BOM UTF-8 (aggiunto da alcuni editor): ignorato, la chiave "
                        "è il testo che segue.")
    elif env_value is not None:
        source = f"variabile d'ambiente {ENV_CHIAVE}"
        if _sembra_percorso(env_value):
            raise ErroreChiave(f"la {source} contiene un percorso di file («{env_value.strip()}»), non una "
                               f"chiave: per leggere la chiave da un file usare {ENV_CHIAVE_FILE} o --chiave.")
        raw = env_value.encode("utf-8")
        if raw.startswith(BOM_UTF8):
            raw = raw[len(BOM_UTF8):]
            note.append(f"La {source} inizia con un BOM UTF-8: ignorato.")
    else:
        return None
    key = raw.strip()
    where = ("nella " if source.startswith("variabile") else "nel ") + source
    if not key:
        raise ErroreChiave(f"la chiave {where} è vuota.")
    if len(key) < LUNGHEZZA_MINIMA_CHIAVE:
        raise ErroreChiave(f"la chiave {where} è troppo corta: servono almeno {LUNGHEZZA_MINIMA_CHIAVE} "
                           "caratteri (consigliati 64 caratteri casuali).")
    return ChiaveCaricata(key, source, note)


def carica_chiave(path: str | Path | None = None) -> bytes | None:
    """The sealing key (see leggi_chiave), or None when no source is given."""
    k = leggi_chiave(path)
    return None if k is None else k.chiave


def impronta_chiave(chiave: bytes) -> str:
    """A short fingerprint telling which key made a seal (an HMAC: it reveals nothing of the key)."""
    return _hmac.new(chiave, b"rendiconta/impronta-chiave", hashlib.sha256).hexdigest()[:16]


def _mac(chiave: bytes, payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return _hmac.new(chiave, text.encode("utf-8"), hashlib.sha256).hexdigest()


# --- canonical form -------------------------------------------------------------------------------
# What a seal compares is what a person sees, so that an ordinary open-and-save in another program never
# raises a false alarm (see docs/blocco.md, "Forma canonica"):
# - amounts to the cent (half up): LibreOffice keeps 15 significant digits of a float;
# - other numbers (hours, quantities) to 15 significant digits, for the same reason;
# - text with one decoding of the OOXML escapes `_xHHHH_` (Excel and LibreOffice decode them at
#   different times) and line breaks as LF (CR LF comes back as LF);
# - a text longer than LIMITE_TESTO characters through its SHA-256, so a `_meta` cell (32,767
#   characters at most) always holds the row.
LIMITE_TESTO = 1000
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CENT = Decimal("0.01")
_QUINDICI_CIFRE = Context(prec=15, rounding=ROUND_HALF_UP)   # 15 significant digits (plus() only raises flags)


def _testo_visibile(v: str) -> str:
    # perf: most texts have neither an escape nor a carriage return
    t = _XESC.sub(lambda m: chr(int(m.group(1), 16)), v) if "_x" in v else v
    if "\r" in t:
        t = t.replace("\r\n", "\n").replace("\r", "\n")
    if len(t) > LIMITE_TESTO:
        return "sha256:" + hashlib.sha256(t.encode("utf-8")).hexdigest()
    return t


def _decimal_text(d: Decimal) -> str:
    return "0" if d == 0 else format(d.normalize(), "f")


def _canon_value(v: object, kind: str | None = None, versione: str = VERSIONE) -> object:
    cls = v.__class__
    if cls is str:       # perf: the commonest cells first
        return v if versione == "1" else _testo_visibile(v)
    if cls is dt.date:
        return v.isoformat()
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        v = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    if isinstance(v, Decimal):
        if versione != "1" and v.is_finite():
            if kind == "money":
                v = v.quantize(_CENT, rounding=ROUND_HALF_UP)
            else:
                v = _QUINDICI_CIFRE.plus(v)
        return _decimal_text(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v) if versione == "1" else _testo_visibile(str(v))


def forma_canonica(riga: Spesa | VoceCofinanziamento, versione: str = VERSIONE,
                   memo: dict[tuple, str] | None = None) -> str:
    """The canonical text of one row: what its seal covers (the row number is not part of it).
    `versione` "1" is the form of the first seals (values as read), still verified. `memo` (perf, for
    many rows of one version): the JSON member of each column by (column, type, value); equal values of
    one type have the same canonical form (numbers are normalised).
    The text is json.dumps(object, ensure_ascii=False, separators=(",", ":")) of the object {column:
    canonical value} in schema order; it is assembled member by member with json's own string encoder
    (perf: the same characters, without building an encoder and a dict for every row;
    tests/test_seals_forme.py proves it equal to json.dumps)."""
    cofin = isinstance(riga, VoceCofinanziamento)
    spec, get = (_SPEC_COFIN, _GET_COFIN) if cofin else (_SPEC_SPESE, _GET_SPESE)
    try:
        values = get(riga)
    except AttributeError:   # not a complete model (a test's stand-in): a missing field is empty
        values = tuple(getattr(riga, key, None) for key, *_ in spec)
    parts = []
    for (key, optional, kind, member), v in zip(spec, values):
        if v is None and optional:
            continue   # an empty optional column is left out: rows sealed before it existed keep their text
        if memo is None:
            parts.append(member + _json_valore(_canon_value(v, kind, versione)))
            continue
        k = (key, v.__class__, v)
        try:
            parts.append(memo[k])
        except KeyError:
            parts.append(memo.setdefault(k, member + _json_valore(_canon_value(v, kind, versione))))
    return "{" + ",".join(parts) + "}"


def forme_canoniche(righe: Sequence[Spesa | VoceCofinanziamento], versione: str = VERSIONE) -> list[str]:
    """forma_canonica of each row, in order (perf, for a whole sheet: column by column, each distinct value
    of a column turned into its JSON member once; the same texts as row by row, which tests/test_seals_forme.py
    proves)."""
    model = righe[0].__class__ if righe else None
    if model not in (Spesa, VoceCofinanziamento) or any(r.__class__ is not model for r in righe):
        memo: dict[tuple, str] = {}
        return [forma_canonica(r, versione, memo) for r in righe]
    columns = []
    for key, optional, kind, member in (_SPEC_COFIN if model is VoceCofinanziamento else _SPEC_SPESE):
        values = list(map(attrgetter(key), righe))
        types = set(map(type, values))
        types.discard(type(None))
        if len(types) > 1:   # 1, 1.0 and True are equal keys: tell them apart by type
            values = list(zip(map(type, values), values))
            members = {k: member + _json_valore(_canon_value(k[1], kind, versione)) for k in set(values)}
            none = (type(None), None)
        else:   # one type (and None, equal to nothing else): by value
            distinct = set(values)
            distinct.discard(None)
            members = _membri(member, distinct, types.pop() if types else None, kind, versione)
            members[None] = member + "null"
            none = None
        if optional and none in members:   # an empty optional column is left out (see forma_canonica)
            members[none] = ""
        columns.append(list(map(members.__getitem__, values)))
    return ["{" + ",".join(filter(None, parts)) + "}" for parts in zip(*columns)]


def _membri(member: str, distinct: set, tipo: type | None, kind: str, versione: str) -> dict[object, str]:
    """'"key":<JSON of the canonical value>' of each distinct value of one type of a column (perf: texts that
    the canonical form keeps as they are, the commonest, and dates through C functions, no call per value)."""
    if tipo is str:
        odd = {v for v in distinct if "_x" in v or "\r" in v or len(v) > LIMITE_TESTO} if versione != "1" else set()
        plain = list(distinct - odd)
        out = dict(zip(plain, map(member.__add__, map(_json_testo, plain))))
        out.update((v, member + _json_testo(_testo_visibile(v))) for v in odd)
        return out
    if tipo is dt.date:
        days = list(distinct)
        return dict(zip(days, map(member.__add__, map(_json_testo, map(dt.date.isoformat, days)))))
    return {v: member + _json_valore(_canon_value(v, kind, versione)) for v in distinct}


_json_testo = json.encoder.encode_basestring   # what json.dumps(..., ensure_ascii=False) uses for a str


def _json_valore(v: object) -> str:
    """The JSON text of a canonical value (a str, None or a bool), as json.dumps writes it."""
    if v.__class__ is str:
        return _json_testo(v)
    return json.dumps(v, ensure_ascii=False)


def _spec(cols: Sequence[schema.Col]) -> tuple[tuple[str, bool, str, str], ...]:
    """(attribute, optional, kind, '"key":') of each sealed column, in schema order."""
    return tuple((c.key, c.optional, c.kind, _json_testo(c.key) + ":") for c in cols)


_SPEC_SPESE, _SPEC_COFIN = _spec(COLONNE_SPESE), _spec(COLONNE_COFIN)
_GET_SPESE = attrgetter(*(c.key for c in COLONNE_SPESE))
_GET_COFIN = attrgetter(*(c.key for c in COLONNE_COFIN))


def _row_mac(chiave: bytes, programma: object, anno: object, ambito: str, testo: str,
             versione: str = VERSIONE) -> str:
    return _mac(chiave, ["riga", versione, str(programma), str(anno), ambito, testo])


class _MacRighe:
    """The row HMACs of one seal: _row_mac(chiave, programma, anno, ambito, testo, versione) for many texts.
    perf: the payload is the JSON list ["riga", versione, programma, anno, ambito, testo]; its fixed
    beginning is fed to the HMAC once and the state copied for each row (the same bytes are hashed:
    tests/test_seals_forme.py proves it equal to _row_mac)."""

    def __init__(self, chiave: bytes, programma: object, anno: object, ambito: str, versione: str = VERSIONE) -> None:
        head = json.dumps(["riga", versione, str(programma), str(anno), ambito], ensure_ascii=False,
                          separators=(",", ":"))
        self._inizio = _hmac.new(chiave, (head[:-1] + ",").encode("utf-8"), hashlib.sha256)

    def __call__(self, testo: str) -> str:
        h = self._inizio.copy()
        h.update((_json_testo(testo) + "]").encode("utf-8"))
        return h.hexdigest()


# --- seals ----------------------------------------------------------------------------------------

@dataclass
class RigaSigillata:
    riga: int
    hmac: str
    testo: str


# header fields of a seal, all inside its HMAC; "precedenti" (from version 2) lists the seals the
# workbook held when this one was made ("ambito:hmac;..."), so that removing an earlier seal from
# `_meta` is found by a later one
_CAMPI_V1 = ("versione", "programma", "anno", "finestra", "periodo", "blocco", "data", "righe", "chiave")
_HEADER_FIELDS = (*_CAMPI_V1, "precedenti")


def _campi(versione: str | None) -> tuple[str, ...]:
    return _CAMPI_V1 if versione == "1" else _HEADER_FIELDS


@dataclass
class Sigillo:
    """One seal as stored in `_meta` (all header values are the exact stored strings)."""

    ambito: str                       # "finestra1".."finestraN" or "cofinanziamento"
    intestazione: dict[str, str]      # _HEADER_FIELDS -> value
    righe: list[RigaSigillata]
    hmac: str
    problemi: list[str] = field(default_factory=list)   # malformed entries found while reading
    # how the copy read from `_meta` holds its rows: "compatta" (compressed), "righe" (the first form,
    # rewritten by the next `blocca`), "" (no rows); not part of the seal
    forma: str = field(default="", compare=False)

    @property
    def versione(self) -> str:
        return self.intestazione.get("versione", "")

    @property
    def etichetta(self) -> str:
        if self.ambito == AMBITO_COFIN:
            return f"cofinanziamento {self.intestazione.get('anno', '?')}"
        if ambito_cofinanziamento(self.ambito):
            return f"cofinanziamento finestra {self.intestazione.get('finestra', '?')}"
        return f"finestra {self.intestazione.get('finestra', '?')}"

    def voci_meta(self, compatta: bool = True) -> list[tuple[str, str]]:
        """The `_meta` key/value rows of this seal, in writing order: the rows compressed in a few
        cells (`compatta`), or one cell a row (the first form, still read)."""
        p = f"{PREFISSO}{self.ambito}."
        out = [(p + k, self.intestazione[k]) for k in _campi(self.versione)]
        out.append((p + "hmac", self.hmac))
        if not compatta:
            return out + [(f"{p}riga.{r.riga}", f"{r.hmac} {r.testo}") for r in self.righe]
        return out + [(f"{p}dati.{k}", pezzo) for k, pezzo in enumerate(comprimi_righe(self.righe), start=1)]


# --- compressed copies of the sealed rows ------------------------------------------------------------
# Why: the row texts repeat their keys and most values, so zlib shrinks them about tenfold (the row HMACs,
# random, stay: about 105 bytes a sealed row instead of 695), and the add-in sends `_meta` to the server
# with every Valida/Verifica/Blocca (Excel on the web: 5 MB a request). Only the
# storage changes: the rows read back are the same RigaSigillata (number, HMAC, text), so the seal HMAC,
# the row HMACs and every check are those of the first form; a chunk that does not decode is a problem of
# the seal (reported as altered, like any other malformed entry).
FORMATO_COPIA = "z1:"            # zlib + base64, lines "<row> <row HMAC> <text>"
LUNGHEZZA_PEZZO = 30_000         # characters per `_meta` cell (Excel holds 32,767)
MAX_BYTE_COPIA = 64 * 1024 * 1024   # decompressed size accepted: a crafted chunk must not exhaust memory


def comprimi_righe(righe: Sequence[RigaSigillata]) -> list[str]:
    """The sealed rows as `_meta` chunks (none when there are no rows)."""
    if not righe:
        return []
    text = "\n".join(f"{r.riga} {r.hmac} {r.testo}" for r in righe)
    data = b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    size = LUNGHEZZA_PEZZO - len(FORMATO_COPIA)
    return [FORMATO_COPIA + data[i:i + size] for i in range(0, len(data), size)]


def _decomprimi_righe(pezzi: Mapping[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(row number text, "<HMAC> <text>") of compressed chunks {"1": chunk, ...}, and the problems found."""
    text, bad = _testo_copia(pezzi)
    return ([], bad) if text is None else (_righe_copia(text), [])


def _testo_copia(pezzi: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The decompressed text of compressed chunks {"1": chunk, ...} (None when they do not decode), and the
    problems found."""
    bad = [f"voce «dati.{k}» non valida" for k in pezzi if not (k.isascii() and k.isdigit())]
    if bad:
        return None, bad
    by_number = {int(k): str(v).strip() for k, v in pezzi.items()}
    if sorted(by_number) != list(range(1, len(pezzi) + 1)):     # a gap, or "1" and "01" both given
        return None, ["copia compressa delle righe incompleta o ripetuta (parti mancanti o doppie)"]
    chunks = [by_number[n] for n in range(1, len(pezzi) + 1)]
    if not all(c.startswith(FORMATO_COPIA) for c in chunks):
        return None, ["copia compressa delle righe in un formato non riconosciuto"]
    try:
        raw = b64decode("".join(c[len(FORMATO_COPIA):] for c in chunks), validate=True)
        d = zlib.decompressobj()
        data = d.decompress(raw, MAX_BYTE_COPIA)
        if d.unconsumed_tail or not d.eof:
            return None, ["copia compressa delle righe illeggibile (troppo grande o troncata)"]
        return data.decode("utf-8"), []
    except (ErroreBase64, ValueError, zlib.error):
        return None, ["copia compressa delle righe illeggibile"]


def _righe_copia(text: str) -> list[tuple[str, str]]:
    """(row number text, "<HMAC> <text>") of each line of a decompressed copy."""
    out = []
    for line in text.split("\n"):
        num, _, rest = line.partition(" ")
        out.append((num, rest))
    return out


def _testo_riletto(righe: Sequence[RigaSigillata]) -> str | None:
    """The decompressed text of the copy of `righe` (what comprimi_righe compresses) when reading it back
    gives exactly `righe`: at least one row, numbers ints in order (exact as floats), HMACs without spaces
    at their ends or inside, no line break in any field. None otherwise (the copy is then parsed)."""
    if not righe:
        return None
    prev = None
    for r in righe:
        n, mac = r.riga, r.hmac
        if (n.__class__ is not int or abs(n) >= 2 ** 53 or (prev is not None and n < prev) or mac.__class__ is not str
                or r.testo.__class__ is not str or " " in mac or mac != mac.strip()):
            return None
        prev = n
    text = "\n".join(f"{r.riga} {r.hmac} {r.testo}" for r in righe)
    return text if text.count("\n") == len(righe) - 1 else None


def _seal_payload(ambito: str, intestazione: Mapping[str, str], righe: Sequence[RigaSigillata]) -> object:
    return ["sigillo", ambito, [[k, intestazione.get(k)] for k in _campi(intestazione.get("versione"))],
            [[r.riga, r.hmac] for r in righe]]


def _finestra_ambito(f: FinestraAnno) -> str:
    return f"finestra{f.numero}"


def ambito_cofin_finestra(numero: int) -> str:
    """The scope of the co-financing seal of window `numero` ("cofinanziamento1")."""
    return f"{AMBITO_COFIN}{numero}"


def numero_cofin_finestra(ambito: str) -> int | None:
    """N for "cofinanziamentoN", else None."""
    rest = ambito[len(AMBITO_COFIN):] if ambito.startswith(AMBITO_COFIN) else ""
    return int(rest) if rest.isdigit() and rest[0] != "0" else None


def ambito_cofinanziamento(ambito: str) -> bool:
    """The seal covers `Cofinanziamento` rows (the year's seal or a window's), not `Spese` rows."""
    return ambito == AMBITO_COFIN or numero_cofin_finestra(ambito) is not None


def righe_cofin_finestra(config: Config, anno: int, voci: Iterable[VoceCofinanziamento],
                         f: FinestraAnno) -> list[VoceCofinanziamento]:
    """The non-monetary and volunteer rows dated in window f, in row order."""
    out = [v for v in voci if (w := finestra_voce(config, anno, v)) is not None and w.numero == f.numero]
    return sorted(out, key=lambda v: v.riga)


def righe_cofin_anno(config: Config, anno: int, voci: Iterable[VoceCofinanziamento],
                     finestre: Iterable[int]) -> list[VoceCofinanziamento]:
    """The rows of the year's co-financing seal: those that no window co-financing seal (of the windows
    `finestre`) covers, in row order."""
    sealed = set(finestre)
    out = [v for v in voci if (w := finestra_voce(config, anno, v)) is None or w.numero not in sealed]
    return sorted(out, key=lambda v: v.riga)


def _finestre_cofin(sigilli: Iterable[object]) -> set[int]:
    """The windows with a co-financing seal among `sigilli` (scopes or seals)."""
    return {n for x in sigilli if (n := numero_cofin_finestra(getattr(x, "ambito", x))) is not None}


def righe_finestra(config: Config, spese: Iterable[Spesa], f: FinestraAnno) -> list[Spesa]:
    """The expense rows whose deciding date falls in window f, in row order."""
    out = [s for s in spese if (d := data_decisiva(config, s)) is not None and f.contiene(d)]
    return sorted(out, key=lambda s: s.riga)


def crea_sigillo(chiave: bytes, ambito: str, programma: int, anno: int, finestra: str, periodo: str,
                 blocco: dt.date, data: dt.date, righe: Sequence[Spesa | VoceCofinanziamento],
                 precedenti: Sequence[Sigillo] = ()) -> Sigillo:
    entries = []
    row_mac, memo = _MacRighe(chiave, programma, anno, ambito), {}
    for r in sorted(righe, key=lambda x: x.riga):
        testo = forma_canonica(r, memo=memo)
        entries.append(RigaSigillata(r.riga, row_mac(testo), testo))
    head = {"versione": VERSIONE, "programma": str(programma), "anno": str(anno), "finestra": finestra,
            "periodo": periodo, "blocco": blocco.isoformat(), "data": data.isoformat(),
            "righe": str(len(entries)), "chiave": impronta_chiave(chiave),
            "precedenti": ";".join(f"{s.ambito}:{s.hmac}" for s in sorted(precedenti, key=lambda x: x.ambito))}
    return Sigillo(ambito, head, entries, _mac(chiave, _seal_payload(ambito, head, entries)))


def ambiti_da_sigillare(config: Config, anno: int, data_riferimento: dt.date, *,
                        cofin_finestre: bool = False) -> list[str]:
    """The seals due at the reference date: every closed window (with its co-financing seal when
    `cofin_finestre`), and the year's co-financing once all are closed."""
    wins = finestre_anno(config, anno)
    out = []
    for f in wins:
        if f.chiusa(data_riferimento):
            out.append(_finestra_ambito(f))
            if cofin_finestre:
                out.append(ambito_cofin_finestra(f.numero))
    if wins and all(f.chiusa(data_riferimento) for f in wins):
        out.append(AMBITO_COFIN)
    return out


def cofin_per_finestra(cartella, sigilli: Iterable[object]) -> bool:
    """Whether the co-financing rows of this workbook are sealed with their windows: the sheet has the
    column «Data», or a window co-financing seal already exists (removing the column later changes
    nothing), unless the year's co-financing seal exists without them (made by an earlier version)."""
    scopes = {getattr(x, "ambito", x) for x in sigilli}
    if AMBITO_COFIN in scopes and not _finestre_cofin(scopes):
        return False
    return bool(getattr(cartella, "cofin_con_data", False)) or bool(_finestre_cofin(scopes))


def nuovi_sigilli(cartella, config: Config, chiave: bytes, data_riferimento: dt.date, *,
                  presenti: Mapping[str, Sigillo] | None = None) -> list[Sigillo]:
    """Seals due at the reference date that do not exist yet (existing ones are kept). `presenti`: the
    seals already made, by scope (the Comune's register); None: those found in the workbook's `_meta`."""
    present = dict(presenti) if presenti is not None else leggi_sigilli(cartella.meta)
    chain = list(present.values())
    anno = cartella.anno
    wins = {_finestra_ambito(f): f for f in finestre_anno(config, anno)}
    out = []
    for ambito in ambiti_da_sigillare(config, anno, data_riferimento,
                                      cofin_finestre=cofin_per_finestra(cartella, present.values())):
        if ambito in present:
            continue
        if ambito == AMBITO_COFIN:
            last = list(wins.values())[-1]
            seal = crea_sigillo(chiave, ambito, cartella.programma, anno, f"anno {anno}",
                                f"{anno}-01-01..{anno}-12-31", last.blocco, data_riferimento,
                                righe_cofin_anno(config, anno, cartella.cofinanziamento, _finestre_cofin(chain)),
                                chain)
        elif (n := numero_cofin_finestra(ambito)) is not None:
            f = wins[f"finestra{n}"]
            seal = crea_sigillo(chiave, ambito, cartella.programma, anno, f.etichetta,
                                f"{f.inizio.isoformat()}..{f.fine.isoformat()}", f.blocco, data_riferimento,
                                righe_cofin_finestra(config, anno, cartella.cofinanziamento, f), chain)
        else:
            f = wins[ambito]
            seal = crea_sigillo(chiave, ambito, cartella.programma, cartella.anno, f.etichetta,
                                f"{f.inizio.isoformat()}..{f.fine.isoformat()}", f.blocco,
                                data_riferimento, righe_finestra(config, cartella.spese, f), chain)
        out.append(seal)
        chain.append(seal)
    return out


def leggi_sigilli(meta: Mapping[str, object], riferimento: Mapping[str, Sigillo] | None = None) -> dict[str, Sigillo]:
    """The seals stored in the `_meta` key/value pairs, by scope (malformed entries go to .problemi).
    `riferimento` (perf, when the copies are read to be compared with these seals, the register's): a
    compressed copy whose text is exactly the one the seal of the same scope in `riferimento` would write,
    read back into the same rows (_testo_riletto), gets that seal's rows themselves instead of a second
    parse of the same values: the result is the same, the comparison then finds the same objects."""
    raw: dict[str, dict[str, str]] = {}
    rows: dict[str, list[tuple[str, str]]] = {}
    chunks: dict[str, dict[str, str]] = {}
    for k, v in meta.items():
        key = str(k).strip()
        if not key.startswith(PREFISSO):
            continue
        rest = key[len(PREFISSO):]
        ambito, _, campo = rest.partition(".")
        value = "" if v is None else str(v)
        if campo.startswith("riga."):
            rows.setdefault(ambito, []).append((campo[5:], value))
        elif campo.startswith("dati."):
            chunks.setdefault(ambito, {})[campo[5:]] = value
            rows.setdefault(ambito, [])
        else:
            raw.setdefault(ambito, {})[campo] = value
            rows.setdefault(ambito, [])
    out: dict[str, Sigillo] = {}
    for ambito in sorted(set(raw) | set(rows)):
        head = raw.get(ambito, {})
        campi = _campi(head.get("versione"))
        problems = [f"campo «{k}» mancante" for k in (*campi, "hmac") if k not in head]
        entries = []
        compressed: list[tuple[str, str]] = []
        if ambito in chunks:
            text, bad = _testo_copia(chunks[ambito])
            problems += bad
            ref = riferimento.get(ambito) if riferimento else None
            if text is not None and ref is not None and not rows.get(ambito) and text == _testo_riletto(ref.righe):
                entries = list(ref.righe)
            elif text is not None:
                compressed = _righe_copia(text)
        for num, value in [*rows.get(ambito, []), *compressed]:
            mac, _, testo = value.partition(" ")
            try:
                n = int(float(num))
            except (ValueError, OverflowError):
                problems.append(f"voce «riga.{num}» non valida")
                continue
            entries.append(RigaSigillata(n, mac.strip(), testo))
        entries.sort(key=lambda r: r.riga)
        forma = "righe" if rows.get(ambito) else "compatta" if ambito in chunks else ""
        out[ambito] = Sigillo(ambito, {k: head.get(k, "") for k in campi}, entries, head.get("hmac", ""), problems,
                              forma)
    return out


# --- verification ---------------------------------------------------------------------------------

@dataclass
class RisultatoSigilli:
    stato: str                                   # "verificati" | "non_verificabili" | "assenti"
    motivi: dict[int, list[Motivo]] = field(default_factory=dict)       # Spese row -> reasons
    dettagli: list[str] = field(default_factory=list)                  # Italian lines for the report
    motivi_cofinanziamento: dict[int, list[Motivo]] = field(default_factory=dict)
    righe_cancellate: list[int] = field(default_factory=list)          # sealed Spese rows now missing
    sigilli: list[str] = field(default_factory=list)                   # labels of the seals found
    sigilli_alterati: list[str] = field(default_factory=list)          # seals whose own HMAC fails
    # where the sealed rows are now (matched by content, wherever sorting or inserting put them, or paired
    # with the row that replaced them): what `blocca` keeps locked
    righe_spese_sigillate: set[int] = field(default_factory=set)
    righe_cofin_sigillate: set[int] = field(default_factory=set)
    spostate: list[tuple[str, int, int]] = field(default_factory=list)  # (seal label, sealed row, row now)
    # Spese rows changed after a seal, by where they are now: (the sealed canonical text, the seal's
    # format version) of the entry they were paired with, whether or not the row moved
    modificate: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def integri(self) -> bool:
        """True only when seals were verified with the key and nothing changed."""
        return (self.stato == "verificati" and not self.motivi and not self.motivi_cofinanziamento
                and not self.righe_cancellate and not self.sigilli_alterati)


def righe_da_bloccare(verifica: RisultatoSigilli | None, nuovi: Sequence[Sigillo]) -> tuple[set[int], set[int]]:
    """(Spese rows, Cofinanziamento rows) to lock: where the existing seals' rows are now, and the rows of
    the new seals."""
    spese = set(verifica.righe_spese_sigillate) if verifica else set()
    cofin = set(verifica.righe_cofin_sigillate) if verifica else set()
    for s in nuovi:
        (cofin if ambito_cofinanziamento(s.ambito) else spese).update(r.riga for r in s.righe)
    return spese, cofin


def _labels(cols) -> dict[str, schema.Col]:
    return {c.key: c for c in cols}


def _show(col: schema.Col, v: object) -> str:
    if v is None or v == "":
        return "(vuoto)"
    if col.kind == "date":
        try:
            return dt.date.fromisoformat(str(v)[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return str(v)
    if col.kind == "money":
        try:
            return fmt_eur(Decimal(str(v)))
        except Exception:  # noqa: BLE001 - a stored value is shown as is
            return str(v)
    if col.kind == "bool":
        return schema.SI if v is True else schema.NO if v is False else str(v)
    if col.kind == "number":
        return str(v).replace(".", ",")
    text = str(v)
    if text.startswith("sha256:") and len(text) == 71:
        return f"(testo di oltre {LIMITE_TESTO} caratteri, impronta {text[7:19]})"
    return text if len(text) <= 80 else text[:77] + "..."


def differenze(vecchio: str, nuovo: str, cols) -> list[str]:
    """Field by field differences between two canonical texts: «Header: old → new»."""
    try:
        old = json.loads(vecchio)
    except ValueError:
        old = None
    new = json.loads(nuovo)
    if not isinstance(old, dict):
        return ["dati originali non disponibili"]
    out = []
    for c in cols:
        if old.get(c.key) != new.get(c.key):
            out.append(f"{c.header}: {_show(c, old.get(c.key))} → {_show(c, new.get(c.key))}")
    return out


def _riassunto(testo: str, cols) -> str:
    try:
        obj = json.loads(testo)
    except ValueError:
        return "dati originali non disponibili"
    keys = [k for k in ("data_pagamento", "data_documento", "fornitore", "numero_documento", "importo",
                        "partner", "tipo", "descrizione", "valore_unitario") if k in obj]
    by = _labels(cols)
    parts = [f"{by[k].header} {_show(by[k], obj[k])}" for k in keys if obj.get(k) not in (None, "")]
    return ", ".join(parts[:5]) or "riga vuota"


def _add(d: dict[int, list[Motivo]], riga: int, codice: str, msg: str) -> None:
    lst = d.setdefault(riga, [])
    if not any(m.codice == codice for m in lst):
        lst.append(Motivo(codice, msg))


_IDENTITA = ("numero_documento", "descrizione", "fornitore", "importo", "data_documento", "data_pagamento",
             "persona", "valore_unitario")   # fields that index the candidates for a changed sealed row


def _decoded(testo: str) -> dict | None:
    try:
        obj = json.loads(testo)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


class _Righe:
    """The current rows of one sheet with their canonical forms (computed once per form version)."""

    def __init__(self, righe: Sequence[Spesa | VoceCofinanziamento]) -> None:
        self.by_row = {r.riga: r for r in righe}
        self._testi: dict[str, dict[int, str]] = {}
        self._oggetti: dict[str, dict[int, dict]] = {}
        self.consumed: set[int] = set()

    def testi(self, versione: str) -> dict[int, str]:
        if versione not in self._testi:
            self._testi[versione] = dict(zip(self.by_row, forme_canoniche(list(self.by_row.values()), versione)))
        return self._testi[versione]

    def oggetto(self, versione: str, n: int) -> dict:
        cache = self._oggetti.setdefault(versione, {})
        if n not in cache:
            cache[n] = json.loads(self.testi(versione)[n])
        return cache[n]


LIMITE_DIFFERENZE = 3   # a changed sealed row is recognised when at most this many of its fields differ


def _stesso_documento(old: Mapping[str, object], new: Mapping[str, object]) -> bool:
    """The same expense document (supplier and number, both given): however many other fields the
    partner changed, the current row is that sealed row edited, reported field by field."""
    return all(old.get(k) not in (None, "") and old.get(k) == new.get(k) for k in ("fornitore", "numero_documento"))


def _pair(unmatched: list[tuple[Sigillo, RigaSigillata, bool]], righe: _Righe) -> dict[int, int]:
    """Pair the sealed entries no current row matches exactly with the free current row that replaced
    them: the one differing in the fewest fields (at most LIMITE_DIFFERENZE, or any number when it is the
    same document, supplier and number: a partner edits a few cells; a row that merely slid into a deleted
    row's place differs in many), at the same position first.
    Returns index in `unmatched` -> current row. perf: candidates come from an index on a few
    identifying fields (a row differing in at most 3 fields shares most of them)."""
    free = [n for n in righe.by_row if n not in righe.consumed]
    if not unmatched or not free:
        return {}
    index: dict[tuple[str, str, str], list[int]] = {}
    for v in {seal.versione for seal, _, _ in unmatched}:
        for n in free:
            obj = righe.oggetto(v, n)
            for k in _IDENTITA:
                if obj.get(k) not in (None, ""):
                    index.setdefault((v, k, json.dumps(obj[k])), []).append(n)
    free_set = set(free)
    candidates: list[tuple[int, int, int, int]] = []
    for i, (seal, e, text_ok) in enumerate(unmatched):
        old = _decoded(e.testo) if text_ok else None
        if old is None:     # the stored copy is unreadable: only the same position can tell
            if e.riga in free_set:
                candidates.append((0, 0, i, e.riga))
            continue
        pool = {e.riga} & free_set
        for k in _IDENTITA:
            if old.get(k) not in (None, ""):
                pool.update(index.get((seal.versione, k, json.dumps(old[k])), ())[:50])
        for n in pool:
            new = righe.oggetto(seal.versione, n)
            diff = sum(1 for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            if diff <= LIMITE_DIFFERENZE or _stesso_documento(old, new):
                candidates.append((diff, 0 if n == e.riga else 1, i, n))
    out: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, i, n in sorted(candidates):
        if i not in out and n not in taken:
            out[i] = n
            taken.add(n)
    return out


def _data(seal: Sigillo) -> str:
    try:
        return dt.date.fromisoformat(seal.intestazione["data"]).strftime("%d/%m/%Y")
    except (KeyError, ValueError):
        return seal.intestazione.get("data", "?")


def verifica_sigilli(cartella, config: Config, chiave: bytes | None, data_riferimento: dt.date, *,
                     sigilli: Mapping[str, Sigillo] | None = None) -> RisultatoSigilli:
    """Check a parsed workbook against its seals (pure: no file I/O). `sigilli`: the seals recorded in
    the Comune's register (scope -> seal), the reference; None: the copies in the workbook's `_meta`
    (the file-only check, `--senza-registro`), which the partner can edit.

    Rows are matched by identity, not position: a sealed row is intact wherever it is now (sorting,
    filtering, inserting or deleting other rows never void it; a move is only noted). A sealed row that
    no current row matches is paired with the row that replaced it (same position, or most fields equal)
    and reported field by field, or else reported as deleted; a current row dated in a sealed window that
    no seal holds is a retroactive insertion."""
    dal_registro = sigilli is not None
    seals = dict(sigilli) if dal_registro else leggi_sigilli(getattr(cartella, "meta", {}) or {})
    dove = "nel registro del Comune" if dal_registro else f"nel foglio «{schema.META}»"
    anno = cartella.anno
    wins = {_finestra_ambito(f): f for f in finestre_anno(config, anno)}
    res = RisultatoSigilli("assenti")
    due = ambiti_da_sigillare(config, anno, data_riferimento)
    if not seals:
        res.dettagli.append(("Nessun sigillo nel registro del Comune" if dal_registro else
                             "Nessun sigillo presente nel file") + ": le finestre chiuse non sono state bloccate.")
        closed = [wins[a].etichetta for a in due if a in wins]
        if closed:
            res.dettagli.append(f"Finestre già chiuse alla data di riferimento ma non sigillate: "
                                f"{', '.join(closed)} (eseguire «rendiconta blocca»).")
        return res
    res.sigilli = [s.etichetta for s in seals.values()]
    spese, cofin = _Righe(cartella.spese), _Righe(cartella.cofinanziamento)
    cofin_wins = _finestre_cofin(seals)     # windows whose co-financing rows have their own seal

    def win_of(ambito: str) -> FinestraAnno | None:
        n = numero_cofin_finestra(ambito)
        return wins.get(ambito if n is None else f"finestra{n}")

    def covered(ambito: str, win: FinestraAnno | None) -> list:
        """The current rows a seal covers by their dates (a seal that cannot be trusted reports them)."""
        if ambito == AMBITO_COFIN:
            return righe_cofin_anno(config, anno, cartella.cofinanziamento, cofin_wins)
        if win is None:
            return []
        if ambito_cofinanziamento(ambito):
            return righe_cofin_finestra(config, anno, cartella.cofinanziamento, win)
        return spese_finestra(win)

    per_finestra: dict[int, list[Spesa]] | None = None

    def spese_finestra(win: FinestraAnno) -> list[Spesa]:
        """righe_finestra(config, cartella.spese, win); perf: each row's deciding date computed once for
        every window."""
        nonlocal per_finestra
        if per_finestra is None:
            per_finestra = {f.numero: [] for f in wins.values()}
            for s in sorted(cartella.spese, key=lambda x: x.riga):
                d = data_decisiva(config, s)
                if d is not None:
                    for f in wins.values():
                        if f.contiene(d):
                            per_finestra[f.numero].append(s)
        return per_finestra[win.numero] if win.numero in per_finestra else righe_finestra(config, cartella.spese, win)
    if chiave is None:
        res.stato = "non_verificabili"
        res.dettagli.append(f"Sigilli presenti ({', '.join(res.sigilli)}) ma NON verificati: manca la chiave "
                            f"del Comune (--chiave FILE, {ENV_CHIAVE_FILE} o {ENV_CHIAVE}). Non si può dire se "
                            "le righe bloccate siano state modificate.")
        _righe_alla_posizione(res, seals.values(), spese, cofin)
        return res

    res.stato = "verificati"
    fp = impronta_chiave(chiave)
    # 1. the seals themselves. The key fingerprint is inside each seal's HMAC: a seal bearing another
    # fingerprint was made with another key OR had its `_meta` entries altered; the file alone cannot tell
    # which (the Comune's register can), so such a seal never counts as verified.
    foreign = [s for s in seals.values() if s.intestazione.get("chiave") != fp and not s.problemi
               and s.intestazione.get("chiave")]
    if foreign and len(foreign) == len(seals):
        res.stato = "non_verificabili"
        other = sorted({s.intestazione["chiave"] for s in foreign})
        if dal_registro:
            res.dettagli.append(f"Sigilli {', '.join(s.etichetta for s in foreign)}: registrati dal Comune con "
                                f"un'altra chiave (impronta {', '.join(other)}, chiave fornita {fp}): usare la "
                                "chiave con cui il programma è stato bloccato.")
        else:
            res.dettagli.append(f"Sigilli {', '.join(s.etichetta for s in foreign)}: l'impronta della chiave "
                                f"registrata nel file ({', '.join(other)}) non è quella della chiave fornita ({fp}). "
                                "O i sigilli sono stati creati con un'altra chiave, o il foglio "
                                f"«{schema.META}» è stato alterato: nessuna garanzia sulle righe bloccate. "
                                "Verificare con la chiave registrata dal Comune per questo file.")
        _righe_alla_posizione(res, seals.values(), spese, cofin)
        return res
    valid: list[Sigillo] = []
    for ambito, seal in seals.items():
        win = win_of(ambito)
        if seal in foreign:
            why = (f"impronta della chiave {seal.intestazione['chiave']} diversa da quella degli altri sigilli "
                   f"({fp}): creato con un'altra chiave o alterato")
        elif seal.problemi:
            why = "; ".join(seal.problemi)
        elif (not _hmac.compare_digest(_mac(chiave, _seal_payload(ambito, seal.intestazione, seal.righe)),
                                       seal.hmac)
              or (ambito != AMBITO_COFIN and win is None) or seal.intestazione.get("anno") != str(anno)
              or seal.intestazione.get("programma") != str(cartella.programma)):
            why = "i dati del sigillo non corrispondono"
        else:
            valid.append(seal)
            continue
        _alterato(res, seal, why, covered(ambito, win), spese, cofin, dove)
    # a later seal records the earlier ones: one removed or replaced in `_meta` is found (the register
    # needs no such link: its own hash chain proves its seals, and a re-seal replaces one on purpose)
    by_ambito = {s.ambito: s for s in seals.values()}

    def label_of(ambito: str) -> str:
        if ambito in wins:
            return f"finestra {wins[ambito].etichetta}"
        if ambito == AMBITO_COFIN:
            return f"cofinanziamento {anno}"
        w = win_of(ambito)
        return f"cofinanziamento finestra {w.etichetta}" if w is not None else ambito

    for seal in ([] if dal_registro else list(valid)):
        if seal not in valid:
            continue
        for item in filter(None, seal.intestazione.get("precedenti", "").split(";")):
            ambito, _, mac = item.partition(":")
            old = by_ambito.get(ambito)
            if old is not None and _hmac.compare_digest(old.hmac, mac):
                continue
            label = label_of(ambito)
            if label in res.sigilli_alterati:
                continue
            what = "rimosso dal" if old is None else "sostituito nel"
            res.dettagli.append(f"Il sigillo {seal.etichetta} registra il sigillo {label} (hmac {mac[:12]}…), "
                                f"che risulta {what} foglio «{schema.META}».")
            if old is not None:
                if old in valid:
                    valid.remove(old)
                _alterato(res, old, "sostituito dopo il sigillo successivo",
                          covered(ambito, win_of(ambito)), spese, cofin)
                continue
            res.sigilli_alterati.append(label)
            rows = covered(ambito, win_of(ambito))
            is_cofin = ambito_cofinanziamento(ambito)
            target = res.motivi_cofinanziamento if is_cofin else res.motivi
            for r in rows:
                _add(target, r.riga, "RIGA_SIGILLATA_MODIFICATA",
                     f"Il sigillo {label} è stato rimosso dal foglio «{schema.META}»: la riga non può essere "
                     "garantita.")
            (res.righe_cofin_sigillate if is_cofin else res.righe_spese_sigillate).update(r.riga for r in rows)

    # 2. the rows: exact matches by content first (wherever they are now), then pairs, then the rest
    counts: dict[str, int] = {}
    unmatched: dict[bool, list[tuple[Sigillo, RigaSigillata, bool]]] = {False: [], True: []}
    for seal in sorted(valid, key=lambda s: s.ambito):
        is_cofin = ambito_cofinanziamento(seal.ambito)
        rows = cofin if is_cofin else spese
        prog, v = seal.intestazione["programma"], seal.versione
        # the current rows whose HMAC is a sealed entry's. perf: an entry whose stored text is intact (its
        # HMAC checked below) matches exactly the rows with that text, found by the text itself; the rows'
        # HMACs are computed only when a stored text was altered (its HMAC is then the original text's)
        by_text: dict[str, list[int]] = {}
        for n, testo in rows.testi(v).items():
            if n not in rows.consumed:
                by_text.setdefault(testo, []).append(n)
        by_mac: dict[str, list[int]] | None = None
        counts[seal.ambito] = 0
        # every entry's HMAC is checked, also for the register's seals: the seal's own HMAC covers the entries'
        # numbers and HMACs, not their texts, and the row HMAC (made with the key) is what proves a stored text;
        # skipping it for texts equal to a current row would let someone who can write in the database but has
        # no key change a row in the register and in the workbook alike without an alarm
        row_mac, consumed, compare = _MacRighe(chiave, prog, anno, seal.ambito, v), rows.consumed, _hmac.compare_digest
        sealed = res.righe_cofin_sigillate if is_cofin else res.righe_spese_sigillate
        for e in seal.righe:
            text_ok = compare(row_mac(e.testo), e.hmac)
            if text_ok:
                found = by_text.get(e.testo, ())
                if len(found) == 1 and found[0] not in consumed:   # perf: the usual case, one row holds the text
                    n = found[0]
                    consumed.add(n)
                    sealed.add(n)
                    if n != e.riga:
                        res.spostate.append((seal.etichetta, e.riga, n))
                    continue
            else:
                res.dettagli.append(f"Sigillo {seal.etichetta}, riga {e.riga}: il testo registrato {dove} "
                                    "è stato alterato (i valori originali non sono mostrati).")
                if by_mac is None:
                    by_mac = {}
                    for testo, ns in by_text.items():
                        by_mac.setdefault(row_mac(testo), []).extend(ns)
                found = by_mac.get(e.hmac, ())
            cands = [n for n in found if n not in consumed]
            if not cands:
                unmatched[is_cofin].append((seal, e, text_ok))
                continue
            n = e.riga if e.riga in cands else min(cands, key=lambda x: (abs(x - e.riga), x))
            consumed.add(n)
            sealed.add(n)
            if n != e.riga:
                res.spostate.append((seal.etichetta, e.riga, n))
    for is_cofin, lst in unmatched.items():
        rows = cofin if is_cofin else spese
        target = res.motivi_cofinanziamento if is_cofin else res.motivi
        cols = COLONNE_COFIN if is_cofin else COLONNE_SPESE
        pairs = _pair(lst, rows)
        for i, (seal, e, text_ok) in enumerate(lst):
            counts[seal.ambito] += 1
            when = _data(seal)
            n = pairs.get(i)
            if n is None:
                old_desc = _riassunto(e.testo, cols) if text_ok else "dati originali non disponibili"
                if not is_cofin:
                    res.righe_cancellate.append(e.riga)
                res.dettagli.append(f"Sigillo {seal.etichetta}: la riga {e.riga}, bloccata il {when}, è stata "
                                    f"cancellata o svuotata (era: {old_desc}).")
                continue
            rows.consumed.add(n)
            (res.righe_cofin_sigillate if is_cofin else res.righe_spese_sigillate).add(n)
            diffs = (differenze(e.testo, rows.testi(seal.versione)[n], cols) if text_ok
                     else ["dati originali non disponibili"])
            where = "" if n == e.riga else f" (era alla riga {e.riga})"
            if not is_cofin and text_ok:
                res.modificate[n] = (e.testo, seal.versione)
            _add(target, n, "RIGA_SIGILLATA_MODIFICATA",
                 f"Riga bloccata il {when} ({seal.etichetta}){where} modificata dopo il sigillo: "
                 f"{'; '.join(diffs) or 'valori originali non leggibili'}.")
    res.righe_cancellate.sort()

    # 3. rows that no seal holds: in a sealed window (expenses and dated co-financing rows), or any other
    # co-financing row once the year's co-financing is sealed
    for seal in valid:
        when = _data(seal)
        if seal.ambito == AMBITO_COFIN:
            for v in covered(AMBITO_COFIN, None):
                n = v.riga
                if n not in cofin.consumed and n not in res.motivi_cofinanziamento:
                    counts[seal.ambito] += 1
                    _add(res.motivi_cofinanziamento, n, "INSERIMENTO_RETROATTIVO",
                         f"Voce di cofinanziamento aggiunta dopo il sigillo del {when} ({seal.etichetta}).")
            continue
        if ambito_cofinanziamento(seal.ambito):
            win = win_of(seal.ambito)
            for v in righe_cofin_finestra(config, anno, cartella.cofinanziamento, win):
                if v.riga in cofin.consumed or v.riga in res.motivi_cofinanziamento:
                    continue
                counts[seal.ambito] += 1
                _add(res.motivi_cofinanziamento, v.riga, "INSERIMENTO_RETROATTIVO",
                     f"Voce di cofinanziamento del {v.data:%d/%m/%Y} inserita nella finestra {win.etichetta} dopo "
                     f"il blocco (sigillo del {when}): non è nel sigillo.")
            continue
        win = wins[seal.ambito]
        for s in spese_finestra(win):
            if s.riga in spese.consumed or s.riga in res.motivi:
                continue
            counts[seal.ambito] += 1
            d = data_decisiva(config, s)
            _add(res.motivi, s.riga, "INSERIMENTO_RETROATTIVO",
                 f"Spesa del {d:%d/%m/%Y} inserita nella finestra {win.etichetta} dopo il blocco "
                 f"(sigillo del {when}): non è nel sigillo.")
    for seal in sorted(valid, key=lambda s: s.ambito):
        n = counts.get(seal.ambito, 0)
        res.dettagli.append(f"Sigillo {seal.etichetta} ({len(seal.righe)} {'riga' if len(seal.righe) == 1 else 'righe'}, "
                            f"bloccato il {_data(seal)}): "
                            + ("verificato, nessuna modifica." if n == 0 else "1 anomalia." if n == 1 else f"{n} anomalie."))
    if res.spostate:
        shown = ", ".join(f"{a} → {b}" for _, a, b in res.spostate[:12])
        more = f" e altre {len(res.spostate) - 12}" if len(res.spostate) > 12 else ""
        n = len(res.spostate)
        res.dettagli.append(("1 riga bloccata ha cambiato posizione" if n == 1 else
                             f"{n} righe bloccate hanno cambiato posizione") + " (ordinamento, righe "
                            f"inserite o cancellate) con il contenuto invariato: riga {shown}{more}.")
    n_ins = sum(1 for v in res.motivi.values() if any(m.codice == "INSERIMENTO_RETROATTIVO" for m in v))
    if n_ins:
        res.dettagli.append(("1 riga inserita in una finestra già bloccata" if n_ins == 1 else
                             f"{n_ins} righe inserite in finestre già bloccate") + " (INSERIMENTO_RETROATTIVO).")
    missing = [wins[a].etichetta for a in due if a in wins and a not in seals]
    if missing:
        res.dettagli.append(f"Finestre chiuse alla data di riferimento ma non ancora sigillate: "
                            f"{', '.join(missing)} (eseguire «rendiconta blocca»).")
    if cofin_per_finestra(cartella, seals.values()):
        late = [wins[f"finestra{n}"].etichetta for a in ambiti_da_sigillare(config, anno, data_riferimento,
                                                                          cofin_finestre=True)
                if (n := numero_cofin_finestra(a)) is not None and a not in seals and f"finestra{n}" in seals]
        if late:
            res.dettagli.append(f"Voci di cofinanziamento datate nelle finestre già sigillate {', '.join(late)} non "
                                "ancora sigillate (eseguire «rendiconta blocca»).")
    if res.stato == "verificati" and res.integri:
        res.dettagli.insert(0, "Sigilli verificati con la chiave del Comune: nessuna riga bloccata è stata "
                               "modificata.")
    return res


def _righe_alla_posizione(res: RisultatoSigilli, seals: Iterable[Sigillo], spese: _Righe, cofin: _Righe) -> None:
    """Seals that cannot be checked: their rows are taken where the seals recorded them."""
    for seal in seals:
        is_cofin = ambito_cofinanziamento(seal.ambito)
        rows = cofin if is_cofin else spese
        target = res.righe_cofin_sigillate if is_cofin else res.righe_spese_sigillate
        target.update(e.riga for e in seal.righe if e.riga in rows.by_row)


def _alterato(res: RisultatoSigilli, seal: Sigillo, why: str, coperte: Iterable[Spesa | VoceCofinanziamento],
              spese: _Righe, cofin: _Righe, dove: str = f"nel foglio «{schema.META}»") -> None:
    """A seal whose own data do not verify: every row it covers (`coperte`, by date, and its entries) is
    reported."""
    label = seal.etichetta
    is_cofin = ambito_cofinanziamento(seal.ambito)
    res.sigilli_alterati.append(label)
    res.dettagli.append(f"Sigillo {label} ALTERATO {dove} ({why}): le righe che "
                        "copre non possono essere garantite.")
    rows = cofin if is_cofin else spese
    targets = {r.riga for r in coperte} | {e.riga for e in seal.righe if e.riga in rows.by_row}
    target = res.motivi_cofinanziamento if is_cofin else res.motivi
    for r in sorted(targets):
        _add(target, r, "RIGA_SIGILLATA_MODIFICATA", f"Sigillo {label} alterato: la riga non può essere garantita.")
    (res.righe_cofin_sigillate if is_cofin else res.righe_spese_sigillate).update(targets)
