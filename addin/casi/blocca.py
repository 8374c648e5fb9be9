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
import glob
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreChiave, ErroreInput, ErroreOutput
from addin.workbook import schema
from addin.workbook.protection import (FormulaDaRipristinare, aggiungi_meta, applica_blocco, apri_cartella,
                                       formule_in_valori, ripristina_formule)
from addin.workbook.reader import leggi_cartella, leggi_griglie
from addin.workbook.seals import (COLONNE_COFIN, RisultatoSigilli, Sigillo, leggi_sigilli, nuovi_sigilli,
                                  righe_da_bloccare, verifica_sigilli)

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


def _firma(r: RisultatoSigilli | None) -> set[tuple]:
    """What a seal check found, to compare the file before and after writing it."""
    if r is None:
        return set()
    return ({("S", n, m.codice) for n, ms in r.motivi.items() for m in ms}
            | {("C", n, m.codice) for n, ms in r.motivi_cofinanziamento.items() for m in ms}
            | {("X", n) for n in r.righe_cancellate} | {("A", a) for a in r.sigilli_alterati} | {("stato", r.stato)})


def pulisci_temporanei(path: Path) -> list[str]:
    """Remove the temporary files a previous `blocca` left next to `path` when it was killed while writing
    (`.<name>.blocca-XXXXXXXX.xlsx`, and `.<name>.XXXXXXXX.xlsx` of the first versions)."""
    pattern = re.compile(rf"^\.{re.escape(path.stem)}\.(?:{PREFISSO_TEMP})?[a-z0-9_]{{8}}{re.escape(path.suffix)}$")
    notes = []
    for tmp in path.parent.glob(f".{glob.escape(path.stem)}.*{path.suffix}"):
        if not pattern.match(tmp.name) or not tmp.is_file():
            continue
        try:
            tmp.unlink()
            notes.append(f"Rimosso il file temporaneo «{tmp.name}» lasciato da un blocco interrotto.")
        except OSError:
            pass
    return notes


PREFISSO_TEMP = "blocca-"


def blocca_file(path: str | Path, config: Config, data_riferimento: dt.date, chiave: bytes | None,
                password: str | None = None) -> RisultatoBlocco:
    path = Path(path)
    if chiave is None:
        raise ErroreChiave("per bloccare le finestre serve la chiave del Comune: indicare --chiave FILE oppure "
                           "la variabile d'ambiente RENDICONTA_CHIAVE_FILE (il file) o RENDICONTA_CHIAVE (il valore).")
    link_note = []
    if path.is_symlink():
        # work on the file the link points to: replacing the link would leave the real file unlocked
        target = path.resolve()
        link_note.append(f"«{path.name}» è un collegamento: è stato bloccato il file a cui punta, «{target}».")
        path = target
    griglie = leggi_griglie(path)
    cartella = leggi_cartella(path, config, griglie=griglie)
    res = RisultatoBlocco(path, data_riferimento)
    res.avvisi += link_note + pulisci_temporanei(path)
    existing = leggi_sigilli(cartella.meta)
    res.esistenti = [s.etichetta for s in existing.values()]
    if existing:
        check = verifica_sigilli(cartella, config, chiave, data_riferimento)
        res.verifica = check
        if check.stato == "non_verificabili":
            raise ErroreChiave(f"file «{path.name}»: i sigilli presenti non corrispondono alla chiave fornita. O "
                               "sono stati creati con un'altra chiave, o il foglio «_meta» è stato alterato: "
                               "controllare con «rendiconta verifica» e con la chiave registrata dal Comune "
                               "per questo file; il file non viene bloccato di nuovo.")
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
    spese_rows, cofin_rows = righe_da_bloccare(res.verifica, new)
    res.righe_spese, res.righe_cofinanziamento = len(spese_rows), len(cofin_rows)
    if not existing and not new:
        return res   # no window closed yet: nothing to lock

    wb = apri_cartella(path)
    grids = griglie[0]
    notes: list[str] = []
    harmless: list[FormulaDaRipristinare] = []     # written back with their value once saved
    for name, cols in ((schema.SPESE, schema.SPESE_COLS), (schema.COFINANZIAMENTO, schema.COFIN_COLS),
                       (schema.BUDGET, schema.BUDGET_COLS)):
        if name in wb.sheetnames and name in grids:
            notes += formule_in_valori(wb[name], cols, grids[name], harmless)
    changed = applica_blocco(wb, spese_rows, CHIAVI_BLOCCATE_SPESE, cofin_rows, CHIAVI_BLOCCATE_COFIN, password)
    changed |= bool(new) or bool(notes)
    if not changed:
        return res
    res.avvisi += notes
    aggiungi_meta(wb, [kv for s in new for kv in s.voci_meta()])

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.{PREFISSO_TEMP}", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            wb.save(tmp)
            ripristina_formule(tmp, harmless)
            shutil.copymode(path, tmp)
        except OSError as exc:
            raise ErroreOutput(f"impossibile scrivere il file «{path.name}»: {exc.strerror or exc}") from None
        # what we wrote must verify and show exactly what the file showed before (sealing and verification
        # read the same parsed values): no new anomaly, every new seal intact
        after = verifica_sigilli(leggi_cartella(tmp, config), config, chiave, data_riferimento)
        if after.stato != "verificati" or _firma(after) != _firma(res.verifica) | {("stato", "verificati")} - (
                {("stato", res.verifica.stato)} if res.verifica else set()):
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
