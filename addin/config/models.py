"""Pydantic models of the reporting configuration (see crema_2026_2028.toml)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MonthDay = str  # "MM-DD"


def _check_month_day(value: str) -> str:
    try:
        dt.date(2024, int(value[:2]), int(value[3:]))  # 2024: leap year accepts 02-29
    except (ValueError, IndexError):
        raise ValueError(f"'{value}' non è una data MM-GG valida") from None
    if len(value) != 5 or value[2] != "-":
        raise ValueError(f"'{value}' deve avere la forma MM-GG")
    return value


def month_day(year: int, value: MonthDay) -> dt.date:
    return dt.date(year, int(value[:2]), int(value[3:]))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Azione(_Strict):
    codice: str
    titolo: str


class BudgetAnno(_Strict):
    comunale: Decimal = Field(ge=0)
    cofinanziamento: Decimal = Field(ge=0)

    @property
    def totale(self) -> Decimal:
        return self.comunale + self.cofinanziamento


class Programma(_Strict):
    codice: int = Field(ge=1)
    nome: str
    nome_alternativo: str | None = None
    azioni: list[Azione] = Field(min_length=1)
    budget: dict[int, BudgetAnno]
    # hourly cost of the lowest grade planned by the programme (Progetto definitivo): the volunteer cap
    costo_orario_minimo_previsto: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _actions_belong(self) -> "Programma":
        seen: set[str] = set()
        for a in self.azioni:
            if not a.codice.startswith(f"{self.codice}."):
                raise ValueError(f"l'azione {a.codice} non appartiene al programma {self.codice}")
            if a.codice in seen:
                raise ValueError(f"azione {a.codice} ripetuta")
            seen.add(a.codice)
        return self

    @property
    def codici_azioni(self) -> list[str]:
        return [a.codice for a in self.azioni]

    def budget_anno(self, anno: int) -> BudgetAnno:
        try:
            return self.budget[anno]
        except KeyError:
            raise KeyError(f"nessun budget per il programma {self.codice} nell'anno {anno}") from None


class Partner(_Strict):
    nome: str
    capofila: bool = False
    alias: list[str] = []


class Categoria(_Strict):
    codice: str
    nome: str
    personale: bool = False
    spese_generali: bool = False
    documenti_prova: list[str]
    documenti_conservati: list[str]
    documenti_trasmessi: list[str]


class CostoNonAmmissibile(_Strict):
    codice: str
    nome: str


class ModalitaPagamento(_Strict):
    nome: str
    tracciabile: bool


class Finestra(_Strict):
    numero: int
    inizio: MonthDay
    fine: MonthDay
    blocco: MonthDay
    blocco_anno_successivo: bool = False

    _v = field_validator("inizio", "fine", "blocco")(_check_month_day)


class Tranche(_Strict):
    numero: int
    quota: Decimal = Field(gt=0, le=1)
    scadenza: MonthDay
    anno_successivo: bool = False
    saldo: bool = False
    descrizione: str = ""
    # the previous year's amount to recover is offset on this tranche (at most one advance; default: none)
    compensazione: bool = False

    _v = field_validator("scadenza")(_check_month_day)


class Cofinanziamento(_Strict):
    quota_minima: Decimal = Field(ge=0, le=1)
    base: Literal["costo_totale", "finanziamento_comunale"] = "costo_totale"
    livello_vincolante: Literal["ats", "programma"] = "ats"
    livello_indicativo: Literal["ats", "programma"] = "programma"


class Limiti(_Strict):
    spese_generali_quota: Decimal = Field(ge=0, le=1)
    spese_generali_livello: Literal["programma", "partner"] = "programma"
    contanti_massimo: Decimal = Field(ge=0)
    ore_mese_massime: Decimal = Field(default=Decimal(173), gt=0)   # personnel hours per person per month


class Campionamento(_Strict):
    quota: Decimal = Field(gt=0, le=1)
    minimo: int = Field(ge=0)
    arrotondamento: Literal["difetto", "eccesso"] = "difetto"
    periodo: Literal["semestre"] = "semestre"


class TariffaVolontari(_Strict):
    dal: dt.date
    valore: Decimal = Field(gt=0)
    fonte: str


class Volontari(_Strict):
    tariffe: list[TariffaVolontari] = Field(min_length=1)


class Periodo(_Strict):
    inizio: dt.date
    fine: dt.date

    @property
    def anni(self) -> list[int]:
        return list(range(self.inizio.year, self.fine.year + 1))


class Regole(_Strict):
    data_decisiva: Literal["competenza", "pagamento"] = "competenza"
    giorni_osservazioni: int = Field(ge=0)
    anni_conservazione: int = Field(ge=1)
    tolleranza_personale: Decimal = Field(ge=0)


class Config(_Strict):
    nome: str
    ente: str
    ats: str
    periodo: Periodo
    regole: Regole
    cofinanziamento: Cofinanziamento
    limiti: Limiti
    campionamento: Campionamento
    volontari: Volontari
    finestre: list[Finestra] = Field(min_length=1)
    tranche: list[Tranche] = Field(min_length=1)
    categorie: list[Categoria] = Field(min_length=1)
    costi_non_ammissibili: list[CostoNonAmmissibile] = []
    modalita_pagamento: list[ModalitaPagamento] = Field(min_length=1)
    partner: list[Partner] = Field(min_length=1)
    programmi: list[Programma] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> "Config":
        if sum(1 for p in self.partner if p.capofila) != 1:
            raise ValueError("partner: deve esserci esattamente un capofila")
        if sum((t.quota for t in self.tranche), Decimal(0)) != 1:
            raise ValueError("tranche: le quote devono sommare a 1")
        if sum(1 for t in self.tranche if t.saldo) != 1 or not self.tranche[-1].saldo:
            raise ValueError("tranche: l'ultima tranche, e solo quella, deve essere il saldo")
        if sum(1 for t in self.tranche if t.compensazione) > 1 or self.tranche[-1].compensazione:
            raise ValueError("tranche: la compensazione si indica su una sola tranche, non sul saldo")
        codes = [p.codice for p in self.programmi]
        if len(set(codes)) != len(codes):
            raise ValueError("programmi: codici ripetuti")
        cats = {c.codice for c in self.categorie}
        if len(cats) != len(self.categorie):
            raise ValueError("categorie: codici ripetuti")
        if self.periodo.fine < self.periodo.inizio:
            raise ValueError("periodo: la fine precede l'inizio")
        for i, p in enumerate(self.programmi):
            missing = [str(a) for a in self.periodo.anni if a not in p.budget]
            if missing:
                raise ValueError(f"programmi.{i}.budget (programma {p.codice}): manca il budget "
                                 f"dell'anno {', '.join(missing)}")
        numbers = [f.numero for f in self.finestre]
        if len(set(numbers)) != len(numbers):
            raise ValueError("finestre: numeri ripetuti")
        numbers = [t.numero for t in self.tranche]
        if len(set(numbers)) != len(numbers):
            raise ValueError("tranche: numeri ripetuti")
        names = [p.nome for p in self.partner]
        if len(set(names)) != len(names):
            raise ValueError("partner: nomi ripetuti")
        # windows must tile the calendar year in order
        prev_end = None
        for i, f in enumerate(self.finestre):
            start = month_day(2024, f.inizio)
            end = month_day(2024, f.fine)
            if end < start:
                raise ValueError(f"finestre.{i}: la fine precede l'inizio")
            lock = month_day(2028 if f.blocco_anno_successivo else 2024, f.blocco)  # 2028: later and leap
            if lock < end:
                raise ValueError(f"finestre.{i}.blocco: il blocco precede la fine della finestra")
            expected = dt.date(2024, 1, 1) if prev_end is None else prev_end + dt.timedelta(days=1)
            if start != expected:
                raise ValueError(f"finestre.{i}: le finestre devono coprire l'anno senza buchi")
            prev_end = end
        if prev_end != dt.date(2024, 12, 31):
            raise ValueError("finestre: l'ultima finestra deve terminare il 31/12")
        return self

    # --- lookups -------------------------------------------------------------
    def programma(self, codice: int) -> Programma:
        for p in self.programmi:
            if p.codice == codice:
                return p
        raise KeyError(f"programma {codice} non configurato")

    @property
    def capofila(self) -> Partner:
        return next(p for p in self.partner if p.capofila)

    def categoria(self, codice: str) -> Categoria | None:
        for c in self.categorie:
            if c.codice == codice:
                return c
        return None
