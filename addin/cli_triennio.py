"""Commands of `rendiconta` for the money over the three years (issue #16), registered on the main app:

    rendiconta pagamenti registra|importa|elenco|annulla     payments made (acts of the register)
    rendiconta variazioni registra|importa|elenco|annulla    approved budget variations (register)
    rendiconta triennio FILE... --out X.xlsx                 several years together
    rendiconta cabina FILE... --tipo semestrale --anno A --out X.xlsx [--pdf X.pdf]

`rendiconta consolida` hands over to `consolida_piu_anni` when its files are of several years or
`--triennio` is given (the files then come from the register's receptions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from addin.cli_registro import OperatoreOpt, RegistroOpt, apri
from addin.errors import ErroreInput, ErroreRendiconta

ConfigOpt = typer.Option(None, "--config", help="File di configurazione TOML (predefinita: Crema 2026-2028).")
SovrascriviOpt = typer.Option(False, "--sovrascrivi", help="Sostituisce un file di output già esistente.")
pagamenti_app = typer.Typer(help="Pagamenti delle tranche effettuati dal Comune (atti del registro).",
                            no_args_is_help=True)
variazioni_app = typer.Typer(help="Variazioni di budget approvate dalla Cabina di regia (atti del registro).",
                             no_args_is_help=True)


def _cli():
    from addin import cli

    return cli


def _data(value: Optional[str], opt: str) -> dt.date:
    try:
        return _cli().parse_data(value)
    except typer.BadParameter as exc:
        raise typer.BadParameter(str(exc).replace("--data", opt), param_hint=opt) from None


def _importo(value: str) -> Decimal:
    from addin.rules.money import to_decimal

    d = to_decimal(value)
    if d is None:
        raise typer.BadParameter(f"«{value}» non è un importo (es. 433476,79)", param_hint="--importo")
    return d


def _num(v: Decimal) -> str:
    """An amount in the Italian format without the currency sign (the column header says €)."""
    from addin.rules.money import fmt_eur

    return fmt_eur(v).removesuffix(" €")


def _run(fn):
    try:
        return fn()
    except ErroreRendiconta as exc:
        _cli().fail(exc)


def _importa(importa, file: Path, registro: Optional[str], operatore: Optional[str], config: Optional[Path]) -> list:
    """Run an import use case (file of acts -> register) with the CLI's configuration and register."""
    cfg = _cli().load(config)
    reg = apri(registro)
    return _run(lambda: importa(reg, cfg, file, autore=operatore))


# --- pagamenti -------------------------------------------------------------------------------------------

@pagamenti_app.command("registra")
def cmd_pagamento(programma: int = typer.Option(..., "--programma", help="Codice del programma (1-6)."),
                  anno: int = typer.Option(..., "--anno", help="Anno della tranche."),
                  tranche: int = typer.Option(..., "--tranche", help="Numero della tranche (1, 2, 3 = saldo)."),
                  data: str = typer.Option(..., "--data", help="Data del pagamento GG/MM/AAAA."),
                  importo: str = typer.Option(..., "--importo", help="Importo pagato (es. 433476,79)."),
                  mandato: Optional[str] = typer.Option(None, "--mandato", help="Numero del mandato di pagamento."),
                  registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                  config: Optional[Path] = ConfigOpt) -> None:
    """Registra un pagamento effettuato (una tranche di un programma e di un anno)."""
    from addin.casi.pagamenti import registra_pagamento
    from addin.rules.payments import Pagamento

    cli = _cli()
    cfg = cli.load(config)
    p = Pagamento(programma, anno, tranche, _data(data, "--data"), _importo(importo), mandato)
    reg = apri(registro)
    atto, avvisi = _run(lambda: registra_pagamento(reg, cfg, p, autore=operatore))
    cli.console.print(f"Registrato: {cli.lit(atto.etichetta)}, tranche {tranche}, {cli.eur(p.importo)} "
                      f"il {p.data:%d/%m/%Y}.", highlight=False)
    for a in avvisi:
        cli.console.print(f"[bold yellow]Attenzione[/]: {cli.lit(a)}", highlight=False)


@pagamenti_app.command("importa")
def cmd_importa_pagamenti(file: Path = typer.Argument(..., help="Foglio dei pagamenti (.xlsx): Programma, Anno, "
                                                                "Tranche, Data, Importo, Mandato."),
                          registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                          config: Optional[Path] = ConfigOpt) -> None:
    """Registra i pagamenti elencati in un foglio (tutte le righe sono controllate prima di registrare)."""
    from addin.casi.pagamenti import importa_pagamenti

    done = _importa(importa_pagamenti, file, registro, operatore, config)
    cli = _cli()
    cli.console.print(f"Registrati {len(done)} pagamenti da {cli.lit(file.name)}.")
    for _, avvisi in done:
        for a in avvisi:
            cli.console.print(f"[bold yellow]Attenzione[/]: {cli.lit(a)}", highlight=False)


@pagamenti_app.command("elenco")
def cmd_elenco_pagamenti(anno: int = typer.Option(..., "--anno", help="Anno."),
                         programma: Optional[int] = typer.Option(None, "--programma", help="Solo questo programma."),
                         data: Optional[str] = typer.Option(None, "--data", help="Data di riferimento (predefinita: oggi)."),
                         registro: Optional[str] = RegistroOpt,
                         config: Optional[Path] = ConfigOpt) -> None:
    """Tranche previste, pagate e da pagare (ritardi segnati), dal registro."""
    from addin.casi.pagamenti import pagamenti_registrati
    from addin.casi.variazioni import variazioni_registrate
    from addin.rules.payments import situazione_pagamenti
    from addin.rules.variations import budget_programma_approvato

    cli = _cli()
    cfg = cli.load(config)
    rif = _data(data, "--data")
    reg = apri(registro)
    pays = pagamenti_registrati(reg, cfg, [anno])
    vars_ = variazioni_registrate(reg, cfg, [anno])
    t = Table(title=f"Tranche {anno} al {rif:%d/%m/%Y}", header_style="bold")
    for col in ("Prog.", "Tr.", "Scadenza", "Previsto €", "Pagato €", "Da pagare €", "Stato"):
        t.add_column(col, justify="right" if col.endswith("€") else "left")
    for p in cfg.programmi:
        if programma is not None and p.codice != programma:
            continue
        b = budget_programma_approvato(cfg, p.codice, anno, vars_, rif)
        for x in situazione_pagamenti(cfg, p.codice, anno, b.comunale, pays, rif).tranche:
            t.add_row(f"P{p.codice}", str(x.numero), f"{x.scadenza:%d/%m/%Y}", _num(x.previsto), _num(x.pagato),
                      _num(x.da_pagare), x.stato, style="red" if x.in_ritardo else None)
    cli.console.print(t)
    cli.console.print("Il saldo previsto è il 10% finché il contributo non è definitivo (vedere "
                      "`rendiconta triennio`).")


@pagamenti_app.command("annulla")
def cmd_annulla_pagamento(programma: int = typer.Option(..., "--programma"), anno: int = typer.Option(..., "--anno"),
                          atto: int = typer.Option(..., "--atto", help="Numero dell'atto da annullare (registro storia)."),
                          motivo: str = typer.Option(..., "--motivo", help="Perché il pagamento è annullato."),
                          registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt) -> None:
    """Annulla un pagamento registrato per errore (con un nuovo atto: il primo resta nel registro)."""
    from addin.casi.pagamenti import annulla_pagamento

    cli = _cli()
    reg = apri(registro)
    a = _run(lambda: annulla_pagamento(reg, programma, anno, atto, motivo, autore=operatore))
    cli.console.print(f"Registrato: {cli.lit(a.etichetta)}, annulla l'atto {atto}.", highlight=False)


# --- variazioni ------------------------------------------------------------------------------------------

@variazioni_app.command("registra")
def cmd_variazione(programma: int = typer.Option(..., "--programma", help="Codice del programma (1-6)."),
                   anno: int = typer.Option(..., "--anno", help="Anno del budget."),
                   data: str = typer.Option(..., "--data", help="Data di approvazione GG/MM/AAAA."),
                   verbale: str = typer.Option(..., "--verbale", help="Riferimento del verbale della Cabina di regia."),
                   riga: list[str] = typer.Option(..., "--riga", help="azione;categoria;comunale[;cofinanziamento], "
                                                  "ripetibile (es. --riga '1.1;SERVIZI;-10000')."),
                   descrizione: str = typer.Option("", "--descrizione"),
                   registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                   config: Optional[Path] = ConfigOpt) -> None:
    """Registra una variazione di budget approvata dalla Cabina di regia."""
    from addin.casi.variazioni import registra_variazione, riga as parse_riga
    from addin.rules.variations import VariazioneBudget

    cli = _cli()
    cfg = cli.load(config)
    v = _run(lambda: VariazioneBudget(programma, anno, _data(data, "--data"), verbale,
                                      tuple(parse_riga(cfg, r) for r in riga), descrizione))
    reg = apri(registro)
    a = _run(lambda: registra_variazione(reg, cfg, v, autore=operatore))
    cli.console.print(f"Registrata: {cli.lit(a.etichetta)}, {len(v.righe)} righe; variazione netta: comunale "
                      f"{cli.eur(v.comunale)}, cofinanziamento {cli.eur(v.cofinanziamento)}.", highlight=False)


@variazioni_app.command("importa")
def cmd_importa_variazioni(file: Path = typer.Argument(..., help="Foglio delle variazioni (.xlsx)."),
                           registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                           config: Optional[Path] = ConfigOpt) -> None:
    """Registra le variazioni elencate in un foglio (tutte controllate prima di registrare)."""
    from addin.casi.variazioni import importa_variazioni

    done = _importa(importa_variazioni, file, registro, operatore, config)
    _cli().console.print(f"Registrate {len(done)} variazioni da {_cli().lit(file.name)}.")


@variazioni_app.command("elenco")
def cmd_elenco_variazioni(anno: int = typer.Option(..., "--anno"),
                          programma: Optional[int] = typer.Option(None, "--programma"),
                          registro: Optional[str] = RegistroOpt,
                          config: Optional[Path] = ConfigOpt) -> None:
    """Le variazioni approvate in vigore, riga per riga."""
    from addin.casi.variazioni import variazioni_registrate

    cli = _cli()
    cfg = cli.load(config)
    t = Table(title=f"Variazioni di budget approvate {anno}", header_style="bold")
    for col in ("Prog.", "Approvata", "Verbale", "Azione", "Categoria", "Comunale €", "Cofin. €"):
        t.add_column(col, justify="right" if col.endswith("€") else "left")
    for v in variazioni_registrate(apri(registro), cfg, [anno]):
        if programma is None or v.programma == programma:
            for r in v.righe:
                t.add_row(f"P{v.programma}", f"{v.data_approvazione:%d/%m/%Y}", cli.lit(v.verbale), r.azione,
                          r.categoria, _num(r.comunale), _num(r.cofinanziamento))
    cli.console.print(t)


@variazioni_app.command("annulla")
def cmd_annulla_variazione(programma: int = typer.Option(..., "--programma"), anno: int = typer.Option(..., "--anno"),
                           atto: int = typer.Option(..., "--atto", help="Numero dell'atto da annullare."),
                           motivo: str = typer.Option(..., "--motivo"),
                           registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt) -> None:
    """Annulla una variazione registrata per errore (con un nuovo atto)."""
    from addin.casi.variazioni import annulla_variazione

    cli = _cli()
    a = _run(lambda: annulla_variazione(apri(registro), programma, anno, atto, motivo, autore=operatore))
    cli.console.print(f"Registrato: {cli.lit(a.etichetta)}, annulla l'atto {atto}.", highlight=False)


# --- several years -----------------------------------------------------------------------------------------

def file_ricevuti(reg, config, letti: dict[str, bytes] | None = None) -> list[Path | ErroreInput]:
    """The workbooks of the register's receptions (the latest reception of each file of each programme
    and year); a file missing or changed since its reception becomes an error, never silently used.
    `letti` receives the bytes that were hashed (by path), so that exactly those are consolidated."""
    from addin.registro.atti import RICEZIONE
    from addin.workbook.reader import leggi_byte

    out: list[Path | ErroreInput] = []
    for p in config.programmi:
        for y in config.periodo.anni:
            latest: dict[str, dict] = {}
            for a in reg.atti(p.codice, y, RICEZIONE):
                if a.dati.get("file"):
                    latest[a.dati["file"]] = a.dati
            for name, d in latest.items():
                path = Path(d.get("percorso") or name)
                if not path.is_file():
                    out.append(ErroreInput(f"file ricevuto non trovato (programma {p.codice}, anno {y}).", file=name))
                    continue
                try:
                    dati = leggi_byte(path)
                except ErroreInput as exc:
                    out.append(exc)
                    continue
                if d.get("sha256") and hashlib.sha256(dati).hexdigest() != d["sha256"]:
                    out.append(ErroreInput("il file è cambiato dopo la ricezione registrata: non consolidato.",
                                           file=name))
                else:
                    out.append(path)
                    if letti is not None:
                        letti[str(path)] = dati
    return out


def consolida_piu_anni(files: list[Path], out: Path, rif: dt.date, *, registro: Optional[str], triennio: bool,
                       config: Optional[Path], json_out: bool = False, chiave: Optional[Path] = None,
                       sovrascrivi: bool = False) -> None:
    """`rendiconta consolida` over several years (or the register's receptions with --triennio)."""
    import json

    from addin.casi.pagamenti import pagamenti_registrati
    from addin.casi.triennio import consolida_triennio_file, risultato_json
    from addin.casi.variazioni import variazioni_registrate
    from addin.output import controlla_destinazione

    cli = _cli()
    cfg = cli.load(config)
    reg = apri(registro)
    paths: list[Path] = list(files)
    errors: list[ErroreInput] = []
    letti: dict[str, bytes] = {}
    if triennio:
        for x in file_ricevuti(reg, cfg, letti):
            (errors if isinstance(x, ErroreInput) else paths).append(x)
    if not paths:
        cli.fail(ErroreInput("nessun file da consolidare: nessuna ricezione nel registro e nessun file indicato."))
    _run(lambda: controlla_destinazione(out, [".xlsx"], sovrascrivi=sovrascrivi, cosa="il consolidato del triennio",
                                        input=[*paths, *([chiave] if chiave else [])]))
    key = cli.carica_chiave_cli(chiave)
    r = _run(lambda: consolida_triennio_file(paths, cfg, rif, out, pagamenti=pagamenti_registrati(reg, cfg),
                                             variazioni=variazioni_registrate(reg, cfg), chiave=key, errori=errors,
                                             dati=letti))
    if json_out:
        typer.echo(json.dumps(risultato_json(r), ensure_ascii=False, indent=1))
        return
    stampa_triennio(r)


def stampa_triennio(r) -> None:
    cli = _cli()
    t = Table(title=f"Triennio al {r.data_riferimento:%d/%m/%Y}", header_style="bold")
    for col in ("Prog.", "Anno", "Ammesso €", "Contributo €", "Pagato €", "Da recuperare €"):
        t.add_column(col, justify="right" if col.endswith("€") else "left")
    for pt in r.programmi + [r.ats]:
        for d in pt.anni + [pt.cumulato]:
            t.add_row(pt.codice, str(d.anno) if d.anno else "Totale", _num(d.ammesso), _num(d.contributo),
                      _num(d.pagato), _num(d.da_recuperare),
                      style="bold" if d.anno is None or pt.programma is None else None)
    cli.console.print(t)
    for e in r.errori:
        cli.console.print(f"[bold red]File non leggibile[/]: {cli.lit(e.messaggio)}", highlight=False)
    n = len(r.doppi_documenti) + len(r.doppie_persone)
    if n:
        cli.console.print(f"[bold red]Doppio finanziamento tra anni[/]: {n} casi, vedere il foglio "
                          "«Doppi finanziamenti».")
    late = sum(1 for s in r.pagamenti.values() for x in s.tranche if x.in_ritardo)
    if late:
        cli.console.print(f"Tranche in ritardo: {late}, vedere il foglio «Tranche».")
    cli.console.print(f"Triennio scritto in [bold]{cli.lit(r.path)}[/]")


def aggiungi_comandi(app: typer.Typer) -> None:
    """Register these commands on the main `rendiconta` app."""
    app.add_typer(pagamenti_app, name="pagamenti")
    app.add_typer(variazioni_app, name="variazioni")

    @app.command("triennio")
    def cmd_triennio(files: list[Path] = typer.Argument(None, help="Cartelle di lavoro dei programmi, di più anni.",
                                                 metavar="FILE..."),
                     out: Path = typer.Option(..., "--out", help="Cartella di lavoro del triennio da scrivere (.xlsx)."),
                     data: Optional[str] = typer.Option(None, "--data", help="Data di riferimento (predefinita: oggi).",
                                                       metavar="GG/MM/AAAA"),
                     ricevuti: bool = typer.Option(False, "--ricevuti", help="Aggiunge i file delle ricezioni "
                                                   "registrate."),
                     json_out: bool = typer.Option(False, "--json", help="Stampa il risultato in JSON."),
                     sovrascrivi: bool = SovrascriviOpt,
                     registro: Optional[str] = RegistroOpt,
                     config: Optional[Path] = ConfigOpt) -> None:
        """Più anni insieme: budget, ammesso, cofinanziamento, contributo, pagato, da recuperare; tranche e ritardi; variazioni; doppi finanziamenti tra anni."""
        consolida_piu_anni(list(files or []), out, _data(data, "--data"), registro=registro, triennio=ricevuti,
                           config=config, json_out=json_out, sovrascrivi=sovrascrivi)

    @app.command("cabina")
    def cmd_cabina(files: list[Path] = typer.Argument(None, help="Cartelle di lavoro dei programmi (anche di "
                                                                 "altri anni, per i doppi finanziamenti).",
                                               metavar="FILE..."),
                   tipo: str = typer.Option("semestrale", "--tipo", help="semestrale (gennaio-giugno) o annuale."),
                   anno: int = typer.Option(..., "--anno", help="Anno della relazione."),
                   out: Path = typer.Option(..., "--out", help="Cartella di lavoro della relazione (.xlsx)."),
                   pdf: Optional[Path] = typer.Option(None, "--pdf", help="Scrive anche il PDF/A."),
                   data: Optional[str] = typer.Option(None, "--data", help="Data di riferimento (predefinita: oggi).",
                                                       metavar="GG/MM/AAAA"),
                   ricevuti: bool = typer.Option(False, "--ricevuti", help="Usa i file delle ricezioni registrate."),
                   sovrascrivi: bool = SovrascriviOpt,
                   registro: Optional[str] = RegistroOpt,
                   config: Optional[Path] = ConfigOpt) -> None:
        """Relazione per la Cabina di regia (semestrale entro il 31/07, annuale entro il 31/01), con grafici."""
        from addin.casi.cabina import atti_per_relazione, report_cabina
        from addin.casi.pagamenti import pagamenti_registrati
        from addin.casi.triennio import consolida_triennio_file
        from addin.casi.variazioni import variazioni_registrate
        from addin.output import controlla_destinazione
        from addin.workbook.cabina import scrivi_cabina

        cli = _cli()
        if tipo not in ("semestrale", "annuale"):
            raise typer.BadParameter("scrivere semestrale o annuale", param_hint="--tipo")
        cfg = cli.load(config)
        rif = _data(data, "--data")
        reg = apri(registro)
        paths: list[Path] = list(files or [])
        errors: list[ErroreInput] = []
        letti: dict[str, bytes] = {}
        if ricevuti:
            for x in file_ricevuti(reg, cfg, letti):
                (errors if isinstance(x, ErroreInput) else paths).append(x)
        _run(lambda: controlla_destinazione(out, [".xlsx"], sovrascrivi=sovrascrivi, cosa="la relazione", input=paths))
        if pdf is not None:
            _run(lambda: controlla_destinazione(pdf, [".pdf"], sovrascrivi=sovrascrivi, cosa="il PDF della relazione",
                                                input=paths))
        r = _run(lambda: consolida_triennio_file(paths, cfg, rif, None, pagamenti=pagamenti_registrati(reg, cfg),
                                                 variazioni=variazioni_registrate(reg, cfg), errori=errors,
                                                 dati=letti))
        if anno not in r.anni:
            cli.fail(ErroreInput(f"nessun rendiconto del {anno} tra i file indicati."))
        rep = report_cabina(cfg, r, tipo, anno, atti_per_relazione(reg, cfg, anno))
        written = _run(lambda: scrivi_cabina(rep, out, cfg.ente, pdf=pdf))
        for o in rep.osservazioni:
            cli.console.print(f"- {cli.lit(o)}", highlight=False)
        cli.console.print("Scritto: " + ", ".join(f"[bold]{cli.lit(p)}[/]" for p in written))
