"""Use case: the payments made by the Comune (`rendiconta pagamenti ...`), acts of the register.

A payment is a PAGAMENTO act in the chain of its programme and year: tranche, amount, payment date,
payment order (mandato). It is never changed: a wrong one is cancelled by a new PAGAMENTO act with
`annullato` and the reason, whose `riferimento` is the act cancelled. The payments are read back from
the register only (the workbooks may show copies; nothing in them is trusted for this).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreInput
from addin.registro import Atto, Registro
from addin.registro.atti import PAGAMENTO
from addin.rules.money import fmt_eur, money, money_str
from addin.rules.payments import Pagamento
from addin.rules.tranches import piano_tranche, scadenza_tranche
from addin.rules.variations import budget_programma_approvato

FOGLIO = "Pagamenti"


def _dati(p: Pagamento) -> dict:
    d = {"tranche": p.tranche, "importo": money_str(p.importo), "data_pagamento": p.data.isoformat()}
    if p.mandato:
        d["mandato"] = p.mandato
    return d


def _pagamento(a: Atto) -> Pagamento:
    d = a.dati
    return Pagamento(a.programma, a.anno, int(d["tranche"]), dt.date.fromisoformat(d["data_pagamento"]),
                     Decimal(d["importo"]), d.get("mandato"))


def _validi(acts: Sequence[Atto]) -> list[tuple[Atto, Pagamento]]:
    """The payments of a chain that no later act cancelled."""
    cancelled = {a.riferimento for a in acts if a.dati.get("annullato")}
    return [(a, _pagamento(a)) for a in acts if not a.dati.get("annullato") and a.posizione not in cancelled]


def pagamenti_da_atti(acts: Sequence[Atto]) -> list[Pagamento]:
    """The payments in force among the acts of one chain (acts of other kinds are ignored): what a use
    case that already read a programme's year from the register passes to `esegui_verifica`."""
    return [p for _, p in _validi([a for a in acts if a.tipo == PAGAMENTO])]


def pagamenti_registrati(reg: Registro, config: Config, anni: Iterable[int] | None = None) -> list[Pagamento]:
    """Every payment in force of the configured programmes (and years)."""
    years = list(anni) if anni is not None else config.periodo.anni
    return [p for prog in config.programmi for y in years for p in pagamenti_da_atti(reg.atti(prog.codice, y, PAGAMENTO))]


def controlla_pagamento(config: Config, p: Pagamento, oggi: dt.date) -> None:
    """Raise ErroreInput (Italian) when the payment cannot be one of this co-design."""
    try:
        config.programma(p.programma)
    except KeyError:
        raise ErroreInput(f"il programma {p.programma} non è configurato "
                          f"({', '.join(str(x.codice) for x in config.programmi)}).") from None
    if p.anno not in config.periodo.anni:
        raise ErroreInput(f"l'anno {p.anno} non è della co-progettazione "
                          f"({', '.join(str(y) for y in config.periodo.anni)}).")
    if p.tranche not in {t.numero for t in config.tranche}:
        raise ErroreInput(f"la tranche {p.tranche} non è configurata "
                          f"({', '.join(str(t.numero) for t in config.tranche)}).")
    if p.importo <= 0 or money(p.importo) != p.importo:
        raise ErroreInput(f"importo {p.importo} non valido: deve essere positivo, al centesimo.")
    if p.data > oggi:
        raise ErroreInput(f"la data del pagamento {p.data:%d/%m/%Y} è futura: si registrano i pagamenti già fatti.")
    if p.data < dt.date(p.anno, 1, 1):
        raise ErroreInput(f"la data del pagamento {p.data:%d/%m/%Y} precede l'anno {p.anno} della tranche.")


def registra_pagamento(reg: Registro, config: Config, p: Pagamento, *, oggi: dt.date | None = None,
                       autore: str | None = None) -> tuple[Atto, list[str]]:
    """Record a payment made. Refused (ErroreInput) when invalid or already recorded (same payment
    order, or same tranche, date and amount without one); returns the act and warnings (Italian)."""
    oggi = oggi or dt.date.today()
    p = replace(p, mandato=(p.mandato or "").strip() or None)
    controlla_pagamento(config, p, oggi)
    with reg.scrittura(p.programma, p.anno, autore=autore, oggi=oggi) as w:
        existing = _validi(w.atti(PAGAMENTO))
        for a, q in existing:
            if p.mandato and q.mandato and p.mandato.strip().casefold() == q.mandato.strip().casefold():
                raise ErroreInput(f"il mandato {p.mandato} è già registrato (atto {a.posizione} del "
                                  f"{q.data:%d/%m/%Y}, {fmt_eur(q.importo)}): nessun atto registrato.")
            if not p.mandato and (q.tranche, q.data, q.importo) == (p.tranche, p.data, p.importo):
                raise ErroreInput(f"lo stesso pagamento è già registrato (atto {a.posizione}); se è un secondo "
                                  "pagamento indicarne il mandato: nessun atto registrato.")
        atto = w.registra(PAGAMENTO, _dati(p), data=p.data)
    return atto, _avvisi(reg, config, p, [q for _, q in existing])


def _avvisi(reg: Registro, config: Config, p: Pagamento, before: Sequence[Pagamento]) -> list[str]:
    from addin.casi.variazioni import variazioni_registrate

    out = []
    rule = next(t for t in config.tranche if t.numero == p.tranche)
    deadline = scadenza_tranche(config, p.anno, p.tranche)
    if p.data > deadline:
        out.append(f"Pagamento in ritardo: la tranche {p.tranche} scadeva il {deadline:%d/%m/%Y}.")
    if not rule.saldo:
        b = budget_programma_approvato(config, p.programma, p.anno, variazioni_registrate(reg, config, [p.anno]),
                                       p.data)
        planned = next(t.importo for t in piano_tranche(config, p.anno, b.comunale) if t.numero == p.tranche)
        paid = sum((q.importo for q in before if q.tranche == p.tranche), Decimal(0)) + p.importo
        if paid > planned:
            out.append(f"Sulla tranche {p.tranche} risultano pagati {fmt_eur(paid)}, oltre il previsto di "
                       f"{fmt_eur(planned)}.")
    return out


def annulla_pagamento(reg: Registro, programma: int, anno: int, posizione: int, motivo: str, *,
                      oggi: dt.date | None = None, autore: str | None = None) -> Atto:
    """Cancel a recorded payment by a new act (the first stays in the register)."""
    if not motivo.strip():
        raise ErroreInput("indicare il motivo dell'annullamento (--motivo).")
    with reg.scrittura(programma, anno, autore=autore, oggi=oggi) as w:
        valid = {a.posizione for a, _ in _validi(w.atti(PAGAMENTO))}
        if posizione not in valid:
            raise ErroreInput(f"l'atto {posizione} del programma {programma}, anno {anno}, non è un pagamento in "
                              "vigore (inesistente, di un altro tipo o già annullato).")
        return w.registra(PAGAMENTO, {"annullato": True, "motivo": motivo.strip()}, riferimento=posizione)


def leggi_foglio(path: str | Path) -> list[tuple[int, Pagamento]]:
    """The payments listed in a sheet (Programma, Anno, Tranche, Data, Importo, Mandato)."""
    from addin.workbook.tabella_atti import Colonna, leggi_tabella

    cols = [Colonna("programma", "Programma", "int"), Colonna("anno", "Anno", "int"),
            Colonna("tranche", "Tranche", "int"), Colonna("data", "Data", "date"),
            Colonna("importo", "Importo", "money"), Colonna("mandato", "Mandato", "text", obbligatoria=False)]
    _, rows = leggi_tabella(path, FOGLIO, cols)
    return [(i, Pagamento(v["programma"], v["anno"], v["tranche"], v["data"], v["importo"], v["mandato"]))
            for i, v in rows]


def importa_pagamenti(reg: Registro, config: Config, path: str | Path, *, oggi: dt.date | None = None,
                      autore: str | None = None) -> list[tuple[Atto, list[str]]]:
    """Record every payment of a sheet. Every row is checked before the first is recorded; a row
    already recorded (same payment order) stops the import at that row with its number."""
    oggi = oggi or dt.date.today()
    rows = leggi_foglio(path)
    if not rows:
        raise ErroreInput("nessun pagamento nel foglio.", file=Path(path).name)
    seen: dict[str, int] = {}
    for i, p in rows:
        try:
            controlla_pagamento(config, p, oggi)
        except ErroreInput as exc:
            raise ErroreInput(exc.messaggio, file=Path(path).name, riga=i) from None
        key = (p.mandato or "").strip().casefold()
        if key and key in seen:
            raise ErroreInput(f"il mandato {p.mandato} compare anche alla riga {seen[key]}: nessun pagamento "
                              "registrato.", file=Path(path).name, riga=i)
        seen[key] = i
    out = []
    for i, p in rows:
        try:
            out.append(registra_pagamento(reg, config, p, oggi=oggi, autore=autore))
        except ErroreInput as exc:
            done = f" (registrate le righe precedenti: {len(out)})" if out else ""
            raise ErroreInput(exc.messaggio + done, file=Path(path).name, riga=i) from None
    return out
