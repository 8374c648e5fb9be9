"""The `rendiconta` command. Output and messages are Italian; see the README for exit codes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from addin.errors import EXIT_CONFIG, EXIT_INTERNAL, ErroreRendiconta

app = typer.Typer(
    help="rendiconta: rendicontazione della co-progettazione Comune di Crema - ATS Impronte Sociali 2.0.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)

ConfigOpt = typer.Option(None, "--config", help="File di configurazione TOML (predefinita: Crema 2026-2028).")


def load(config_path: Optional[Path]):
    from addin.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        err_console.print(f"[bold red]Errore di configurazione[/]: {exc}")
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


def fail(exc: ErroreRendiconta) -> None:
    err_console.print(f"[bold red]Errore[/]: {exc}", highlight=False)
    raise typer.Exit(exc.exit_code)


def eur(v) -> str:
    from addin.rules.money import fmt_eur

    return fmt_eur(v)


def print_quadro(config, anno: int) -> None:
    """Two tables that fit 80 columns: budget and co-financing share, then the tranche plan."""
    from rich import box

    from addin.overview import quadro_annuale
    from addin.rules.money import fmt_pct

    if anno not in config.periodo.anni:
        raise typer.BadParameter(f"l'anno {anno} è fuori dal periodo della co-progettazione "
                                 f"({config.periodo.anni[0]}-{config.periodo.anni[-1]})", param_hint="--anno")
    rows = quadro_annuale(config, anno)

    def num(v) -> str:  # Italian format without the currency sign (the header says €)
        return eur(v).removesuffix(" €")

    def table(title: str, caption: str | None = None) -> Table:
        return Table(title=title, caption=caption, header_style="bold", box=box.SIMPLE_HEAD,
                     show_edge=False, padding=(0, 0), caption_justify="left")

    def name_col(t: Table, width: int) -> None:
        t.add_column("Programma", no_wrap=True, overflow="ellipsis", max_width=max(12, width))

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
                      f"il minimo del {minimum} ({level}), mancano {eur(r.quota.mancante)}.", highlight=False)
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
def cmd_budget(anno: int = typer.Option(2026, "--anno", help="Anno di rendicontazione."),
               config: Optional[Path] = ConfigOpt) -> None:
    """Budget, quota di cofinanziamento e piano delle tranche di ogni programma e dell'ATS."""
    print_quadro(load(config), anno)


@app.command("regole")
def cmd_regole() -> None:
    """Elenca i codici dei motivi di non ammissibilità e il loro effetto."""
    from addin.rules.catalogue import CATALOGO

    effects = {"non_ammessa": "NON_AMMESSA", "esclusa": "ESCLUSA",
               "integrabile": "DA_INTEGRARE, poi ESCLUSA dopo il blocco", "riduzione": "ammessa in parte"}
    t = Table(title="Catalogo dei motivi", header_style="bold")
    t.add_column("Codice")
    t.add_column("Effetto")
    t.add_column("Descrizione")
    for v in CATALOGO.values():
        t.add_row(v.codice, effects[v.effetto], v.descrizione)
    console.print(t)


@app.command("demo")
def cmd_demo(anno: int = typer.Option(2026, "--anno", help="Anno della dimostrazione."),
             config: Optional[Path] = ConfigOpt) -> None:
    """Dimostrazione sulla configurazione di Crema."""
    cfg = load(config)
    print_quadro(cfg, anno)


def main() -> None:
    try:
        app()
    except ErroreRendiconta as exc:
        err_console.print(f"[bold red]Errore[/]: {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrotto.")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in Italian, keep the exit code distinct
        err_console.print(f"[bold red]Errore interno[/]: {type(exc).__name__}: {exc}. "
                          "Segnalalo agli sviluppatori.", highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
