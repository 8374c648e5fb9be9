"""The `rendiconta` command. Output and messages are Italian; see the README for exit codes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from addin.errors import EXIT_CONFIG, EXIT_INTERNAL, ErroreRendiconta

from addin.cli_it import localizza
from addin.cli_registro import OperatoreOpt, RegistroOpt, SenzaRegistroOpt, registro_per

localizza()

app = typer.Typer(
    help="rendiconta: rendicontazione della co-progettazione Comune di Crema - ATS Impronte Sociali 2.0.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    options_metavar="[OPZIONI]", subcommand_metavar="COMANDO [ARGOMENTI]...",
)
console = Console()
err_console = Console(stderr=True)

ConfigOpt = typer.Option(None, "--config", help="File di configurazione TOML (predefinita: Crema 2026-2028).",
                         metavar="FILE")
AnnoOpt = typer.Option(2026, "--anno", help="Anno di rendicontazione.", metavar="AAAA")
DataOpt = typer.Option(None, "--data", help="Data di riferimento GG/MM/AAAA (predefinita: oggi).", metavar="GG/MM/AAAA")
ChiaveOpt = typer.Option(None, "--chiave", help="File della chiave dei sigilli (o RENDICONTA_CHIAVE_FILE / "
                         "RENDICONTA_CHIAVE).", metavar="FILE")
SemeOpt = typer.Option(None, "--seme", help="Seme del campione del personale (senza: derivato dalla chiave del "
                       "Comune; senza chiave il campione è provvisorio).", metavar="NUMERO")
SovrascriviOpt = typer.Option(False, "--sovrascrivi", help="Sostituisce un file di output già esistente.")


def pdf_opts(cosa: str, nome: str, dove: str):
    """The --pdf flag and the --out-pdf option of a command that can also write `cosa` as PDF/A."""
    return (typer.Option(False, "--pdf", help=f"Scrive anche {cosa} in PDF/A ({nome} {dove}, o --out-pdf)."),
            typer.Option(None, "--out-pdf", help="File PDF/A da scrivere (.pdf); implica --pdf.", metavar="FILE"))


VerbalePdf, VerbaleOut = pdf_opts("il verbale", "<nome>_verbale.pdf", "accanto al file")
CruscottoPdf, CruscottoOut = pdf_opts("il cruscotto", "<nome>_cruscotto.pdf", "accanto al consolidato")


def versione() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rendiconta")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
        return "sconosciuta"


def _mostra_versione(value: bool) -> None:
    if value:
        typer.echo(f"rendiconta {versione()}")
        raise typer.Exit(0)


@app.callback()
def _principale(version: bool = typer.Option(False, "--version", "-V", help="Mostra la versione ed esce.",
                                             callback=_mostra_versione, is_eager=True)) -> None:
    """rendiconta: rendicontazione della co-progettazione Comune di Crema - ATS Impronte Sociali 2.0."""


def check_anno(config, anno: int) -> None:
    """A year outside the co-design period is a command-line error (exit 2) for every command."""
    if anno not in config.periodo.anni:
        raise typer.BadParameter(f"l'anno {anno} è fuori dal periodo della co-progettazione "
                                 f"({config.periodo.anni[0]}-{config.periodo.anni[-1]})", param_hint="--anno")


def check_programma(config, programma: int) -> None:
    codes = [p.codice for p in config.programmi]
    if programma not in codes:
        raise typer.BadParameter(f"il programma {programma} non è configurato (programmi: "
                                 f"{', '.join(map(str, codes))})", param_hint="--programma")


def load(config_path: Optional[Path]):
    from addin.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        err_console.print(f"[bold red]Errore di configurazione[/]: {lit(exc)}", highlight=False)
        raise typer.Exit(EXIT_CONFIG) from None


def parse_data(value: Optional[str]) -> dt.date:
    """GG/MM/AAAA (or AAAA-MM-GG); today when omitted."""
    if not value:
        return dt.date.today()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            pass
    raise typer.BadParameter(f"«{value}» non è una data nel formato GG/MM/AAAA", param_hint="--data")


def lit(value: object) -> str:
    """Text from files, cells or exceptions, shown literally (never read as rich markup)."""
    return escape(str(value))


def fail(exc: ErroreRendiconta) -> None:
    err_console.print(f"[bold red]Errore[/]: {lit(exc)}", highlight=False)
    raise typer.Exit(exc.exit_code)


def carica_chiave_cli(path: Path | None) -> bytes | None:
    """The sealing key (--chiave FILE, RENDICONTA_CHIAVE_FILE or RENDICONTA_CHIAVE); its notes are printed."""
    from addin.workbook.seals import leggi_chiave

    k = leggi_chiave(path)
    if k is None:
        return None
    for n in k.note:
        err_console.print(f"[yellow]Nota[/]: {lit(n)}", highlight=False)
    return k.chiave


def eur(v) -> str:
    from addin.rules.money import fmt_eur

    return fmt_eur(v)


def print_quadro(config, anno: int) -> None:
    """Two tables that fit 80 columns: budget and co-financing share, then the tranche plan."""
    from rich import box

    from addin.overview import quadro_annuale
    from addin.rules.money import fmt_pct

    check_anno(config, anno)
    rows = quadro_annuale(config, anno)

    def num(v) -> str:  # Italian format without the currency sign (the header says €)
        return eur(v).removesuffix(" €")

    def table(title: str, caption: str | None = None) -> Table:
        return Table(title=title, caption=caption, header_style="bold", box=box.SIMPLE_HEAD,
                     show_edge=False, padding=(0, 0), caption_justify="left")

    def name_col(t: Table, width: int) -> None:
        t.add_column("Programma", overflow="fold", max_width=max(12, width))   # names wrap, never cut

    def label(row) -> str:
        name = row.nome.removeprefix("ATS ") if row.codice == "ATS" else row.nome
        return f"{row.codice} {name}"

    minimum = fmt_pct(config.cofinanziamento.quota_minima).replace(",00", "")
    base = ("del costo totale (comunale + cofinanziamento)" if config.cofinanziamento.base == "costo_totale"
            else "del finanziamento comunale")
    levels = {"ats": "l'ATS", "programma": "ciascun programma"}
    caption = (f"Cofinanziamento minimo {minimum} {base}: vincolante per "
               f"{levels[config.cofinanziamento.livello_vincolante]}, indicativo per "
               f"{levels[config.cofinanziamento.livello_indicativo]}.")
    width = console.width
    t = table(f"Budget {anno} e quota di cofinanziamento", caption)
    name_w = width - 62
    name_col(t, name_w)
    for col in ("Comunale €", "Cofinanz. €", "Totale €"):
        t.add_column(col, justify="right", min_width=12)
    t.add_column("Quota", justify="right", min_width=6)
    t.add_column(f"≥ {minimum}", min_width=15)
    for row in rows:
        level = "(vincolante)" if row.vincolante else "(indicativo)"
        if row.quota.rispettato:
            flag = "[green]sì[/] " + (level if row.vincolante else "")
        else:
            flag = f"[bold red]NO[/] {level}"
        t.add_row(label(row), num(row.comunale), num(row.cofinanziamento), num(row.totale),
                  fmt_pct(row.quota.quota), flag.rstrip(), style="bold" if row.codice == "ATS" else None,
                  end_section=row is rows[-2])
    console.print(t)
    low = [r for r in rows if not r.quota.rispettato]
    for r in low:
        level = "vincolante" if r.vincolante else "indicativo"
        console.print(f"[bold red]Attenzione[/]: {r.codice}, cofinanziamento {fmt_pct(r.quota.quota)}: sotto "
                      f"il minimo del {minimum} ({level}): servono {eur(r.quota.minimo)}, mancano "
                      f"{eur(r.quota.mancante)}.", highlight=False)
    console.print()

    t = table(f"Piano delle tranche {anno} (sul finanziamento comunale)")
    name_w = width - 4 * 13
    name_col(t, name_w)
    t.add_column("Contributo €", justify="right", min_width=12)
    for r in rows[0].tranche:
        what = "Saldo" if r.saldo else f"{r.numero}ª tranche"
        t.add_column(f"{what}\n{r.quota * 100:.0f}% entro\n{r.scadenza:%d/%m/%Y}", justify="right", min_width=12)
    for row in rows:
        t.add_row(label(row), num(row.comunale), *[num(r.importo) for r in row.tranche],
                  style="bold" if row.codice == "ATS" else None, end_section=row is rows[-2])
    console.print(t)


@app.command("budget")
def cmd_budget(anno: int = AnnoOpt,
               config: Optional[Path] = ConfigOpt) -> None:
    """Budget, quota di cofinanziamento e piano delle tranche di ogni programma e dell'ATS."""
    print_quadro(load(config), anno)


@app.command("regole")
def cmd_regole() -> None:
    """Elenca i codici dei motivi di non ammissibilità e il loro effetto."""
    from addin.rules.catalogue import CATALOGO

    effects = {"non_ammessa": "NON_AMMESSA", "esclusa": "ESCLUSA",
               "integrabile": "DA_INTEGRARE, poi ESCLUSA\ndopo il blocco", "riduzione": "ammessa in parte",
               "integrabile_riduzione": "DA_INTEGRARE, poi\nammessa in parte\ndopo il blocco",
               "segnalazione": "segnalazione\n(l'esito non cambia)"}
    t = Table(title="Catalogo dei motivi", header_style="bold", show_lines=True)
    t.add_column("Codice ed effetto", no_wrap=True, min_width=28)
    t.add_column("Descrizione", ratio=1)
    for v in CATALOGO.values():
        t.add_row(f"[bold]{v.codice}[/]\n{effects[v.effetto]}", v.descrizione)
    console.print(t)


# --- verifica (issue: one-click check) ---------------------------------------------------------
def print_verifica(r, dest: Optional[Path]) -> None:
    """Rich summary of a Verifica result (Italian)."""
    from addin.rules.models import Esito
    from addin.rules.money import fmt_pct
    from addin.workbook.report import etichetta_esito

    t = Table(title=f"Verifica programma {r.programma}, anno {r.anno}, al {r.data_riferimento:%d/%m/%Y}",
              header_style="bold")
    for col, just in [("Esito", "left"), ("Righe", "right"), ("Rendicontato", "right"), ("Ammesso", "right")]:
        t.add_column(col, justify=just)
    n = r.conteggi()
    for e in Esito:
        rows = [x for x in r.esiti if x.esito is e]
        t.add_row(etichetta_esito(e), str(n[e]), eur(sum((x.importo for x in rows), 0)),
                  eur(sum((x.importo_ammesso for x in rows), 0)))
    t.add_row("Totale", str(len(r.esiti)), eur(r.totali["rendicontato"]), eur(r.totali["ammesso"]), style="bold")
    console.print(t)
    ded = r.decurtazioni()
    if ded:  # every code (the catalogue has a few dozen at most): the same figures as the report and verbale
        m = Table(title="Non ammesso per motivo", header_style="bold",
                  caption="Ogni riga è contata una volta, sotto il suo motivo decisivo.", caption_justify="left")
        m.add_column("Motivo", overflow="fold")
        m.add_column("Righe", justify="right")
        m.add_column("Non ammesso", justify="right", no_wrap=True)
        for d in ded:
            m.add_row(d.codice, str(d.righe), eur(d.importo))
        m.add_row("Totale", str(sum(d.righe for d in ded)), eur(sum((d.importo for d in ded), 0)), style="bold")
        console.print(m)
    q, ct = r.cofin_quota, r.cofin_totali
    console.print(f"Cofinanziamento: {eur(q.cofinanziamento)} = {fmt_pct(q.quota)} di {eur(q.base)} "
                  f"(minimo {eur(q.minimo)}): " + ("[green]rispettato[/]" if q.rispettato else
                                                   f"[bold yellow]sotto il minimo[/], mancano {eur(q.mancante)} "
                                                   + ("(vincolante a fine anno)" if r.config.cofinanziamento.livello_vincolante
                                                      == "programma" else "(indicativo per il programma)")),
                  highlight=False)
    console.print(f"di cui monetario realizzato {eur(ct.monetario)} (spesa ammessa meno contributo dovuto; "
                  f"dichiarato {eur(ct.monetario_dichiarato)}), non monetario {eur(ct.non_monetario)}, "
                  f"volontariato {eur(ct.volontariato)}", highlight=False)
    liq = r.liquidazione
    console.print("Tranche: " + "; ".join(f"{p.numero}) {eur(p.importo)} entro {p.scadenza:%d/%m/%Y}" for p in r.piano))
    running = r.data_riferimento <= r.finestre[-1].fine
    console.print(f"Realizzazione {fmt_pct(liq.percentuale_realizzazione)}: contributo dovuto {eur(liq.contributo_finale)}, "
                  f"saldo {eur(liq.saldo)}" + (" (da recuperare)" if liq.saldo < 0 else "")
                  + (" [dim]- anno in corso: proiezione sulle sole spese ammesse finora[/]" if running else ""))
    console.print("Finestre: " + "; ".join(f"{f.etichetta} {f.stato(r.data_riferimento).lower()} (blocco {f.blocco:%d/%m/%Y})"
                                           for f in r.finestre))
    for c in r.campioni:
        console.print(f"Campione semestre {c.semestre}: {lit(', '.join(c.estratti)) or 'nessuna persona'} "
                      f"({c.dimensione} su {c.persone}, seme {c.seme}: "
                      + (f"[bold yellow]{c.descrizione_seme()}[/])" if c.provvisorio else f"{c.descrizione_seme()})"),
                      highlight=False)
    console.print(f"Osservazioni dell'ATS entro il {r.scadenza_osservazioni:%d/%m/%Y}"
                  + (" (provvisorio: nessun avviso registrato)." if r.scadenza_provvisoria else "."))
    console.print("Registro del Comune: " + (lit(r.registro.riepilogo()) if r.registro is not None
                                              else "non consultato (--senza-registro)."), highlight=False)
    for d in getattr(r.sigilli, "dettagli", ()):
        console.print(f"Sigilli: {lit(d)}", highlight=False)
    for a in r.avvisi:
        console.print(f"[yellow]Avviso[/]: {lit(a)}", highlight=False)
    if dest is not None:
        console.print(f"Report scritto in [bold]{lit(dest)}[/]", soft_wrap=True)


@app.command("verifica")
def cmd_verifica(file: Path = typer.Argument(..., help="Cartella di lavoro del programma (.xlsx).",
                                             metavar="FILE"),
                 data: Optional[str] = DataOpt,
                 out: Optional[Path] = typer.Option(None, "--out", help="Report da scrivere (.xlsx; predefinito: "
                                                    "<nome>_verifica.xlsx accanto al file).", metavar="FILE"),
                 pdf: bool = VerbalePdf,
                 out_pdf: Optional[Path] = VerbaleOut,
                 sovrascrivi: bool = typer.Option(False, "--sovrascrivi", help="Sostituisce un file di output "
                                                  "già esistente indicato con --out o --out-pdf."),
                 json_out: bool = typer.Option(False, "--json", help="Stampa il risultato in JSON."),
                 chiave: Optional[Path] = ChiaveOpt,
                 seme: Optional[int] = SemeOpt,
                 registro: Optional[str] = RegistroOpt, senza_registro: bool = SenzaRegistroOpt,
                 operatore: Optional[str] = OperatoreOpt,
                 config: Optional[Path] = ConfigOpt) -> None:
    """Verifica completa di un rendiconto (con gli atti del registro del Comune): esito di ogni spesa, sintesi, campione, osservazioni."""
    import json

    from addin.casi.verifica import percorso_report, percorso_verbale, risultato_json, verifica_file
    from addin.output import controlla_destinazione

    cfg = load(config)
    rif = parse_data(data)
    try:
        inputs = [file] + ([chiave] if chiave else [])
        # outputs are checked before any work: an explicit --out replaces a file only with --sovrascrivi;
        # the default names (<nome>_verifica.xlsx, <nome>_verbale.pdf) are rewritten by each new check
        dest = controlla_destinazione(out or percorso_report(file), [".xlsx"], input=inputs, cosa="il report",
                                      sovrascrivi=sovrascrivi or out is None)
        dest_pdf = None
        if pdf or out_pdf:
            dest_pdf = controlla_destinazione(out_pdf or percorso_verbale(file), [".pdf"], input=inputs,
                                              cosa="il verbale", sovrascrivi=sovrascrivi or out_pdf is None)
        key = carica_chiave_cli(chiave)
        r, dest = verifica_file(file, cfg, rif, out=dest, chiave=key, seme=seme,
                                registro=registro_per(registro, senza_registro), operatore=operatore)
        if dest_pdf is not None:
            from addin.documenti.verbale import scrivi_verbale

            scrivi_verbale(r, dest_pdf)
    except ErroreRendiconta as exc:
        fail(exc)
    if json_out:
        typer.echo(json.dumps(risultato_json(r), ensure_ascii=False, indent=1))
    else:
        print_verifica(r, dest)
        if dest_pdf is not None:
            console.print(f"Verbale PDF/A scritto in [bold]{lit(dest_pdf)}[/]", soft_wrap=True)


# --- modelli (issue: Excel-native templates) -------------------------------------------------------
@app.command("modello")
def cmd_modello(programma: int = typer.Option(..., "--programma", help="Codice del programma (1-6).",
                                              metavar="N"),
                anno: int = AnnoOpt,
                out: Path = typer.Option(..., "--out", help="File .xlsx da scrivere (la cartella deve esistere).",
                                         metavar="FILE"),
                sovrascrivi: bool = SovrascriviOpt,
                config: Optional[Path] = ConfigOpt) -> None:
    """Genera la cartella di lavoro vuota di un programma per un anno."""
    from addin.output import controlla_destinazione
    from addin.templates import genera_modello

    cfg = load(config)
    check_programma(cfg, programma)
    check_anno(cfg, anno)
    try:
        controlla_destinazione(out, [".xlsx"], sovrascrivi=sovrascrivi, cosa="il modello")
        path = genera_modello(cfg, programma, anno, out)
    except ErroreRendiconta as exc:
        fail(exc)
    console.print(f"Modello del programma {programma} per il {anno} scritto in [bold]{lit(path)}[/]",
                  soft_wrap=True)


@app.command("modelli")
def cmd_modelli(anno: int = AnnoOpt,
                out_dir: Path = typer.Option(Path("workbook_templates"), "--out-dir",
                                             help="Cartella di destinazione (deve esistere; i modelli vuoti che "
                                                  "vi si trovano sono riscritti, quelli compilati solo con "
                                                  "--sovrascrivi).", metavar="CARTELLA"),
                sovrascrivi: bool = SovrascriviOpt,
                config: Optional[Path] = ConfigOpt) -> None:
    """Genera i modelli di tutti i programmi (e del consolidamento) per un anno."""
    from addin.errors import ErroreOutput
    from addin.templates import genera_modelli
    from addin.workbook.template import nome_file

    cfg = load(config)
    check_anno(cfg, anno)
    try:
        if not out_dir.is_dir():
            raise ErroreOutput(f"la cartella di destinazione «{out_dir}» non esiste (non viene creata).")
        targets = [out_dir / nome_file(p.codice, anno) for p in cfg.programmi] + [out_dir / f"consolidato_{anno}.xlsx"]
        for t in targets:  # an empty template is regenerated; a workbook someone filled is never lost
            if (t.exists() or t.is_symlink()) and not sovrascrivi and not modello_vuoto(t, cfg):
                raise ErroreOutput(f"«{t}» esiste e non è un modello vuoto (contiene spese o non è leggibile): "
                                   "usare --sovrascrivi per sostituirlo, o un'altra cartella.")
        res = genera_modelli(cfg, anno, out_dir)
    except ErroreRendiconta as exc:
        fail(exc)
    for p in res.file:
        console.print(f"Scritto [bold]{lit(p)}[/]", soft_wrap=True)
    for n in res.note:
        console.print(f"[yellow]Nota[/]: {lit(n)}", highlight=False)


def modello_vuoto(path: Path, cfg) -> bool:
    """True for a regular file that is a workbook with no expense rows (a template as generated)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        from addin.workbook.reader import leggi_griglie

        grids, _ = leggi_griglie(path)
    except (ErroreRendiconta, OSError, ValueError):
        return False
    from addin.workbook import schema as S

    rows = grids.get(S.SPESE) or grids.get(S.CONS_SPESE) or []
    # title, note and header rows come first; a filled row has a number (an amount) somewhere
    return not any(isinstance(v, (int, float)) and not isinstance(v, bool) and v
                   for row in rows[3:] for v in row)


def print_consolidato(r, rif: dt.date) -> None:
    """The consolidation summary: amounts never cut (files listed below the table at 80 columns)."""
    from rich import box

    from addin.casi.consolida import print_rows

    rows = print_rows(r)
    narrow = console.width < 100
    t = Table(title=f"Consolidato {r.anno} al {rif:%d/%m/%Y}", header_style="bold", box=box.SIMPLE_HEAD,
              padding=(0, 1))
    cols = ["Programma"] + ([] if narrow else ["File"]) + ["Rendicontato", "Ammesso", "Quota cofin.", "Saldo"]
    for col in cols:
        if col in ("Programma", "File"):
            t.add_column(col, overflow="fold")
        else:
            t.add_column(col, justify="right", no_wrap=col != "Quota cofin.")
    for row in rows:
        cells = [row[0]] + ([] if narrow else [row[1]]) + list(row[2:])
        t.add_row(*map(lit, cells), style="bold" if row[0] == "ATS" else None)
    console.print(t)
    if narrow:
        for row in rows[:-1]:
            console.print(f"{lit(row[0])}: {lit(row[1])}", highlight=False)
    for e in r.errori:
        console.print(f"[bold red]File non leggibile[/]: {lit(e.messaggio)}", highlight=False)
    if r.programmi_mancanti:
        console.print("[bold red]Programmi mancanti[/]: " + ", ".join(f"P{p}" for p in r.programmi_mancanti))
    grav = [a for a in r.anomalie if a.gravita == "Bloccante"]
    console.print(f"Anomalie: {len(r.anomalie)} ({len(grav)} bloccanti), vedere il foglio «Anomalie».")
    if r.ats.riduzione_quota:
        console.print(f"Riduzione per la quota minima di cofinanziamento dell'ATS: {eur(r.ats.riduzione_quota)} "
                      "(saldi con * già ridotti; colonne «Riduzione quota 10%» del foglio «Programmi»).",
                      highlight=False)
    drawn = sum(c.dimensione for cs in r.campioni.values() for c in cs)
    provisional = any(c.provvisorio for cs in r.campioni.values() for c in cs)
    console.print(f"Campione del personale: {drawn} persone estratte, vedere il foglio «Campione»"
                  + (" ([bold yellow]PROVVISORIO[/]: indicare --seme o la chiave del Comune)." if provisional else "."))


def demo_completa(cfg, anno: int, cartella: Path, pdf: bool = True) -> None:
    """Six programme workbooks, their check (report and verbale), the consolidation and its dashboard."""
    from rich import box

    from addin.casi.consolida import consolida_file
    from addin.casi.verifica import percorso_verbale, verifica_file
    from addin.demo_data import DATA_DEMO, scrivi_demo
    from addin.errors import ErroreOutput, ErroreSistema

    rif = DATA_DEMO.replace(year=anno)
    if not cartella.is_dir():
        parent = cartella.parent if str(cartella.parent) else Path(".")
        if not parent.is_dir():
            fail(ErroreOutput(f"la cartella «{parent}» non esiste: la dimostrazione crea solo l'ultima cartella "
                              f"del percorso («{cartella.name}»)."))
        cartella.mkdir()
    files, results, notes = [], [], []
    with console.status("Dimostrazione: sei programmi, verifiche, verbali, consolidato..."):
        for p in cfg.programmi:
            path = scrivi_demo(cfg, cartella / f"rendiconto_P{p.codice}_{anno}_demo.xlsx", p.codice, anno)
            files.append(path)
            r, dest = verifica_file(path, cfg, rif)
            verbale = None
            if pdf:
                try:
                    from addin.documenti.verbale import scrivi_verbale

                    verbale = scrivi_verbale(r, percorso_verbale(path))
                except ErroreSistema as exc:  # no LibreOffice: the demo goes on without PDFs
                    notes.append(str(exc))
                    pdf = False
            results.append((r, dest, verbale))
        cons = consolida_file(files, cfg, rif, cartella / f"consolidato_{anno}_demo.xlsx")
        dashboard = None
        if pdf:
            from addin.workbook.consolidation import scrivi_cruscotto_pdf

            dashboard = scrivi_cruscotto_pdf(cons, cfg, cartella / f"consolidato_{anno}_demo_cruscotto.pdf")
    console.print(f"\nCartella dimostrativa: [bold]{lit(cartella.resolve())}[/]", soft_wrap=True)
    print_verifica(results[0][0], results[0][1])
    t = Table(title=f"Le sei verifiche al {rif:%d/%m/%Y}", header_style="bold", box=box.SIMPLE_HEAD)
    for col, just in (("Prog.", "left"), ("Righe", "right"), ("Rendicontato", "right"), ("Ammesso", "right"),
                      ("Non amm.", "right")):
        t.add_column(col, justify=just, no_wrap=True)
    for r, _, _ in results:
        t.add_row(f"P{r.programma}", str(len(r.esiti)), eur(r.totali["rendicontato"]), eur(r.totali["ammesso"]),
                  eur(r.totali["non_ammesso"]))
    console.print(t)
    print_consolidato(cons, rif)
    console.print(f"\nFile scritti in {lit(cartella)} (cartella, report della verifica, verbale PDF/A):",
                  highlight=False)
    for path, (r, dest, verbale) in zip(files, results):
        for f in (path, dest, verbale):
            if f is not None:
                console.print(f"  {lit(f.name)}", highlight=False)
    console.print(f"  {lit(cons.path.name)} (consolidato della capofila, primo foglio «Cruscotto»)",
                  highlight=False)
    if dashboard is not None:
        console.print(f"  {lit(dashboard.name)} (cruscotto per la Cabina di regia)", highlight=False)
    for n in notes:
        console.print(f"[yellow]Nota[/]: {lit(n)} (verbali non scritti)", highlight=False)


# --- blocca (issue: lock closed windows with seals) ---------------------------------------------
@app.command("blocca")
def cmd_blocca(file: Path = typer.Argument(..., help="Cartella di lavoro del programma (.xlsx).", metavar="FILE"),
               data: Optional[str] = DataOpt,
               chiave: Optional[Path] = typer.Option(None, "--chiave", help="File della chiave del Comune "
                                                     "(o RENDICONTA_CHIAVE_FILE / RENDICONTA_CHIAVE).", metavar="FILE"),
               password: bool = typer.Option(False, "--password", help="Chiede la password di protezione dei fogli "
                                             "(altrimenti RENDICONTA_PASSWORD_PROTEZIONE, se impostata)."),
               risigilla: Optional[str] = typer.Option(None, "--risigilla", help="Sigilla di nuovo una finestra già "
                                                       "sigillata (numero della finestra, «cofinanziamento» o "
                                                       "il cofinanziamento di una finestra, es. «cofinanziamento1»): "
                                                       "serve --motivo."),
               motivo: Optional[str] = typer.Option(None, "--motivo", help="Motivazione del nuovo sigillo (resta agli atti)."),
               registro: Optional[str] = RegistroOpt, senza_registro: bool = SenzaRegistroOpt,
               operatore: Optional[str] = OperatoreOpt,
               config: Optional[Path] = ConfigOpt) -> None:
    """Blocca le finestre chiuse: sigilla le righe (prima nel registro del Comune), blocca le celle, protegge i fogli."""
    import os

    from addin.casi.blocca import blocca_file

    cfg = load(config)
    rif = parse_data(data)
    pw = os.environ.get("RENDICONTA_PASSWORD_PROTEZIONE") or None
    if password:
        pw = typer.prompt("Password di protezione dei fogli", hide_input=True, confirmation_prompt=True)
    try:
        r = blocca_file(file, cfg, rif, carica_chiave_cli(chiave), password=pw,
                        registro=registro_per(registro, senza_registro), risigilla=risigilla, motivo=motivo,
                        operatore=operatore)
    except ErroreRendiconta as exc:
        fail(exc)
    for a in r.avvisi:
        console.print(f"[bold yellow]Attenzione[/]: {lit(a)}", highlight=False)
    if r.nuovi:
        console.print(f"Sigillate al {rif:%d/%m/%Y}: {', '.join(r.nuovi)}"
                      + (f" (registrate nel registro del Comune, atti {', '.join(map(str, r.atti))})" if r.atti else "")
                      + ".")
        for label, mac in r.impronte.items():
            console.print(f"Impronta del sigillo {label} (da conservare agli atti): {mac}", highlight=False)
    if r.esistenti:
        console.print(f"Sigilli già presenti (non modificati): {', '.join(r.esistenti)}.")
    if not r.nuovi and not r.esistenti:
        console.print(f"Nessuna finestra chiusa al {rif:%d/%m/%Y}: nulla da bloccare.")
    console.print(f"Righe bloccate: {r.righe_spese} spese, {r.righe_cofinanziamento} voci di cofinanziamento.")
    if r.modificato:
        console.print(f"File aggiornato: [bold]{lit(r.path)}[/] (copia del precedente: {lit(r.backup)}).")
    else:
        console.print(f"File non modificato: [bold]{lit(r.path)}[/].")


# --- consolida (issue: capofila consolidation of the six programmes) -----------------------------
@app.command("consolida")
def cmd_consolida(files: list[Path] = typer.Argument(None, help="Cartelle di lavoro dei programmi (.xlsx), anche di "
                                                     "più anni (consolidato del triennio).", metavar="FILE..."),
                  out: Path = typer.Option(..., "--out", help="Cartella di lavoro consolidata da scrivere (.xlsx).",
                                           metavar="FILE"),
                  data: Optional[str] = DataOpt,
                  anno: Optional[int] = typer.Option(None, "--anno", help="Anno del consolidato (predefinito: "
                                                     "quello dei file).", metavar="AAAA"),
                  pdf: bool = CruscottoPdf,
                  out_pdf: Optional[Path] = CruscottoOut,
                  sovrascrivi: bool = SovrascriviOpt,
                  json_out: bool = typer.Option(False, "--json", help="Stampa il risultato in JSON."),
                  chiave: Optional[Path] = ChiaveOpt,
                  seme: Optional[int] = SemeOpt,
                  triennio: bool = typer.Option(False, "--triennio", help="Tutti gli anni, con i file delle ricezioni "
                                                "registrate: vedere `rendiconta triennio`."),
                  registro: Optional[str] = RegistroOpt, senza_registro: bool = SenzaRegistroOpt,
                  config: Optional[Path] = ConfigOpt) -> None:
    """Consolida i rendiconti dei programmi (capofila): totali, azioni, partner, anomalie, grafici."""
    import json

    from addin.casi.triennio import anni_dei_file
    from addin.cli_triennio import consolida_piu_anni

    if triennio or (anno is None and len(anni_dei_file(files or [], load(config))) > 1):
        # several years: the three-year consolidation with the register's payments and variations
        consolida_piu_anni(list(files or []), out, parse_data(data), registro=registro, triennio=triennio,
                           config=config, json_out=json_out, chiave=chiave, sovrascrivi=sovrascrivi)
        return
    if not files:
        raise typer.BadParameter("indicare almeno un file (o --triennio)", param_hint="FILES")

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from addin.casi.consolida import consolida_file, risultato_json
    from addin.output import controlla_destinazione

    cfg = load(config)
    rif = parse_data(data)
    if anno is not None:
        check_anno(cfg, anno)
    reg = registro_per(registro, senza_registro)
    try:
        inputs = [*files, *([chiave] if chiave else [])]
        controlla_destinazione(out, [".xlsx"], sovrascrivi=sovrascrivi, cosa="il consolidato", input=inputs)
        dest_pdf = None
        if pdf or out_pdf:
            dest_pdf = controlla_destinazione(out_pdf or out.with_name(f"{out.stem}_cruscotto.pdf"), [".pdf"],
                                              sovrascrivi=sovrascrivi, cosa="il cruscotto", input=inputs)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True, disable=json_out) as bar:
            task = bar.add_task("Consolidamento", total=None)
            r = consolida_file(files, cfg, rif, out, anno=anno, chiave=carica_chiave_cli(chiave), seme=seme,
                               registro=reg,
                               progress=lambda step, done, total: bar.update(task, description=lit(step),
                                                                             completed=done, total=total))
        if dest_pdf is not None:
            from addin.workbook.consolidation import scrivi_cruscotto_pdf

            scrivi_cruscotto_pdf(r, cfg, dest_pdf)
    except ErroreRendiconta as exc:
        fail(exc)
    if json_out:
        typer.echo(json.dumps(risultato_json(r), ensure_ascii=False, indent=1))
        return
    print_consolidato(r, rif)
    if dest_pdf is not None:
        console.print(f"Cruscotto PDF/A scritto in [bold]{lit(dest_pdf)}[/]", soft_wrap=True)
    console.print(f"Consolidato scritto in [bold]{lit(r.path)}[/]")


@app.command("serve")
def cmd_serve(host: str = typer.Option("127.0.0.1", "--host", help="Indirizzo su cui ascoltare.",
                                       metavar="INDIRIZZO"),
              port: int = typer.Option(8000, "--port", help="Porta.", metavar="PORTA"),
              http: bool = typer.Option(False, "--http", help="Senza HTTPS (solo prove: Excel richiede HTTPS)."),
              sviluppo: bool = typer.Option(False, "--sviluppo", help="Tutti i ruoli senza accesso, solo su 127.0.0.1."),
              ) -> None:
    """Avvia il server del componente aggiuntivo di Excel (https://127.0.0.1:8000, certificati mkcert)."""
    from addin.serve import avvia

    try:
        avvia(host, port, https=not http, sviluppo=sviluppo)
    except ErroreRendiconta as exc:
        fail(exc)


@app.command("demo")
def cmd_demo(cartella: Path = typer.Option(Path("demo_output"), "--cartella", help="Cartella in cui scrivere "
                                           "la dimostrazione (creata se manca; i file dimostrativi che vi si "
                                           "trovano sono riscritti).", metavar="CARTELLA"),
             anno: int = typer.Option(2026, "--anno", help="Anno della dimostrazione.", metavar="AAAA"),
             pdf: bool = typer.Option(True, "--pdf/--senza-pdf", help="Scrive anche i verbali PDF/A (serve "
                                      "LibreOffice)."),
             config: Optional[Path] = ConfigOpt) -> None:
    """Dimostrazione: sei programmi realistici, verifiche, verbali, consolidato."""
    cfg = load(config)
    check_anno(cfg, anno)
    print_quadro(cfg, anno)
    try:
        demo_completa(cfg, anno, cartella, pdf)
    except ErroreRendiconta as exc:
        fail(exc)


from addin.cli_registro import aggiungi_comandi  # noqa: E402 - the register's commands, own module

aggiungi_comandi(app)

from addin.cli_triennio import aggiungi_comandi as aggiungi_comandi_triennio  # noqa: E402 - issue #16, own module

aggiungi_comandi_triennio(app)


def main() -> None:
    try:
        app()
    except ErroreRendiconta as exc:
        err_console.print(f"[bold red]Errore[/]: {lit(exc)}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrotto.")
        sys.exit(130)
    except OSError as exc:  # not foreseen by a use case: still said in Italian, with the file
        from addin.errors import EXIT_SYSTEM
        from addin.output import errore_os

        where = f" su «{exc.filename}»" if getattr(exc, "filename", None) else ""
        err_console.print(f"[bold red]Errore del sistema[/]{lit(where)}: {errore_os(exc)}.", highlight=False)
        sys.exit(EXIT_SYSTEM)
    except Exception as exc:  # a bug: say so in Italian, keep the exit code distinct
        err_console.print(f"[bold red]Errore interno[/]: {type(exc).__name__}: {lit(exc)}. "
                          "Segnalalo agli sviluppatori.", highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
