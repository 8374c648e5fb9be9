"""Use case: lock the closed reporting windows of a programme workbook and seal them.

    blocca_file(path, config, data_riferimento, chiave, password=None, *, registro=None,
                risigilla=None, motivo=None, operatore=None) -> RisultatoBlocco

For every window of the workbook's year closed at the reference date (and for co-financing once the
whole year is closed) a seal is made (addin.workbook.seals). With the Comune's register (`registro`)
the seals are recorded there FIRST, as SIGILLO acts, while the programme's chain is locked: a second
`blocca` of the same programme waits, then finds the seals just recorded and adds only what is still
missing (nothing is lost). The register's seals are the reference: the copies in the hidden `_meta`
sheet are a convenience, rewritten from the register when missing, and the key fingerprint is never
taken from the file. A scope already sealed is sealed again only with `risigilla` + `motivo`,
recorded as its own act referencing the seal it replaces. Without a register (`--senza-registro`)
the seals found in `_meta` are the only ones (the file-only check).

Then the sealed rows' input cells are locked and `Spese` and `Cofinanziamento` are protected. Rows
changed since an existing seal are reported, never re-sealed. The file is written atomically
(temporary file + rename) after a backup copy of the previous version; with a register, inside the
same transaction (a failed write records nothing). When there is nothing to do, the file is not
touched at all.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.casi.atti_registro import dati_sigillo, leggi_atti
from addin.config.models import Config
from addin.errors import ErroreChiave, ErroreInput, ErroreOutput, ErroreRegistro
from addin.registro.atti import SIGILLO
from addin.workbook import schema
from addin.workbook.protection import aggiungi_meta, applica_blocco, apri_cartella, rimuovi_meta
from addin.workbook.reader import CartellaRendiconto, leggi_cartella
from addin.workbook.seals import (AMBITO_COFIN, COLONNE_COFIN, PREFISSO, RisultatoSigilli, Sigillo,
                                  ambiti_da_sigillare, leggi_sigilli, nuovi_sigilli, verifica_sigilli)

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
    atti: list[int] = field(default_factory=list)         # positions of the SIGILLO acts recorded now


@dataclass
class PianoBlocco:
    """What a `blocca` does, decided before anything is written (shared with the add-in)."""

    esistenti: dict[str, Sigillo]           # scope -> seal already made (register, else `_meta`)
    nuovi: list[Sigillo]                    # seals to make now (re-seals included)
    risigillati: list[str]                  # scopes sealed again (`risigilla`)
    avvisi: list[str]
    verifica: RisultatoSigilli | None

    @property
    def sigilli(self) -> list[Sigillo]:
        """Every seal in force after this run."""
        fresh = {s.ambito for s in self.nuovi}
        return [s for a, s in self.esistenti.items() if a not in fresh] + self.nuovi

    def righe(self, cofinanziamento: bool) -> set[int]:
        return {r.riga for s in self.sigilli if (s.ambito == AMBITO_COFIN) == cofinanziamento for r in s.righe}


def ambito_da_risigillare(valore: str, config: Config, anno: int) -> str:
    """`--risigilla 1` / `finestra1` / `cofinanziamento` -> the seal's scope."""
    v = valore.strip().lower().replace(" ", "")
    if v in ("cofinanziamento", "cofin"):
        return AMBITO_COFIN
    v = v.removeprefix("finestra")
    if v.isdigit():
        return f"finestra{int(v)}"
    raise ErroreInput(f"«{valore}» non indica un sigillo: usare il numero della finestra (per esempio "
                      "--risigilla 1) oppure «cofinanziamento».")


def pianifica_blocco(cartella: CartellaRendiconto, config: Config, data_riferimento: dt.date, chiave: bytes,
                     esistenti: dict[str, Sigillo] | None, *, risigilla: str | None = None,
                     motivo: str | None = None) -> PianoBlocco:
    """Check the seals in force and decide the new ones. `esistenti`: the register's seals (None: the
    file-only mode, the seals of `_meta`)."""
    from_register = esistenti is not None
    seals = dict(esistenti) if from_register else leggi_sigilli(cartella.meta)
    avvisi: list[str] = []
    check = None
    if seals:
        check = verifica_sigilli(cartella, config, chiave, data_riferimento,
                                 sigilli=seals if from_register else None)
        where = "nel registro del Comune" if from_register else "nel file"
        if check.stato == "non_verificabili":
            raise ErroreChiave(f"i sigilli {where} sono stati creati con un'altra chiave: usare la chiave "
                               "con cui il programma è stato bloccato.")
        if check.sigilli_alterati:
            raise ErroreInput(f"i sigilli {', '.join(check.sigilli_alterati)} risultano alterati {where}: il "
                              "file non viene bloccato di nuovo. Eseguire la verifica e ripartire da una copia "
                              "integra.", foglio=None if from_register else schema.META)
        for riga, motivi in sorted(check.motivi.items()):
            avvisi += [f"Foglio «{schema.SPESE}», riga {riga}: {m.messaggio}" for m in motivi]
        for riga, motivi in sorted(check.motivi_cofinanziamento.items()):
            avvisi += [f"Foglio «{schema.COFINANZIAMENTO}», riga {riga}: {m.messaggio}" for m in motivi]
        avvisi += [d for d in check.dettagli if "cancellata" in d or "alterato" in d]
    again: list[str] = []
    if risigilla is not None:
        if not from_register:
            raise ErroreRegistro("un nuovo sigillo (--risigilla) si registra solo nel registro del Comune: "
                                 "togliere --senza-registro.")
        if not (motivo or "").strip():
            raise ErroreInput("per sigillare di nuovo una finestra già sigillata serve la motivazione "
                              "(--motivo \"...\"), che resta agli atti.")
        scope = ambito_da_risigillare(risigilla, config, cartella.anno)
        if scope not in seals:
            raise ErroreInput(f"il sigillo «{risigilla}» non esiste ancora: eseguire blocca senza --risigilla.")
        if scope not in ambiti_da_sigillare(config, cartella.anno, data_riferimento):
            raise ErroreInput(f"il sigillo «{risigilla}» non è dovuto alla data di riferimento "
                              f"{data_riferimento:%d/%m/%Y}.")
        again = [scope]
    present = [a for a in seals if a not in again]
    new = nuovi_sigilli(cartella, config, chiave, data_riferimento, presenti=present)
    return PianoBlocco(seals, new, again, avvisi, check)


def _scrivi(path: Path, config: Config, data_riferimento: dt.date, chiave: bytes, password: str | None,
            cartella: CartellaRendiconto, piano: PianoBlocco, res: RisultatoBlocco, from_register: bool) -> None:
    """Lock the sealed rows, refresh the `_meta` copies, write the file atomically (with a backup)."""
    wb = apri_cartella(path)
    spese_rows, cofin_rows = piano.righe(False), piano.righe(True)
    changed = applica_blocco(wb, spese_rows, CHIAVI_BLOCCATE_SPESE, cofin_rows, CHIAVI_BLOCCATE_COFIN, password)
    in_file = leggi_sigilli(cartella.meta)
    # the `_meta` copies: every seal in force whose copy is missing, altered or superseded
    stale = [s for s in piano.sigilli if s.ambito not in in_file or (s.intestazione, s.hmac, s.righe, [])
             != (in_file[s.ambito].intestazione, in_file[s.ambito].hmac, in_file[s.ambito].righe,
                 in_file[s.ambito].problemi)]
    if stale:
        rimuovi_meta(wb, [f"{PREFISSO}{s.ambito}." for s in stale])
        aggiungi_meta(wb, [kv for s in stale for kv in s.voci_meta()])
        changed = True
    if not changed:
        return

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
        seals = {s.ambito: s for s in piano.sigilli} if from_register else None
        after = verifica_sigilli(leggi_cartella(tmp, config), config, chiave, data_riferimento, sigilli=seals)
        before = res.verifica.motivi if res.verifica else {}
        if after.stato != "verificati" or after.sigilli_alterati or any(
                r in spese_rows and any(m.codice == "RIGA_SIGILLATA_MODIFICATA" for m in ms)
                for r, ms in after.motivi.items() if r not in before):
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


def _backup_path(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    cand = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while cand.exists():
        n += 1
        cand = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
    return cand


def _esegui(path: Path, config: Config, data_riferimento: dt.date, chiave: bytes, password: str | None,
            cartella: CartellaRendiconto, esistenti: dict[str, Sigillo] | None, risigilla: str | None,
            motivo: str | None) -> tuple[RisultatoBlocco, PianoBlocco]:
    piano = pianifica_blocco(cartella, config, data_riferimento, chiave, esistenti, risigilla=risigilla,
                             motivo=motivo)
    res = RisultatoBlocco(path, data_riferimento, verifica=piano.verifica, avvisi=list(piano.avvisi))
    res.esistenti = [s.etichetta for a, s in piano.esistenti.items() if a not in piano.risigillati]
    res.nuovi = [s.etichetta for s in piano.nuovi]
    res.impronte = {s.etichetta: s.hmac for s in piano.nuovi}
    res.righe_spese, res.righe_cofinanziamento = len(piano.righe(False)), len(piano.righe(True))
    return res, piano


def blocca_file(path: str | Path, config: Config, data_riferimento: dt.date, chiave: bytes | None,
                password: str | None = None, *, registro=None, risigilla: str | None = None,
                motivo: str | None = None, operatore: str | None = None) -> RisultatoBlocco:
    """Seal and lock a workbook. `registro`: the Comune's register (addin.registro.Registro); None
    runs the file-only mode."""
    path = Path(path)
    if chiave is None:
        raise ErroreChiave("per bloccare le finestre serve la chiave del Comune: indicare --chiave FILE "
                           "oppure la variabile d'ambiente RENDICONTA_CHIAVE.")
    cartella = leggi_cartella(path, config)
    if registro is None:
        res, piano = _esegui(path, config, data_riferimento, chiave, password, cartella, None, risigilla, motivo)
        if piano.sigilli:
            _scrivi(path, config, data_riferimento, chiave, password, cartella, piano, res, False)
        return res
    with registro.scrittura(cartella.programma, cartella.anno, autore=operatore) as w:
        stato = leggi_atti(cartella.programma, cartella.anno, w.atti(SIGILLO))
        res, piano = _esegui(path, config, data_riferimento, chiave, password, cartella, stato.sigilli,
                             risigilla, motivo)
        for s in piano.nuovi:
            replaced = stato.atti_sigillo.get(s.ambito) if s.ambito in piano.risigillati else None
            atto = w.registra(SIGILLO, dati_sigillo(s, motivo if replaced else None), data=data_riferimento,
                              riferimento=replaced.posizione if replaced else None)
            res.atti.append(atto.posizione)
        if piano.sigilli:
            _scrivi(path, config, data_riferimento, chiave, password, cartella, piano, res, True)
    return res
