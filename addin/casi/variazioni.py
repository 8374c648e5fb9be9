"""Use case: the budget variations approved by the Cabina di regia (`rendiconta variazioni ...`),
acts of the register (VARIAZIONE_BUDGET in the chain of the programme and year: approval date, the
minute's reference, lines per action and category). A wrong one is cancelled by a new act with
`annullata`, the reason and `riferimento` = the act cancelled. The variations typed in a partner's
Budget sheet are proposals and never become acts by themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreInput
from addin.registro import Atto, Registro
from addin.registro.atti import VARIAZIONE_BUDGET
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.money import money_str
from addin.rules.variations import RigaVariazione, VariazioneBudget, errori_variazione

FOGLIO = "Variazioni"


def _dati(v: VariazioneBudget) -> dict:
    d = {"data_approvazione": v.data_approvazione.isoformat(), "verbale": v.verbale.strip(),
         "righe": [{"azione": r.azione, "categoria": r.categoria, "comunale": money_str(r.comunale),
                    "cofinanziamento": money_str(r.cofinanziamento)} for r in v.righe]}
    if v.descrizione:
        d["descrizione"] = v.descrizione
    return d


def _variazione(a: Atto) -> VariazioneBudget:
    d = a.dati
    return VariazioneBudget(a.programma, a.anno, dt.date.fromisoformat(d["data_approvazione"]), d["verbale"],
                            tuple(RigaVariazione(r["azione"], r["categoria"], Decimal(r["comunale"]),
                                                 Decimal(r["cofinanziamento"])) for r in d["righe"]),
                            d.get("descrizione", ""))


def _valide(acts: Sequence[Atto]) -> list[tuple[Atto, VariazioneBudget]]:
    cancelled = {a.riferimento for a in acts if a.dati.get("annullata")}
    return [(a, _variazione(a)) for a in acts if not a.dati.get("annullata") and a.posizione not in cancelled]


def variazioni_da_atti(acts: Sequence[Atto]) -> list[VariazioneBudget]:
    """The variations in force among the acts of one chain (acts of other kinds are ignored)."""
    return [v for _, v in _valide([a for a in acts if a.tipo == VARIAZIONE_BUDGET])]


def variazioni_registrate(reg: Registro, config: Config, anni: Iterable[int] | None = None) -> list[VariazioneBudget]:
    years = list(anni) if anni is not None else config.periodo.anni
    return [v for p in config.programmi for y in years for v in variazioni_da_atti(reg.atti(p.codice, y, VARIAZIONE_BUDGET))]


def riga(config: Config, testo: str) -> RigaVariazione:
    """A line typed on the command line: "azione;categoria;comunale[;cofinanziamento]" (the category
    as its code or its Italian name; amounts the Italian or the international way)."""
    from addin.rules.money import to_decimal

    parts = [x.strip() for x in testo.split(";")]
    if len(parts) not in (3, 4):
        raise ErroreInput(f"riga «{testo}»: scrivere azione;categoria;comunale[;cofinanziamento], "
                          "es. «1.1;SERVIZI;-10000».")
    cat = lookup_for(config).categoria(parts[1])
    amounts = [to_decimal(x) for x in parts[2:]]
    if any(a is None for a in amounts):
        raise ErroreInput(f"riga «{testo}»: importo non valido.")
    return RigaVariazione(norm_action(parts[0]) or parts[0], cat.codice if cat else parts[1], amounts[0],
                          amounts[1] if len(amounts) > 1 else Decimal("0.00"))


def _errori(config: Config, v: VariazioneBudget, oggi: dt.date) -> list[str]:
    future = v.data_approvazione > oggi
    return errori_variazione(config, v) + ([f"la data di approvazione {v.data_approvazione:%d/%m/%Y} è futura."]
                                           if future else [])


def registra_variazione(reg: Registro, config: Config, v: VariazioneBudget, *, oggi: dt.date | None = None,
                        autore: str | None = None) -> Atto:
    oggi = oggi or dt.date.today()
    errs = _errori(config, v, oggi)
    if errs:
        raise ErroreInput("variazione non registrata: " + " ".join(errs))
    with reg.scrittura(v.programma, v.anno, autore=autore, oggi=oggi) as w:
        for a, old in _valide(w.atti(VARIAZIONE_BUDGET)):
            if _dati(old) == _dati(v):
                raise ErroreInput(f"la stessa variazione è già registrata (atto {a.posizione}): "
                                  "nessun atto registrato.")
        return w.registra(VARIAZIONE_BUDGET, _dati(v), data=v.data_approvazione)


def annulla_variazione(reg: Registro, programma: int, anno: int, posizione: int, motivo: str, *,
                       oggi: dt.date | None = None, autore: str | None = None) -> Atto:
    if not motivo.strip():
        raise ErroreInput("indicare il motivo dell'annullamento (--motivo).")
    with reg.scrittura(programma, anno, autore=autore, oggi=oggi) as w:
        if posizione not in {a.posizione for a, _ in _valide(w.atti(VARIAZIONE_BUDGET))}:
            raise ErroreInput(f"l'atto {posizione} del programma {programma}, anno {anno}, non è una variazione "
                              "in vigore (inesistente, di un altro tipo o già annullata).")
        return w.registra(VARIAZIONE_BUDGET, {"annullata": True, "motivo": motivo.strip()}, riferimento=posizione)


def leggi_foglio(config: Config, path: str | Path) -> list[tuple[int, VariazioneBudget]]:
    """The variations of a sheet: one line per row (Programma, Anno, Data approvazione, Verbale, Azione,
    Categoria, Comunale, Cofinanziamento); consecutive rows with the same programme, year, date and
    minute are one variation (the first row's number)."""
    from addin.workbook.tabella_atti import Colonna, leggi_tabella

    cols = [Colonna("programma", "Programma", "int"), Colonna("anno", "Anno", "int"),
            Colonna("data", "Data approvazione", "date"), Colonna("verbale", "Verbale", "text"),
            Colonna("azione", "Azione", "text"), Colonna("categoria", "Categoria", "text"),
            Colonna("comunale", "Comunale", "money", obbligatoria=False),
            Colonna("cofin", "Cofinanziamento", "money", obbligatoria=False)]
    _, rows = leggi_tabella(path, FOGLIO, cols)
    lk = lookup_for(config)
    out: list[tuple[int, VariazioneBudget]] = []
    for i, x in rows:
        cat = lk.categoria(x["categoria"])
        line = RigaVariazione(norm_action(x["azione"]) or x["azione"], cat.codice if cat else x["categoria"],
                              x["comunale"] or Decimal("0.00"), x["cofin"] or Decimal("0.00"))
        head = (x["programma"], x["anno"], x["data"], x["verbale"])
        if out and (out[-1][1].programma, out[-1][1].anno, out[-1][1].data_approvazione, out[-1][1].verbale) == head:
            first, v = out[-1]
            out[-1] = (first, VariazioneBudget(v.programma, v.anno, v.data_approvazione, v.verbale, v.righe + (line,)))
        else:
            out.append((i, VariazioneBudget(*head, (line,))))
    return out


def importa_variazioni(reg: Registro, config: Config, path: str | Path, *, oggi: dt.date | None = None,
                       autore: str | None = None) -> list[Atto]:
    """Record every variation of a sheet; all are checked before the first is recorded."""
    oggi = oggi or dt.date.today()
    items = leggi_foglio(config, path)
    if not items:
        raise ErroreInput("nessuna variazione nel foglio.", file=Path(path).name)
    for i, v in items:
        errs = _errori(config, v, oggi)
        if errs:
            raise ErroreInput("variazione non valida (nessuna registrata): " + " ".join(errs),
                              file=Path(path).name, riga=i)
    return [registra_variazione(reg, config, v, oggi=oggi, autore=autore) for _, v in items]
