"""Row models of the rules. Plain slotted dataclasses: the reader validates, the rules compute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Esito(StrEnum):
    AMMESSA = "AMMESSA"
    DA_INTEGRARE = "DA_INTEGRARE"
    NON_AMMESSA = "NON_AMMESSA"
    ESCLUSA = "ESCLUSA"


class TipoCofinanziamento(StrEnum):
    MONETARIO = "MONETARIO"
    NON_MONETARIO = "NON_MONETARIO"
    VOLONTARIATO = "VOLONTARIATO"


@dataclass(frozen=True, slots=True)
class Motivo:
    """One reason attached to a row: a stable code and an Italian message."""

    codice: str
    messaggio: str


@dataclass(slots=True)
class Spesa:
    """One expense row of the `Spese` sheet, as typed by the partner (already parsed)."""

    riga: int
    azione: str | None = None
    partner: str | None = None
    categoria: str | None = None
    descrizione: str | None = None
    fornitore: str | None = None
    tipo_documento: str | None = None
    numero_documento: str | None = None
    data_documento: dt.date | None = None
    data_pagamento: dt.date | None = None
    modalita_pagamento: str | None = None
    importo_documento: Decimal | None = None
    importo: Decimal | None = None  # importo rendicontato
    persona: str | None = None
    ore: Decimal | None = None
    costo_orario: Decimal | None = None
    doc_giustificativo: bool | None = None
    doc_conservata: bool | None = None
    doc_trasmessa: bool | None = None
    data_trasmissione: dt.date | None = None
    decisione_comune: str | None = None
    motivazione_comune: str | None = None
    mese_competenza: dt.date | None = None  # personnel: the month the pay slip refers to (its first day)
    iva_detraibile: Decimal | None = None   # recoverable VAT within the claimed amount (not admitted)
    altri_contributi: Decimal | None = None  # other funding of the same cost (not admitted)
    codice_fiscale: str | None = None  # identifies the person of personnel rows (audit sample)
    # problems the reader found in this row's cells (codes from the catalogue)
    errori: list[Motivo] = field(default_factory=list)


@dataclass(slots=True)
class VoceCofinanziamento:
    """One row of the `Cofinanziamento` sheet."""

    riga: int
    partner: str | None = None
    azione: str | None = None
    tipo: str | None = None
    descrizione: str | None = None
    quantita: Decimal | None = None  # ore o quantita'
    valore_unitario: Decimal | None = None
    # non-monetary and volunteer rows: the day the resource was given or the hours were done (a month:
    # its first day); it decides the window (column «Data», added after the first templates)
    data: dt.date | None = None
    errori: list[Motivo] = field(default_factory=list)


@dataclass(slots=True)
class EsitoRiga:
    """The outcome of one expense row."""

    riga: int
    esito: Esito
    importo: Decimal  # rendicontato (0 when not a valid amount)
    importo_ammesso: Decimal
    motivi: list[Motivo]
    finestra: int | None = None  # window number in the year, None when no date decides it
    data_decisiva: dt.date | None = None
    documento: tuple[str, str] | None = None  # the document's identity (eligibility.chiave_documento)

    @property
    def importo_non_ammesso(self) -> Decimal:
        return self.importo - self.importo_ammesso

    @property
    def codici(self) -> list[str]:
        return [m.codice for m in self.motivi]

    def testo_motivi(self) -> str:
        return "; ".join(m.messaggio for m in self.motivi)
