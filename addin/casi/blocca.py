"""Use case: lock the closed reporting windows of a programme workbook and seal them.

    blocca_file(path, config, data_riferimento, chiave, password=None, *, registro=None,
                risigilla=None, motivo=None, operatore=None) -> RisultatoBlocco

For every window of the workbook's year closed at the reference date (with, when the `Cofinanziamento`
sheet has the column «Data», the seal of the co-financing rows dated in that window; and for the rest of
the co-financing once the whole year is closed) a seal is made (addin.workbook.seals). With the Comune's register (`registro`)
the seals are recorded there FIRST, as SIGILLO acts, while the programme's chain is locked: a second
`blocca` of the same programme waits, then finds the seals just recorded and adds only what is still
missing (nothing is lost). The register's seals are the reference: the copies in the hidden `_meta`
sheet are a convenience, rewritten from the register when missing or different, and the key
fingerprint is never taken from the file. A scope already sealed is sealed again only with
`risigilla` + `motivo`, recorded as its own act referencing the seal it replaces. Without a register
(`--senza-registro`) the seals found in `_meta` are the only ones (the file-only mode).

Then the sealed rows' input cells are locked (where those rows are now) and `Spese` and
`Cofinanziamento` are protected. Rows changed since an existing seal are reported, never re-sealed.
The file is written atomically (temporary file + rename) after a backup copy of the previous version;
with a register, inside the same transaction (a failed write records nothing). When there is nothing
to do, the file is not touched at all.
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

from addin.casi.atti_registro import controlla_data_decisiva, dati_sigillo, leggi_atti
from addin.config.models import Config
from addin.errors import ErroreChiave, ErroreInput, ErroreOutput, ErroreRegistro
from addin.registro.atti import SIGILLO
from addin.workbook import schema
from addin.workbook.protection import (FormulaDaRipristinare, aggiungi_meta, applica_blocco, apri_cartella,
                                       formule_in_valori, rimuovi_meta, ripristina_formule)
from addin.workbook.reader import CartellaRendiconto, leggi_byte, leggi_cartella, leggi_griglie
from addin.workbook.seals import (AMBITO_COFIN, COLONNE_COFIN, PREFISSO, RisultatoSigilli, Sigillo,
                                  ambiti_da_sigillare, ambito_cofin_finestra, leggi_sigilli, nuovi_sigilli,
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
    atti: list[int] = field(default_factory=list)         # positions of the SIGILLO acts recorded now


@dataclass
class PianoBlocco:
    """What a `blocca` does, decided before anything is written (shared with the add-in)."""

    esistenti: dict[str, Sigillo]           # scope -> seal already made (register, else `_meta`)
    nuovi: list[Sigillo]                    # seals to make now (re-seals included)
    risigillati: list[str]                  # scopes sealed again (`risigilla`)
    avvisi: list[str]
    verifica: RisultatoSigilli | None
    dal_registro: bool

    @property
    def sigilli(self) -> dict[str, Sigillo]:
        """Every seal in force after this run, by scope."""
        return {**self.esistenti, **{s.ambito: s for s in self.nuovi}}

    def copie_da_aggiornare(self, meta) -> list[Sigillo]:
        """The seals in force whose `_meta` copy (in `meta`, the file's key/value pairs) is missing,
        altered, superseded or in the first, uncompressed form: the copies to write again (CLI and add-in
        alike)."""
        in_file = leggi_sigilli(meta, self.sigilli)
        return [s for a, s in self.sigilli.items() if a not in in_file
                or (s.intestazione, s.hmac, s.righe) != (in_file[a].intestazione, in_file[a].hmac, in_file[a].righe)
                or in_file[a].problemi or in_file[a].forma == "righe"]

    def righe(self) -> tuple[set[int], set[int]]:
        """(Spese rows, Cofinanziamento rows) to lock: where the sealed rows are now, and the new seals' rows."""
        return righe_da_bloccare(self.verifica, self.nuovi)


def ambito_da_risigillare(valore: str) -> str:
    """`--risigilla 1` / `finestra1` / `cofinanziamento` / `cofinanziamento1` -> the seal's scope."""
    v = valore.strip().lower().replace(" ", "")
    if v in ("cofinanziamento", "cofin"):
        return AMBITO_COFIN
    for prefix in ("cofinanziamentofinestra", "cofinanziamento", "cofin"):
        if v.startswith(prefix) and v[len(prefix):].isdigit():
            return ambito_cofin_finestra(int(v[len(prefix):]))
    v = v.removeprefix("finestra")
    if v.isdigit():
        return f"finestra{int(v)}"
    raise ErroreInput(f"«{valore}» non indica un sigillo: usare il numero della finestra (per esempio "
                      "--risigilla 1), «cofinanziamento» oppure il cofinanziamento di una finestra "
                      "(per esempio «cofinanziamento1»).")


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
        if check.stato == "non_verificabili":
            raise ErroreChiave(
                "i sigilli del registro del Comune per questo programma sono stati creati con un'altra chiave: "
                "usare la chiave con cui il programma è stato bloccato." if from_register else
                f"file «{Path(cartella.path or '').name}»: i sigilli presenti non corrispondono alla chiave "
                "fornita. O sono stati creati con un'altra chiave, o il foglio «_meta» è stato alterato: "
                "controllare con «rendiconta verifica» e con la chiave registrata dal Comune per questo file; "
                "il file non viene bloccato di nuovo.")
        if check.sigilli_alterati:
            where = "nel registro del Comune" if from_register else "nel file"
            raise ErroreInput(f"i sigilli {', '.join(check.sigilli_alterati)} risultano alterati {where}: il "
                              "file non viene bloccato di nuovo. Eseguire «rendiconta verifica» e ripartire da "
                              "una copia integra.", foglio=None if from_register else schema.META)
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
        scope = ambito_da_risigillare(risigilla)
        if scope not in seals:
            raise ErroreInput(f"il sigillo «{risigilla}» non esiste ancora: eseguire blocca senza --risigilla.")
        if scope not in ambiti_da_sigillare(config, cartella.anno, data_riferimento, cofin_finestre=True):
            raise ErroreInput(f"il sigillo «{risigilla}» non è dovuto alla data di riferimento "
                              f"{data_riferimento:%d/%m/%Y}.")
        again = [scope]
    present = {a: s for a, s in seals.items() if a not in again} if from_register else None
    new = nuovi_sigilli(cartella, config, chiave, data_riferimento, presenti=present)
    return PianoBlocco(seals, new, again, avvisi, check, from_register)


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


def _scrivi(path: Path, config: Config, data_riferimento: dt.date, chiave: bytes, password: str | None,
            cartella: CartellaRendiconto, griglie, piano: PianoBlocco, res: RisultatoBlocco, dati: bytes) -> None:
    """Lock the sealed rows, refresh the `_meta` copies, write the file atomically (with a backup).
    `dati`: the bytes the seals were computed from; the edit starts from them, and the file is replaced
    only if it still holds them (a save from Excel meanwhile is never overwritten)."""
    spese_rows, cofin_rows = piano.righe()
    wb = apri_cartella(path, dati)
    grids = griglie[0]
    notes: list[str] = []
    harmless: list[FormulaDaRipristinare] = []     # written back with their value once saved
    for name, cols in ((schema.SPESE, schema.SPESE_COLS), (schema.COFINANZIAMENTO, schema.COFIN_COLS),
                       (schema.BUDGET, schema.BUDGET_COLS)):
        if name in wb.sheetnames and name in grids:
            notes += formule_in_valori(wb[name], cols, grids[name], harmless)
    changed = applica_blocco(wb, spese_rows, CHIAVI_BLOCCATE_SPESE, cofin_rows, CHIAVI_BLOCCATE_COFIN, password)
    changed |= bool(notes)
    if piano.dal_registro:
        # the `_meta` copies: every seal in force whose copy is missing, altered or superseded
        stale = piano.copie_da_aggiornare(cartella.meta)
        if stale:
            rimuovi_meta(wb, [f"{PREFISSO}{s.ambito}." for s in stale])
            aggiungi_meta(wb, [kv for s in stale for kv in s.voci_meta()])
            changed = True
    elif piano.nuovi:
        aggiungi_meta(wb, [kv for s in piano.nuovi for kv in s.voci_meta()])
        changed = True
    if not changed:
        return
    res.avvisi += notes

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
        if piano.dal_registro:
            seals = piano.sigilli
            expected = _firma(verifica_sigilli(cartella, config, chiave, data_riferimento, sigilli=seals))
            after = verifica_sigilli(leggi_cartella(tmp, config), config, chiave, data_riferimento, sigilli=seals)
            failed = after.stato != "verificati" or _firma(after) != expected
        else:
            after = verifica_sigilli(leggi_cartella(tmp, config), config, chiave, data_riferimento)
            failed = after.stato != "verificati" or _firma(after) != _firma(res.verifica) | {("stato", "verificati")} - (
                {("stato", res.verifica.stato)} if res.verifica else set())
        if failed:
            raise ErroreOutput(f"controllo dopo la scrittura fallito per «{path.name}»: il file non è stato "
                               "modificato. Segnalalo agli sviluppatori.")
        _ancora_uguale(path, dati)
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


def _ancora_uguale(path: Path, dati: bytes) -> None:
    """ErroreOutput when the file no longer holds the bytes read at the start (saved from Excel or
    LibreOffice, or replaced, while Blocca ran): it is left as it is, and the register's transaction
    (blocca_file) records nothing."""
    try:
        uguale = path.read_bytes() == dati
    except OSError as exc:
        raise ErroreOutput(f"impossibile rileggere il file «{path.name}» prima di sostituirlo: "
                           f"{exc.strerror or exc}") from None
    if not uguale:
        raise ErroreOutput(f"il file «{path.name}» è stato modificato mentre veniva bloccato (salvato da Excel o "
                           "LibreOffice?): non è stato toccato e nel registro non è stato registrato nulla. "
                           "Chiudere il file e ripetere il blocco.")


def _esegui(path: Path, config: Config, data_riferimento: dt.date, chiave: bytes, password: str | None,
            cartella: CartellaRendiconto, griglie, res: RisultatoBlocco, esistenti: dict[str, Sigillo] | None,
            risigilla: str | None, motivo: str | None, registra=None, dati: bytes = b"") -> PianoBlocco:
    piano = pianifica_blocco(cartella, config, data_riferimento, chiave, esistenti, risigilla=risigilla,
                             motivo=motivo)
    res.verifica = piano.verifica
    res.avvisi += piano.avvisi
    res.esistenti = [s.etichetta for a, s in piano.esistenti.items() if a not in piano.risigillati]
    res.nuovi = [s.etichetta for s in piano.nuovi]
    res.impronte = {s.etichetta: s.hmac for s in piano.nuovi}
    spese_rows, cofin_rows = piano.righe()
    res.righe_spese, res.righe_cofinanziamento = len(spese_rows), len(cofin_rows)
    if registra is not None:
        registra(piano)
    if piano.esistenti or piano.nuovi:     # else no window closed yet: nothing to lock
        _scrivi(path, config, data_riferimento, chiave, password, cartella, griglie, piano, res, dati)
    return piano


def registra_sigilli(scrittura, stato, piano: PianoBlocco, data_riferimento: dt.date,
                     motivo: str | None = None, data_decisiva: str | None = None) -> list[int]:
    """Record the plan's new seals as SIGILLO acts in the open register transaction `scrittura` (a
    re-seal references the act it replaces, with its reason); `stato`: the chain's acts read in that
    transaction. Returns the new acts' positions. Shared by the CLI and the add-in."""
    out = []
    for s in piano.nuovi:
        replaced = stato.atti_sigillo.get(s.ambito) if s.ambito in piano.risigillati else None
        atto = scrittura.registra(SIGILLO, dati_sigillo(s, motivo if replaced else None, data_decisiva),
                                  data=data_riferimento,
                                  riferimento=replaced.posizione if replaced else None)
        out.append(atto.posizione)
    return out


def blocca_file(path: str | Path, config: Config, data_riferimento: dt.date, chiave: bytes | None,
                password: str | None = None, *, registro=None, risigilla: str | None = None,
                motivo: str | None = None, operatore: str | None = None) -> RisultatoBlocco:
    """Seal and lock a workbook. `registro`: the Comune's register (addin.registro.Registro); None
    runs the file-only mode."""
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
    dati = leggi_byte(path)                # one read: what is sealed, locked and written back
    griglie = leggi_griglie(path, dati=dati)
    cartella = leggi_cartella(path, config, griglie=griglie)
    res = RisultatoBlocco(path, data_riferimento)
    res.avvisi += link_note
    if registro is None:
        res.avvisi += pulisci_temporanei(path)
        _esegui(path, config, data_riferimento, chiave, password, cartella, griglie, res, None, risigilla, motivo,
                dati=dati)
        return res
    with registro.scrittura(cartella.programma, cartella.anno, autore=operatore) as w:
        # another Blocca of the same programme and year (the chain's lock) may have written the file while
        # this one waited: the seals are computed from, and the edit starts from, what the file holds now
        # (and its temporary files are no longer being written)
        res.avvisi += pulisci_temporanei(path)
        if (adesso := leggi_byte(path)) != dati:
            dati, griglie = adesso, leggi_griglie(path, dati=adesso)
            prima, cartella = cartella, leggi_cartella(path, config, griglie=griglie)
            if (cartella.programma, cartella.anno) != (prima.programma, prima.anno):
                raise ErroreInput(f"il file è stato sostituito durante il blocco (ora programma {cartella.programma}, "
                                  f"anno {cartella.anno}): ripetere il blocco.", file=path.name)
        stato = leggi_atti(cartella.programma, cartella.anno, w.atti(SIGILLO))
        controlla_data_decisiva(stato, config)

        def registra(piano: PianoBlocco) -> None:
            res.atti += registra_sigilli(w, stato, piano, data_riferimento, motivo, config.regole.data_decisiva)

        _esegui(path, config, data_riferimento, chiave, password, cartella, griglie, res, stato.sigilli,
                risigilla, motivo, registra, dati)
    return res
