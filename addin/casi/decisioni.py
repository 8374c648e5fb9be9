"""Use cases: the Comune's decisions on expense rows (`rendiconta decidi`, `rendiconta decisioni importa`).

A decision is a DECISIONE act of the register about one row, identified by its document (supplier and
number, so sorting the rows changes nothing) and, when the row is sealed, by its seal HMAC. A new
decision on the same row supersedes the standing one (it references it); REVOCATA withdraws one.
The partner's file never carries a decision the check believes (addin.casi.verifica).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from addin.casi.atti_registro import Decisione, chiave_decisione, leggi_atti
from addin.config.models import Config
from addin.errors import ErroreInput
from addin.registro import Atto
from addin.registro.atti import (ACCOLTA, DECISIONE, ESITI_DECISIONE, NON_AMMESSA, REVOCATA,
                                 RICHIESTA_INTEGRAZIONE)
from addin.rules.eligibility import chiave_documento
from addin.rules.money import money_str


@dataclass(frozen=True)
class RigaDecisa:
    """The row a decision is about, as the officer sees it."""

    riga: int
    fornitore: str | None
    numero_documento: str | None
    chiave_riga: str | None = None     # the row's seal HMAC when the row is sealed

    @property
    def documento(self) -> tuple[str, str] | None:
        return chiave_documento(self.fornitore, self.numero_documento)


def riga_del_file(path: str | Path, config: Config, riga: int, registro) -> tuple[int, int, RigaDecisa]:
    """Programme, year and the identity of Spese row `riga` of a workbook (its seal HMAC from the register)."""
    from addin.workbook.reader import leggi_cartella

    c = leggi_cartella(path, config)
    s = next((x for x in c.spese if x.riga == riga), None)
    if s is None:
        raise ErroreInput("la riga indicata non contiene una spesa.", file=Path(path).name, foglio="Spese", riga=riga)
    mac = None
    for seal in leggi_atti(c.programma, c.anno, registro.atti(c.programma, c.anno)).sigilli.values():
        mac = next((e.hmac for e in seal.righe if e.riga == riga), mac)
    return c.programma, c.anno, RigaDecisa(riga, s.fornitore, s.numero_documento, mac)


def decidi(registro, programma: int, anno: int, riga: RigaDecisa | None, esito: str, motivazione: str, *,
           importo: Decimal | None = None, documenti: str | None = None, scadenza: dt.date | None = None,
           revoca: int | None = None, data: dt.date | None = None, operatore: str | None = None) -> Atto:
    """Record a decision. REVOCATA needs `revoca` (the position of the decision withdrawn)."""
    esito = esito.strip().upper().replace(" ", "_")
    if esito not in ESITI_DECISIONE:
        raise ErroreInput(f"esito «{esito}» non previsto: usare {', '.join(ESITI_DECISIONE)}.")
    if not motivazione.strip():
        raise ErroreInput("la decisione richiede una motivazione (--motivazione), che resta agli atti.")
    if esito == RICHIESTA_INTEGRAZIONE and (scadenza is None or not (documenti or "").strip()):
        raise ErroreInput("una richiesta di integrazione indica i documenti richiesti (--documenti) e la "
                          "scadenza (--scadenza GG/MM/AAAA).")
    with registro.scrittura(programma, anno, autore=operatore) as w:
        state = leggi_atti(programma, anno, w.atti(DECISIONE))
        if esito == REVOCATA:
            standing = next((d for d in state.decisioni.values() if d.posizione == revoca), None)
            if standing is None:
                raise ErroreInput(f"l'atto {revoca} non è una decisione in vigore del programma {programma}, "
                                  f"anno {anno}: vedere «rendiconta registro storia».")
            dati = {"esito": REVOCATA, "riga": standing.riga, "documento": list(standing.documento or []) or None,
                    "motivazione": motivazione.strip()}
            return w.registra(DECISIONE, dati, data=data, riferimento=revoca)
        if riga is None:
            raise ErroreInput("indicare la riga della spesa (--riga N).")
        previous = state.decisioni.get(chiave_decisione(riga.riga, riga.documento))
        dati = {"esito": esito, "riga": riga.riga, "documento": list(riga.documento) if riga.documento else None,
                "fornitore": riga.fornitore, "numero_documento": riga.numero_documento,
                "chiave_riga": riga.chiave_riga, "motivazione": motivazione.strip()}
        if importo is not None:
            dati["importo"] = money_str(importo)
        if esito == RICHIESTA_INTEGRAZIONE:
            dati["documenti_richiesti"], dati["scadenza"] = documenti.strip(), scadenza
        return w.registra(DECISIONE, dati, data=data, riferimento=previous.posizione if previous else None)


# --- decisions entered in the report's controller columns ----------------------------------------------

_RIGA_INTESTAZIONE_PRIMA = 1     # header row of the «Esito» sheet in reports written before its title line
_TITOLO = re.compile(r"Programma\s+(\d+),\s+anno\s+(\d{4})")


@dataclass
class RisultatoImportazione:
    programma: int
    anno: int
    registrate: list[Atto]
    invariate: int                       # rows whose decision was already recorded


def _importo(v: object) -> Decimal | None:
    if v in (None, ""):
        return None
    try:
        return Decimal(str(v).replace("€", "").replace(".", "").replace(",", ".").strip()) \
            if isinstance(v, str) else Decimal(str(v))
    except InvalidOperation:
        return None


def decisioni_della_tabella(header: Sequence[object], rows: Iterable[Sequence[object]], *,
                            scadenza: dt.date | None, file: str | None, foglio: str,
                            prima_riga: int) -> list[tuple[RigaDecisa, str, str, Decimal | None]]:
    """The decisions an officer wrote in an «Esito» table (the report's sheet, or the add-in's Verifica
    sheet): (row, outcome, motivation, amount cut). A row is decided when its «Tipologia errore» was
    written or changed by the officer (not the first code the report prefills, with the prefilled
    amount and no comment): NON_AMMESSA for the amount cut, or RICHIESTA_INTEGRAZIONE when the type
    says «integrazione» (`scadenza` then required)."""
    head = [str(h or "").strip() for h in header]
    missing = [h for h in ("Riga", "Fornitore/Percettore", "N. documento", "Tipologia errore",
                           "Commento del controllore", "Importo decurtato") if h not in head]
    if missing:
        raise ErroreInput(f"colonne mancanti: {', '.join(missing)}.", file=file, foglio=foglio, riga=prima_riga - 1)
    col = {h: head.index(h) for h in head if h}

    def cell(row, name):
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else None

    out = []
    for n, row in enumerate(rows, start=prima_riga):
        kind = str(cell(row, "Tipologia errore") or "").strip()
        comment = str(cell(row, "Commento del controllore") or "").strip()
        cut = _importo(cell(row, "Importo decurtato"))
        # the report prefills the type with the row's first code and the cut with the amount not
        # admitted: those are the check's outcome, not a decision; the officer's own entries are
        codes = [c.strip() for c in str(cell(row, "Codici motivi") or "").split(",") if c.strip()]
        if not kind or (not comment and codes and kind == codes[0] and cut == _importo(cell(row, "Importo non ammesso"))):
            continue
        integr = "integraz" in kind.lower()
        if integr and scadenza is None:
            raise ErroreInput("richiesta di integrazione senza scadenza: indicare la scadenza (GG/MM/AAAA).",
                              file=file, foglio=foglio, riga=n, colonna="Tipologia errore")
        try:
            riga = int(cell(row, "Riga"))
        except (TypeError, ValueError):
            raise ErroreInput("numero di riga non valido.", file=file, foglio=foglio, riga=n, colonna="Riga") from None
        out.append((RigaDecisa(riga, cell(row, "Fornitore/Percettore"), cell(row, "N. documento")),
                    RICHIESTA_INTEGRAZIONE if integr else NON_AMMESSA, f"{kind}: {comment}" if comment else kind, cut))
    return out


def registra_decisioni(registro, programma: int, anno: int, wanted, *, scadenza: dt.date | None = None,
                       data: dt.date | None = None, operatore: str | None = None) -> RisultatoImportazione:
    """Record the decisions of `decisioni_della_tabella`; rows already decided the same way are left alone."""
    state = leggi_atti(programma, anno, registro.atti(programma, anno, DECISIONE))
    out = RisultatoImportazione(programma, anno, [], 0)
    for riga, esito, why, amount in wanted:
        old: Decisione | None = state.decisioni.get(chiave_decisione(riga.riga, riga.documento))
        if old is not None and old.esito == esito and old.motivazione == why:
            out.invariate += 1
            continue
        out.registrate.append(decidi(registro, programma, anno, riga, esito, why,
                                     importo=amount if esito == NON_AMMESSA else None,
                                     documenti=why if esito == RICHIESTA_INTEGRAZIONE else None,
                                     scadenza=scadenza, data=data, operatore=operatore))
    return out


def importa_decisioni(registro, path: str | Path, *, scadenza: dt.date | None = None, data: dt.date | None = None,
                      operatore: str | None = None) -> RisultatoImportazione:
    """Record the decisions an officer wrote in a Verifica report (sheet «Esito», columns «Tipologia
    errore», «Commento del controllore», «Importo decurtato»; see decisioni_della_tabella)."""
    from addin.workbook.reader import leggi_griglie
    from addin.workbook.report import ESITO, RIGA_INTESTAZIONE, SINTESI

    name = Path(path).name
    # the same safe reader as the programme workbooks: checked before parsing, errors in Italian
    grids, _ = leggi_griglie(path, (ESITO, SINTESI))
    if ESITO not in grids or SINTESI not in grids:
        raise ErroreInput("non è un report di Verifica (mancano i fogli «Esito» e «Sintesi»).", file=name)
    title = grids[SINTESI][0][0] if grids[SINTESI] and grids[SINTESI][0] else ""
    m = _TITOLO.search(str(title))
    if not m:
        raise ErroreInput("programma e anno non trovati nel titolo.", file=name, foglio=SINTESI, riga=1)
    rows = grids[ESITO]
    h = RIGA_INTESTAZIONE[ESITO]
    if not (len(rows) >= h and "Riga" in rows[h - 1]) and rows and "Riga" in rows[_RIGA_INTESTAZIONE_PRIMA - 1]:
        h = _RIGA_INTESTAZIONE_PRIMA      # a report written before the sheet had a title line
    wanted = decisioni_della_tabella(rows[h - 1] if len(rows) >= h else (), rows[h:], scadenza=scadenza,
                                     file=name, foglio=ESITO, prima_riga=h + 1)
    return registra_decisioni(registro, int(m.group(1)), int(m.group(2)), wanted, scadenza=scadenza, data=data,
                              operatore=operatore)


__all__ = ["ACCOLTA", "RigaDecisa", "decidi", "importa_decisioni", "riga_del_file"]
