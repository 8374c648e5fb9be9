"""Tamper-evident seals of closed reporting windows (HMAC-SHA256 keyed by a secret of the Comune).

INTERFACE CONTRACT (used by addin.casi.blocca and addin.casi.verifica):
    carica_chiave(path_or_none) -> bytes | None
    verifica_sigilli(cartella, config, chiave, data_riferimento) -> RisultatoSigilli
        .stato in {"verificati", "non_verificabili", "assenti"}
        .motivi: dict[int, list[Motivo]]  (Spese row -> RIGA_SIGILLATA_MODIFICATA / INSERIMENTO_RETROATTIVO)
        .dettagli: list[str]              (Italian lines for the report)

What a seal covers (see docs/blocco.md):
- a window seal ("finestraN"): every `Spese` row whose deciding date (payment date, else document
  date: addin.rules.eligibility.data_decisiva) falls in window N of the workbook's year, in row order;
- the co-financing seal ("cofinanziamento"): every `Cofinanziamento` row, written once the last window
  of the year is closed (co-financing rows carry no date, so they belong to the year as a whole).
The canonical form of a row is a JSON object of the partner's input fields (schema order): text as
read, amounts and numbers as normalised Decimal strings, dates ISO, SI/NO as true/false. The two
columns reserved to the Comune (decision and its reason) are outside the seal: the Comune writes them
after the lock. Everything is computed from the parsed models (Spesa, VoceCofinanziamento) produced by
addin.workbook.reader, so sealing and verification see exactly the same values.

Storage: extra key/value rows of the hidden `_meta` sheet, keys starting with `sigillo.`:
    sigillo.<ambito>.<campo>       header fields (versione, programma, anno, finestra, periodo, blocco,
                                   data, righe, chiave = key fingerprint, hmac = seal HMAC)
    sigillo.<ambito>.riga.<n>      "<row HMAC hex> <canonical row text>" for Excel row n
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreChiave
from addin.rules.eligibility import data_decisiva
from addin.rules.models import Motivo, Spesa, VoceCofinanziamento
from addin.rules.money import fmt_eur
from addin.rules.windows import FinestraAnno, finestre_anno
from addin.workbook import schema

VERSIONE = "1"
PREFISSO = "sigillo."
AMBITO_COFIN = "cofinanziamento"
ENV_CHIAVE = "RENDICONTA_CHIAVE"
LUNGHEZZA_MINIMA_CHIAVE = 16

# columns reserved to the Comune: written after the lock, so outside the seal
CAMPI_COMUNE = ("decisione_comune", "motivazione_comune")
COLONNE_SPESE = tuple(c for c in schema.input_cols(schema.SPESE_COLS) if c.key not in CAMPI_COMUNE)
COLONNE_COFIN = tuple(schema.input_cols(schema.COFIN_COLS))

_HEADER_FIELDS = ("versione", "programma", "anno", "finestra", "periodo", "blocco", "data", "righe", "chiave")


# --- key ------------------------------------------------------------------------------------------

def carica_chiave(path: str | Path | None = None) -> bytes | None:
    """The sealing key: the content of `path` (``--chiave FILE``), else the environment variable
    RENDICONTA_CHIAVE (the key itself, or the path of a file holding it); None when neither is set.
    Leading/trailing whitespace is ignored. Raises ErroreChiave when the file cannot be read or the
    key is too short."""
    if path is not None:
        source = f"file «{path}»"
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ErroreChiave(f"impossibile leggere la chiave dal {source}: {exc.strerror or exc}") from None
    else:
        value = os.environ.get(ENV_CHIAVE)
        if value is None or not value.strip():
            return None
        candidate = Path(value.strip())
        try:
            is_file = candidate.is_file()
        except (OSError, ValueError):
            is_file = False
        if is_file:
            source = f"file «{candidate}» indicato da {ENV_CHIAVE}"
            try:
                raw = candidate.read_bytes()
            except OSError as exc:
                raise ErroreChiave(f"impossibile leggere la chiave dal {source}: {exc.strerror or exc}") from None
        else:
            source = f"variabile d'ambiente {ENV_CHIAVE}"
            raw = value.encode("utf-8")
    key = raw.strip()
    if len(key) < LUNGHEZZA_MINIMA_CHIAVE:
        raise ErroreChiave(f"la chiave nel {source} è troppo corta: servono almeno "
                           f"{LUNGHEZZA_MINIMA_CHIAVE} caratteri (consigliati 64 caratteri casuali).")
    return key


def impronta_chiave(chiave: bytes) -> str:
    """A short fingerprint telling which key made a seal (an HMAC: it reveals nothing of the key)."""
    return _hmac.new(chiave, b"rendiconta/impronta-chiave", hashlib.sha256).hexdigest()[:16]


def _mac(chiave: bytes, payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return _hmac.new(chiave, text.encode("utf-8"), hashlib.sha256).hexdigest()


# --- canonical form -------------------------------------------------------------------------------

def _canon_value(v: object) -> object:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Decimal):
        if v == 0:
            return "0"
        return format(v.normalize(), "f")
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, float)):
        return _canon_value(Decimal(repr(v)) if isinstance(v, float) else Decimal(v))
    return str(v)


def forma_canonica(riga: Spesa | VoceCofinanziamento) -> str:
    """The canonical text of one row: what its seal covers (the row number is not part of it)."""
    cols = COLONNE_COFIN if isinstance(riga, VoceCofinanziamento) else COLONNE_SPESE
    obj = {c.key: _canon_value(getattr(riga, c.key, None)) for c in cols}
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _row_mac(chiave: bytes, programma: object, anno: object, ambito: str, testo: str) -> str:
    return _mac(chiave, ["riga", VERSIONE, str(programma), str(anno), ambito, testo])


# --- seals ----------------------------------------------------------------------------------------

@dataclass
class RigaSigillata:
    riga: int
    hmac: str
    testo: str


@dataclass
class Sigillo:
    """One seal as stored in `_meta` (all header values are the exact stored strings)."""

    ambito: str                       # "finestra1".."finestraN" or "cofinanziamento"
    intestazione: dict[str, str]      # _HEADER_FIELDS -> value
    righe: list[RigaSigillata]
    hmac: str
    problemi: list[str] = field(default_factory=list)   # malformed entries found while reading

    @property
    def etichetta(self) -> str:
        if self.ambito == AMBITO_COFIN:
            return f"cofinanziamento {self.intestazione.get('anno', '?')}"
        return f"finestra {self.intestazione.get('finestra', '?')}"

    def voci_meta(self) -> list[tuple[str, str]]:
        """The `_meta` key/value rows of this seal, in writing order."""
        p = f"{PREFISSO}{self.ambito}."
        out = [(p + k, self.intestazione[k]) for k in _HEADER_FIELDS]
        out.append((p + "hmac", self.hmac))
        out += [(f"{p}riga.{r.riga}", f"{r.hmac} {r.testo}") for r in self.righe]
        return out


def _seal_payload(ambito: str, intestazione: Mapping[str, str], righe: Sequence[RigaSigillata]) -> object:
    return ["sigillo", ambito, [[k, intestazione.get(k)] for k in _HEADER_FIELDS],
            [[r.riga, r.hmac] for r in righe]]


def _finestra_ambito(f: FinestraAnno) -> str:
    return f"finestra{f.numero}"


def righe_finestra(config: Config, spese: Iterable[Spesa], f: FinestraAnno) -> list[Spesa]:
    """The expense rows whose deciding date falls in window f, in row order."""
    out = [s for s in spese if (d := data_decisiva(config, s)) is not None and f.contiene(d)]
    return sorted(out, key=lambda s: s.riga)


def crea_sigillo(chiave: bytes, ambito: str, programma: int, anno: int, finestra: str, periodo: str,
                 blocco: dt.date, data: dt.date, righe: Sequence[Spesa | VoceCofinanziamento]) -> Sigillo:
    entries = []
    for r in sorted(righe, key=lambda x: x.riga):
        testo = forma_canonica(r)
        entries.append(RigaSigillata(r.riga, _row_mac(chiave, programma, anno, ambito, testo), testo))
    head = {"versione": VERSIONE, "programma": str(programma), "anno": str(anno), "finestra": finestra,
            "periodo": periodo, "blocco": blocco.isoformat(), "data": data.isoformat(),
            "righe": str(len(entries)), "chiave": impronta_chiave(chiave)}
    return Sigillo(ambito, head, entries, _mac(chiave, _seal_payload(ambito, head, entries)))


def ambiti_da_sigillare(config: Config, anno: int, data_riferimento: dt.date) -> list[str]:
    """The seals due at the reference date: every closed window, and co-financing once all are closed."""
    wins = finestre_anno(config, anno)
    out = [_finestra_ambito(f) for f in wins if f.chiusa(data_riferimento)]
    if wins and all(f.chiusa(data_riferimento) for f in wins):
        out.append(AMBITO_COFIN)
    return out


def nuovi_sigilli(cartella, config: Config, chiave: bytes, data_riferimento: dt.date, *,
                  presenti: Iterable[str] | None = None) -> list[Sigillo]:
    """Seals due at the reference date that do not exist yet (existing ones are kept). `presenti`: the
    scopes already sealed (the register's); None: those found in the workbook's `_meta`."""
    present = set(leggi_sigilli(cartella.meta) if presenti is None else presenti)
    wins = {_finestra_ambito(f): f for f in finestre_anno(config, cartella.anno)}
    out = []
    for ambito in ambiti_da_sigillare(config, cartella.anno, data_riferimento):
        if ambito in present:
            continue
        if ambito == AMBITO_COFIN:
            last = list(wins.values())[-1]
            out.append(crea_sigillo(chiave, ambito, cartella.programma, cartella.anno, f"anno {cartella.anno}",
                                    f"{cartella.anno}-01-01..{cartella.anno}-12-31", last.blocco,
                                    data_riferimento, cartella.cofinanziamento))
        else:
            f = wins[ambito]
            out.append(crea_sigillo(chiave, ambito, cartella.programma, cartella.anno, f.etichetta,
                                    f"{f.inizio.isoformat()}..{f.fine.isoformat()}", f.blocco,
                                    data_riferimento, righe_finestra(config, cartella.spese, f)))
    return out


def leggi_sigilli(meta: Mapping[str, object]) -> dict[str, Sigillo]:
    """The seals stored in the `_meta` key/value pairs, by scope (malformed entries go to .problemi)."""
    raw: dict[str, dict[str, str]] = {}
    rows: dict[str, list[tuple[str, str]]] = {}
    for k, v in meta.items():
        key = str(k).strip()
        if not key.startswith(PREFISSO):
            continue
        rest = key[len(PREFISSO):]
        ambito, _, campo = rest.partition(".")
        value = "" if v is None else str(v)
        if campo.startswith("riga."):
            rows.setdefault(ambito, []).append((campo[5:], value))
        else:
            raw.setdefault(ambito, {})[campo] = value
            rows.setdefault(ambito, [])
    out: dict[str, Sigillo] = {}
    for ambito in sorted(set(raw) | set(rows)):
        head = raw.get(ambito, {})
        problems = [f"campo «{k}» mancante" for k in (*_HEADER_FIELDS, "hmac") if k not in head]
        entries = []
        for num, value in rows.get(ambito, []):
            mac, _, testo = value.partition(" ")
            try:
                n = int(float(num))
            except ValueError:
                problems.append(f"voce «riga.{num}» non valida")
                continue
            entries.append(RigaSigillata(n, mac.strip(), testo))
        entries.sort(key=lambda r: r.riga)
        out[ambito] = Sigillo(ambito, {k: head.get(k, "") for k in _HEADER_FIELDS}, entries,
                              head.get("hmac", ""), problems)
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

    @property
    def integri(self) -> bool:
        """True only when seals were verified with the key and nothing changed."""
        return (self.stato == "verificati" and not self.motivi and not self.motivi_cofinanziamento
                and not self.righe_cancellate and not self.sigilli_alterati)


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
    return str(v).replace(".", ",") if col.kind == "number" else str(v)


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


def verifica_sigilli(cartella, config: Config, chiave: bytes | None, data_riferimento: dt.date, *,
                     sigilli: Mapping[str, Sigillo] | None = None) -> RisultatoSigilli:
    """Check a parsed workbook against its seals (pure: no file I/O). `sigilli`: the seals recorded in
    the Comune's register (scope -> seal); None: the copies in the workbook's `_meta` (the file-only
    check, `--senza-registro`), which the partner can edit."""
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
    if chiave is None:
        res.stato = "non_verificabili"
        res.dettagli.append(f"Sigilli presenti ({', '.join(res.sigilli)}) ma NON verificati: manca la chiave "
                            f"del Comune (--chiave FILE o variabile {ENV_CHIAVE}). Non si può dire se le righe "
                            "bloccate siano state modificate.")
        return res

    res.stato = "verificati"
    fp = impronta_chiave(chiave)
    spese_by_row = {s.riga: s for s in cartella.spese}
    cofin_by_row = {v.riga: v for v in cartella.cofinanziamento}
    sealed_rows: set[int] = set()
    verified_windows: list[tuple[FinestraAnno, Sigillo]] = []
    for ambito, seal in seals.items():
        label = seal.etichetta
        is_cofin = ambito == AMBITO_COFIN
        win = wins.get(ambito)
        if seal.intestazione.get("chiave") and seal.intestazione["chiave"] != fp and not seal.problemi:
            res.stato = "non_verificabili"
            res.dettagli.append(f"Sigillo {label}: creato con un'altra chiave; non verificabile con la chiave "
                                "fornita (nessuna garanzia sulle righe bloccate).")
            if win is not None:
                sealed_rows.update(r.riga for r in seal.righe)
            continue
        expected = _mac(chiave, _seal_payload(ambito, seal.intestazione, seal.righe))
        bad_header = (seal.problemi or not _hmac.compare_digest(expected, seal.hmac)
                      or (not is_cofin and win is None)
                      or seal.intestazione.get("anno") != str(anno)
                      or seal.intestazione.get("programma") != str(cartella.programma))
        if bad_header:
            res.sigilli_alterati.append(label)
            why = "; ".join(seal.problemi) if seal.problemi else "i dati del sigillo non corrispondono"
            res.dettagli.append(f"Sigillo {label} ALTERATO {dove} ({why}): le righe che "
                                "copre non possono essere garantite.")
            targets = (cofin_by_row if is_cofin else
                       {s.riga: s for s in righe_finestra(config, cartella.spese, win)} if win else {})
            target = res.motivi_cofinanziamento if is_cofin else res.motivi
            for r in sorted(set(targets) | {e.riga for e in seal.righe
                                            if e.riga in (cofin_by_row if is_cofin else spese_by_row)}):
                _add(target, r, "RIGA_SIGILLATA_MODIFICATA",
                     f"Sigillo {label} alterato: la riga non può essere garantita.")
            if not is_cofin:
                sealed_rows.update(r.riga for r in seal.righe)
            continue
        when = dt.date.fromisoformat(seal.intestazione["data"]).strftime("%d/%m/%Y")
        cols = COLONNE_COFIN if is_cofin else COLONNE_SPESE
        current = cofin_by_row if is_cofin else spese_by_row
        target = res.motivi_cofinanziamento if is_cofin else res.motivi
        prog = seal.intestazione["programma"]
        macs = {r: _row_mac(chiave, prog, anno, ambito, forma_canonica(x)) for r, x in current.items()}
        entry_rows = {e.riga for e in seal.righe}
        by_mac: dict[str, list[int]] = {}
        for e in seal.righe:
            by_mac.setdefault(e.hmac, []).append(e.riga)
        changed = 0
        for e in seal.righe:
            text_ok = _hmac.compare_digest(_row_mac(chiave, prog, anno, ambito, e.testo), e.hmac)
            if not text_ok:
                res.dettagli.append(f"Sigillo {label}, riga {e.riga}: il testo registrato {dove} "
                                    "è stato alterato (i valori originali non sono mostrati).")
            cur = macs.get(e.riga)
            if cur is not None and _hmac.compare_digest(cur, e.hmac):
                continue
            changed += 1
            old_desc = _riassunto(e.testo, cols) if text_ok else "dati originali non disponibili"
            if cur is None:
                moved = [r for r, m in macs.items() if m == e.hmac and r not in entry_rows]
                if moved:
                    continue  # reported at the row it moved to (below)
                if not is_cofin:
                    res.righe_cancellate.append(e.riga)
                res.dettagli.append(f"Sigillo {label}: la riga {e.riga}, bloccata il {when}, è stata cancellata "
                                    f"o svuotata (era: {old_desc}).")
                continue
            origin = [r for r in by_mac.get(cur, []) if r != e.riga]
            if origin:
                msg = (f"Riga bloccata il {when} ({label}) spostata: ora contiene i dati sigillati della riga "
                       f"{origin[0]}; l'ordine delle righe sigillate è cambiato.")
            else:
                diffs = differenze(e.testo, forma_canonica(current[e.riga]), cols) if text_ok \
                    else ["dati originali non disponibili"]
                msg = f"Riga bloccata il {when} ({label}) modificata dopo il sigillo: {'; '.join(diffs)}."
            _add(target, e.riga, "RIGA_SIGILLATA_MODIFICATA", msg)
        # sealed content that moved to a row outside the seal
        for r, m in macs.items():
            if r in entry_rows:
                continue
            origin = [x for x in by_mac.get(m, []) if macs.get(x) != m]
            if origin:
                changed += 1
                _add(target, r, "RIGA_SIGILLATA_MODIFICATA",
                     f"Riga bloccata il {when} ({label}) spostata dalla riga {origin[0]} alla riga {r}.")
        if is_cofin:
            for r in sorted(set(current) - entry_rows):
                if r not in target:
                    changed += 1
                    _add(target, r, "INSERIMENTO_RETROATTIVO",
                         f"Voce di cofinanziamento aggiunta dopo il sigillo del {when} ({label}).")
        else:
            sealed_rows.update(entry_rows)
            verified_windows.append((win, seal))
        n = len(seal.righe)
        res.dettagli.append(f"Sigillo {label} ({n} righe, bloccato il {when}): "
                            + ("verificato, nessuna modifica." if changed == 0 else f"{changed} anomalie."))

    # rows dated in a sealed window that the seal does not hold: retroactive insertions
    for win, seal in verified_windows:
        when = dt.date.fromisoformat(seal.intestazione["data"]).strftime("%d/%m/%Y")
        for s in righe_finestra(config, cartella.spese, win):
            if s.riga in sealed_rows or s.riga in res.motivi:
                continue
            d = data_decisiva(config, s)
            _add(res.motivi, s.riga, "INSERIMENTO_RETROATTIVO",
                 f"Spesa del {d:%d/%m/%Y} inserita nella finestra {win.etichetta} dopo il blocco "
                 f"(sigillo del {when}): non è nel sigillo.")
    n_ins = sum(1 for v in res.motivi.values() if any(m.codice == "INSERIMENTO_RETROATTIVO" for m in v))
    if n_ins:
        res.dettagli.append(f"{n_ins} righe inserite in finestre già bloccate (INSERIMENTO_RETROATTIVO).")
    missing = [wins[a].etichetta for a in due if a in wins and a not in seals]
    if missing:
        res.dettagli.append(f"Finestre chiuse alla data di riferimento ma non ancora sigillate: "
                            f"{', '.join(missing)} (eseguire «rendiconta blocca»).")
    if res.stato == "verificati" and res.integri:
        res.dettagli.insert(0, "Sigilli verificati con la chiave del Comune: nessuna riga bloccata è stata "
                               "modificata.")
    return res
