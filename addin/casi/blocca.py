"""Use case: lock the closed reporting windows of a programme workbook and seal them.

    blocca_file(path, config, data_riferimento, chiave, password=None) -> RisultatoBlocco

For every window of the workbook's year closed at the reference date (and for co-financing once the
whole year is closed) a seal is written to the hidden `_meta` sheet (addin.workbook.seals), the sealed
rows' input cells are locked and the `Spese` and `Cofinanziamento` sheets are protected. Existing seals
are never rewritten; rows changed since an existing seal are reported, never re-sealed. The file is
written atomically (temporary file + rename) after a backup copy of the previous version; when there
is nothing to do, the file is not touched at all.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreChiave, ErroreInput, ErroreOutput
from addin.workbook import schema
from addin.workbook.protection import aggiungi_meta, applica_blocco, apri_cartella
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import (AMBITO_COFIN, COLONNE_COFIN, RisultatoSigilli, Sigillo,
                                  leggi_sigilli, nuovi_sigilli, verifica_sigilli)

# cells locked on sealed rows: every input column (the Comune's columns too: it unprotects the sheet to
# write its decision); the output columns written by Valida/Verifica stay editable
CHIAVI_BLOCCATE_SPESE = tuple(c.key for c in schema.input_cols(schema.SPESE_COLS))
CHIAVI_BLOCCATE_COFIN = tuple(c.key for c in COLONNE_COFIN)


@dataclass
class RisultatoBlocco:
    path: Path
    data_riferimento: dt.date
    nuovi: list[str] = field(default_factory=list)        # labels of the seals written now
    esistenti: list[str] = field(default_factory=list)    # labels of the seals already present
    righe_spese: int = 0                                  # Spese rows locked (all seals)
    righe_cofinanziamento: int = 0
    modificato: bool = False
    backup: Path | None = None
    avvisi: list[str] = field(default_factory=list)       # problems found in existing seals (Italian)
    impronte: dict[str, str] = field(default_factory=dict)  # new seal label -> its HMAC (for the records)
    verifica: RisultatoSigilli | None = None


def _backup_path(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    cand = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while cand.exists():
        n += 1
        cand = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
    return cand


def blocca_file(path: str | Path, config: Config, data_riferimento: dt.date, chiave: bytes | None,
                password: str | None = None) -> RisultatoBlocco:
    path = Path(path)
    if chiave is None:
        raise ErroreChiave("per bloccare le finestre serve la chiave del Comune: indicare --chiave FILE "
                           "oppure la variabile d'ambiente RENDICONTA_CHIAVE.")
    cartella = leggi_cartella(path, config)
    res = RisultatoBlocco(path, data_riferimento)
    existing = leggi_sigilli(cartella.meta)
    res.esistenti = [s.etichetta for s in existing.values()]
    if existing:
        check = verifica_sigilli(cartella, config, chiave, data_riferimento)
        res.verifica = check
        if check.stato == "non_verificabili":
            raise ErroreChiave(f"file «{path.name}»: i sigilli presenti sono stati creati con un'altra chiave; "
                               "usare la chiave con cui il file è stato bloccato.")
        if check.sigilli_alterati:
            raise ErroreInput(f"i sigilli {', '.join(check.sigilli_alterati)} risultano alterati: il file non "
                              "viene bloccato di nuovo. Eseguire «rendiconta verifica» e ripartire da una "
                              "copia integra.", file=path.name, foglio=schema.META)
        for riga, motivi in sorted(check.motivi.items()):
            for m in motivi:
                res.avvisi.append(f"Foglio «{schema.SPESE}», riga {riga}: {m.messaggio}")
        for riga, motivi in sorted(check.motivi_cofinanziamento.items()):
            for m in motivi:
                res.avvisi.append(f"Foglio «{schema.COFINANZIAMENTO}», riga {riga}: {m.messaggio}")
        res.avvisi += [d for d in check.dettagli if "cancellata" in d or "alterato" in d]

    new: list[Sigillo] = nuovi_sigilli(cartella, config, chiave, data_riferimento)
    res.nuovi = [s.etichetta for s in new]
    res.impronte = {s.etichetta: s.hmac for s in new}
    seals = list(existing.values()) + new
    spese_rows = {r.riga for s in seals if s.ambito != AMBITO_COFIN for r in s.righe}
    cofin_rows = {r.riga for s in seals if s.ambito == AMBITO_COFIN for r in s.righe}
    res.righe_spese, res.righe_cofinanziamento = len(spese_rows), len(cofin_rows)
    if not seals:
        return res   # no window closed yet: nothing to lock

    wb = apri_cartella(path)
    changed = applica_blocco(wb, spese_rows, CHIAVI_BLOCCATE_SPESE, cofin_rows, CHIAVI_BLOCCATE_COFIN, password)
    changed |= bool(new)
    if not changed:
        return res
    aggiungi_meta(wb, [kv for s in new for kv in s.voci_meta()])

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            wb.save(tmp)
            shutil.copymode(path, tmp)
        except OSError as exc:
            raise ErroreOutput(f"impossibile scrivere il file «{path.name}»: {exc.strerror or exc}") from None
        # what we wrote must verify: sealing and verification read the same parsed values
        after = verifica_sigilli(leggi_cartella(tmp, config), config, chiave, data_riferimento)
        if after.stato != "verificati" or after.sigilli_alterati or any(
                r in spese_rows and any(m.codice == "RIGA_SIGILLATA_MODIFICATA" for m in ms)
                for r, ms in after.motivi.items() if r not in (res.verifica.motivi if res.verifica else {})):
            raise ErroreOutput(f"controllo dopo la scrittura fallito per «{path.name}»: il file non è stato "
                               "modificato. Segnalalo agli sviluppatori.")
        backup = _backup_path(path)
        try:
            shutil.copy2(path, backup)
            os.replace(tmp, path)
        except OSError as exc:
            raise ErroreOutput(f"impossibile sostituire il file «{path.name}» (è aperto in Excel?): "
                               f"{exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    res.modificato, res.backup = True, backup
    return res
