"""Use case: the Comune records the receipt of a programme workbook (`rendiconta ricevi FILE`):
programme, year, file name and full path, SHA-256, size, date received, protocol number and date when given, who
delivered it. The SHA-256 later proves which file a check or a seal was made on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from addin.casi.verifica import impronta
from addin.config.models import Config
from addin.registro import Atto
from addin.registro.atti import RICEZIONE


def ricevi(registro, path: str | Path, config: Config, *, data_ricezione: dt.date | None = None,
           protocollo: str | None = None, data_protocollo: dt.date | None = None,
           consegnato_da: str | None = None, operatore: str | None = None) -> Atto:
    from addin.workbook.reader import leggi_byte, leggi_cartella

    p = Path(path)
    content = leggi_byte(p)                 # read once: the hash and size are of the bytes checked
    c = leggi_cartella(p, config, dati=content)   # a reporting workbook, or an Italian error
    when = data_ricezione or dt.date.today()
    # `percorso`: where the received file is kept, so that `consolida --triennio` and `cabina --ricevuti`
    # find it from any folder (and check it against the hash)
    dati = {"file": p.name, "percorso": str(p.resolve()), "sha256": impronta(content), "dimensione": len(content),
            "data_ricezione": when,
            "protocollo": protocollo or None, "data_protocollo": data_protocollo, "consegnato_da": consegnato_da}
    return registro.registra(c.programma, c.anno, RICEZIONE, {k: v for k, v in dati.items() if v is not None},
                             data=when, autore=operatore)
