"""What the Comune's register says about one programme and year, in the terms the use cases need.

The register (addin.registro) stores generic acts; this module turns them into seals, decisions, the
frozen audit sample and the notice to the ATS, and turns the use cases' results into act payloads.
`leggi_atti` is pure: it reads a list of acts (a chain, in order) and applies corrections (a later act
that references an earlier one supersedes it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from addin.registro import Atto
from addin.registro.atti import (ACCOLTA, AVVISO, CAMPIONE, DECISIONE, NON_AMMESSA, OSSERVAZIONI, RICEZIONE,
                                 RICHIESTA_INTEGRAZIONE, SIGILLO)
from addin.workbook.seals import RigaSigillata, Sigillo, ambito_cofinanziamento


# --- seals ----------------------------------------------------------------------------------------

def dati_sigillo(s: Sigillo, motivo: str | None = None, data_decisiva: str | None = None) -> dict:
    """The payload of a SIGILLO act: the whole seal (header, every row's HMAC and canonical text), and
    the deciding date that placed the rows in the window (config.regole.data_decisiva)."""
    d = {"ambito": s.ambito, "etichetta": s.etichetta, "intestazione": dict(s.intestazione),
         "righe": [dataclasses.asdict(r) for r in s.righe], "hmac": s.hmac,
         "chiave": s.intestazione.get("chiave", "")}
    if data_decisiva:
        d["data_decisiva"] = data_decisiva
    if motivo:
        d["motivo"] = motivo
    return d


def controlla_data_decisiva(atti: "AttiProgramma", config) -> None:
    """ErroreConfigurazione when the register's seals in force were made with another deciding date
    (competence or payment) than the configuration's: the rows would change window, and rows of a sealed
    window would look inserted after the seal. Seals recorded before 29/11/2026 do not say: not checked."""
    from addin.errors import ErroreConfigurazione

    voluto = config.regole.data_decisiva
    for ambito, a in sorted(atti.atti_sigillo.items(), key=lambda kv: (ambito_cofinanziamento(kv[0]), kv[0])):
        usato = a.dati.get("data_decisiva")
        if usato and usato != voluto:
            raise ErroreConfigurazione(
                f"la configurazione indica come data decisiva «{voluto}» ([regole] data_decisiva), ma il "
                f"sigillo {a.dati.get('etichetta') or ambito} del programma {atti.programma} nel registro del "
                f"Comune è stato fatto con «{usato}»: con un altro criterio le righe cambierebbero finestra. "
                f"Ripristinare data_decisiva = \"{usato}\" nella configurazione.")


def sigillo_da_atto(a: Atto) -> Sigillo:
    d = a.dati
    return Sigillo(d["ambito"], dict(d["intestazione"]), [RigaSigillata(**r) for r in d["righe"]], d["hmac"])


# --- decisions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decisione:
    """A decision of the Comune on an expense row that stands (not revoked nor superseded)."""

    posizione: int               # its act in the chain
    esito: str                   # NON_AMMESSA | RICHIESTA_INTEGRAZIONE | ACCOLTA
    riga: int
    documento: tuple[str, str] | None
    data: dt.date
    autore: str
    motivazione: str
    importo: str | None = None
    documenti_richiesti: str | None = None
    scadenza: dt.date | None = None


def _decisione(a: Atto) -> Decisione:
    d = a.dati
    doc = tuple(d["documento"]) if d.get("documento") else None
    return Decisione(a.posizione, d["esito"], int(d.get("riga") or 0), doc, a.data, a.autore,
                     d.get("motivazione", ""), d.get("importo"), d.get("documenti_richiesti"),
                     dt.date.fromisoformat(d["scadenza"]) if d.get("scadenza") else None)


def chiave_decisione(riga: int, documento: tuple[str, str] | None) -> object:
    """Which row a decision is about: the document's identity (it survives sorting the rows); the row
    number only for a row without supplier or document number."""
    return ("documento", *documento) if documento else ("riga", riga)


# --- the state of a chain -------------------------------------------------------------------------

@dataclass
class AttiProgramma:
    """The register's acts of one programme and year, with corrections applied."""

    programma: int
    anno: int
    atti: list[Atto] = field(default_factory=list)
    sigilli: dict[str, Sigillo] = field(default_factory=dict)         # scope -> latest seal
    atti_sigillo: dict[str, Atto] = field(default_factory=dict)
    decisioni: dict[object, Decisione] = field(default_factory=dict)  # chiave_decisione -> standing decision
    campioni: dict[int, Atto] = field(default_factory=dict)           # semester -> latest draw
    avviso: Atto | None = None                                         # latest notice to the ATS
    osservazioni: list[Atto] = field(default_factory=list)
    ricezioni: list[Atto] = field(default_factory=list)

    def riepilogo(self) -> str:
        """The register's state in one Italian sentence (report, add-in, CLI)."""
        parts = []
        n_dec = sum(1 for d in self.decisioni.values() if d.esito != ACCOLTA)
        if n_dec:
            parts.append(f"{n_dec} {'decisione' if n_dec == 1 else 'decisioni'}")
        open_ = sorted((d for d in self.decisioni.values() if d.esito == RICHIESTA_INTEGRAZIONE),
                       key=lambda d: d.scadenza or dt.date.max)
        if open_:
            last = max((d.scadenza for d in open_ if d.scadenza), default=None)
            parts.append(f"{len(open_)} {'richiesta' if len(open_) == 1 else 'richieste'} di integrazione "
                         f"{'aperta' if len(open_) == 1 else 'aperte'}"
                         + (f" fino al {last:%d/%m/%Y}" if last else ""))
        if self.avviso is not None:
            scad = dt.date.fromisoformat(self.avviso.dati["scadenza_osservazioni"])
            parts.append(f"avviso del {self.avviso.data:%d/%m/%Y}: osservazioni entro il {scad:%d/%m/%Y}")
        if self.sigilli:
            parts.append("sigilli: " + ", ".join(s.etichetta for s in self.sigilli.values()))
        if self.campioni:
            parts.append("campione estratto: " + ", ".join(f"semestre {k}" for k in sorted(self.campioni)))
        return ", ".join(parts) if parts else "nessun atto del Comune"


# the acts leggi_atti folds: a check reads only these (Registro.atti(..., tipi=TIPI_LETTI)); the VERIFICA acts,
# each with every row's outcome, are left in the database
TIPI_LETTI = frozenset({RICEZIONE, SIGILLO, CAMPIONE, AVVISO, DECISIONE, OSSERVAZIONI})


def leggi_atti(programma: int, anno: int, acts: list[Atto]) -> AttiProgramma:
    """Fold a chain's acts (in order) into the current state (acts of other types than TIPI_LETTI are
    ignored)."""
    out = AttiProgramma(programma, anno, list(acts))
    by_pos: dict[int, object] = {}     # decision act position -> its key while it stands
    for a in acts:
        if a.tipo == RICEZIONE:
            out.ricezioni.append(a)
        elif a.tipo == SIGILLO:
            out.sigilli[a.dati["ambito"]] = sigillo_da_atto(a)
            out.atti_sigillo[a.dati["ambito"]] = a
        elif a.tipo == CAMPIONE:
            out.campioni[int(a.dati["semestre"])] = a
        elif a.tipo == AVVISO:
            out.avviso = a
        elif a.tipo == DECISIONE:
            if a.riferimento is not None and a.riferimento in by_pos:
                out.decisioni.pop(by_pos.pop(a.riferimento), None)    # revoked or superseded
            if a.dati.get("esito") in (NON_AMMESSA, RICHIESTA_INTEGRAZIONE, ACCOLTA):
                dec = _decisione(a)
                key = chiave_decisione(dec.riga, dec.documento)
                old = out.decisioni.get(key)
                if old is not None:
                    by_pos.pop(old.posizione, None)
                out.decisioni[key] = dec
                by_pos[a.posizione] = key
        elif a.tipo == OSSERVAZIONI:
            out.osservazioni.append(a)
            for pos in a.dati.get("decisioni_revocate", []):
                if pos in by_pos:
                    out.decisioni.pop(by_pos.pop(pos), None)
    return out
