"""Write an output file atomically: into a temporary file in the destination folder, then renamed over
the destination, so a reader never sees half a file and a failure leaves the old file (or none)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from addin.errors import ErroreOutput


def scrivi_atomico(dest: str | Path, scrivi: Callable[[Path], None]) -> Path:
    """`scrivi(tmp)` writes the content into `tmp`; it then replaces `dest`. OSError -> ErroreOutput."""
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise ErroreOutput(f"la cartella di destinazione «{folder}» non esiste.")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=folder)
        os.close(fd)
        scrivi(Path(tmp))
        os.replace(tmp, dest)
    except OSError as exc:
        raise ErroreOutput(f"impossibile scrivere «{dest}»: {exc.strerror or exc}.") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return dest
