"""User-facing errors (Italian) and the documented exit codes of the `rendiconta` command."""

from __future__ import annotations

# Exit codes (documented in the README)
EXIT_OK = 0
EXIT_INTERNAL = 1      # unexpected error (a bug): please report it
EXIT_USAGE = 2         # wrong command line (typer/click)
EXIT_INPUT = 3         # an input workbook cannot be read or is not a reporting workbook
EXIT_CONFIG = 4        # the configuration file is invalid
EXIT_OUTPUT = 5        # the output cannot be written
EXIT_KEY = 6           # the sealing key is missing or invalid where one is required
EXIT_REGISTER = 7      # the Comune's register cannot be opened, or refuses the act (see docs/registro.md)
EXIT_TAMPERED = 8      # `registro verifica`: acts of the register were changed or deleted behind its back
EXIT_SYSTEM = 9        # a system resource is unavailable: port in use, LibreOffice or mkcert missing, OS error


class ErroreRendiconta(Exception):
    """Base of every error shown to a user; the message is Italian."""

    exit_code = EXIT_INTERNAL


class ErroreInput(ErroreRendiconta):
    """A problem in an input file, located by sheet, row and column where possible."""

    exit_code = EXIT_INPUT

    def __init__(self, messaggio: str, *, file: str | None = None, foglio: str | None = None,
                 riga: int | None = None, colonna: str | None = None) -> None:
        self.messaggio, self.file, self.foglio, self.riga, self.colonna = messaggio, file, foglio, riga, colonna
        super().__init__(self.testo())

    def testo(self) -> str:
        where = []
        if self.file:
            where.append(f"file «{self.file}»")
        if self.foglio:
            where.append(f"foglio «{self.foglio}»")
        if self.riga is not None:
            where.append(f"riga {self.riga}")
        if self.colonna:
            where.append(f"colonna «{self.colonna}»")
        return (", ".join(where) + ": " if where else "") + self.messaggio


class ErroreConfigurazione(ErroreRendiconta):
    """The configuration contradicts the register (e.g. a rule changed after the windows were sealed)."""

    exit_code = EXIT_CONFIG


class ErroreOutput(ErroreRendiconta):
    exit_code = EXIT_OUTPUT


class ErroreChiave(ErroreRendiconta):
    exit_code = EXIT_KEY


class ErroreRegistro(ErroreRendiconta):
    """The register cannot be opened or written, or refuses an act (already sealed, unknown act...)."""

    exit_code = EXIT_REGISTER


class ErroreSistema(ErroreRendiconta):
    """Something outside the inputs is missing or busy (a port, a program, the file system)."""

    exit_code = EXIT_SYSTEM
