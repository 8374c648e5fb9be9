"""The bridge between xlwings (remote interpreter of xlwings Server, or desktop Excel) and addin.

The only module that converts xlwings Book/Sheet values to the inputs of the use cases
(cell grids for `addin.workbook.reader.parse_cartella`) and writes their results back
(values, colours, sheets, the sheet-protection callback). macros_py/ only calls in here.
xlwings objects are duck-typed: this module never imports xlwings itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal

from addin.config import default_config
from addin.config.models import Config
from addin.errors import ErroreRendiconta
from addin.rules.money import money, to_decimal
from addin.workbook import schema

# --- cell values ---------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)


def to_date(value: object) -> dt.date | None:
    """An Excel date as xlwings may deliver it: date, datetime, serial number, ISO string."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        s = value.strip()
        try:
            return dt.date.fromisoformat(s[:10])
        except ValueError:
            pass
        try:
            return dt.datetime.strptime(s, "%d/%m/%Y").date()
        except ValueError:
            pass
    raise ValueError(f"«{value}» non è una data")


def to_int(value: object, what: str) -> int:
    d = to_decimal(value)
    if d is None or d != d.to_integral_value():
        raise ValueError(f"{what}: «{value}» non è un numero intero")
    return int(d)


def to_money(value: object, what: str) -> Decimal:
    d = to_decimal(value)
    if d is None:
        raise ValueError(f"{what}: «{value}» non è un importo")
    return d


def today() -> dt.date:
    return dt.date.today()


def _cfg(config: Config | None) -> Config:
    return config if config is not None else default_config()


def in_cella(fn):
    """A custom function shows an Italian error text in its cell instead of #VALUE!."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, ErroreRendiconta) as exc:
            return f"Errore: {exc}"
    return wrapper


# --- custom functions (RC.*) -------------------------------------------------------------------

@in_cella
def finestra(data: object, config: Config | None = None) -> str:
    from addin.rules.windows import finestra_di

    d = to_date(data)
    if d is None:
        return ""
    return finestra_di(_cfg(config), d).etichetta


@in_cella
def finestra_chiusa(data: object, riferimento: object = None, config: Config | None = None) -> bool | str:
    from addin.rules.windows import finestra_chiusa as chiusa

    d = to_date(data)
    if d is None:
        return ""
    return chiusa(_cfg(config), d, to_date(riferimento) or today())


@in_cella
def scadenza_blocco(data: object, config: Config | None = None) -> dt.date | str:
    from addin.rules.windows import scadenza_blocco as blocco

    d = to_date(data)
    return "" if d is None else blocco(_cfg(config), d)


@in_cella
def tranche(contributo: object, n: object, config: Config | None = None) -> float:
    from addin.rules.tranches import importo_tranche

    cfg = _cfg(config)
    numero = to_int(n, "Tranche")
    try:
        return float(importo_tranche(cfg, money(to_money(contributo, "Contributo")), numero))
    except KeyError:
        raise ValueError(f"la tranche {numero} non esiste (tranche: "
                         f"{', '.join(str(t.numero) for t in cfg.tranche)})") from None


@in_cella
def scadenza_tranche(anno: object, n: object, config: Config | None = None) -> dt.date:
    from addin.rules.tranches import scadenza_tranche as scadenza

    cfg = _cfg(config)
    numero = to_int(n, "Tranche")
    try:
        return scadenza(cfg, to_int(anno, "Anno"), numero)
    except KeyError:
        raise ValueError(f"la tranche {numero} non esiste") from None


@in_cella
def cofin_minimo(costo_totale: object, config: Config | None = None) -> float:
    from addin.rules.cofinancing import cofinanziamento_minimo

    return float(cofinanziamento_minimo(_cfg(config), money(to_money(costo_totale, "Costo totale"))))


@in_cella
def cofin_quota(cofin: object, costo_totale: object) -> float:
    from addin.rules.money import ratio

    return float(ratio(to_money(cofin, "Cofinanziamento"), to_money(costo_totale, "Costo totale")))


@in_cella
def tariffa_volontari(anno: object = None, config: Config | None = None) -> float:
    from addin.rules.cofinancing import tariffa_tabellare

    a = today().year if anno in (None, "") else to_int(anno, "Anno")
    return float(tariffa_tabellare(_cfg(config), a).valore)
