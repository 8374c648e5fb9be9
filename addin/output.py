"""Writing output files the same way everywhere: checked destination, atomic replace, the permissions
the user's umask gives (a colleague on a shared folder can open them), OS errors in Italian.

`controlla_destinazione` is the one policy for `--out`: the folder must exist (never created), the
extension must be the one asked for, and the destination is never an input, a key, a device or any
non-regular file; an existing regular file is replaced only when the user says so (`--sovrascrivi`).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from addin.errors import ErroreOutput

_ERRNO_IT = {
    errno.ENOENT: "file o cartella inesistente",
    errno.EACCES: "permesso negato",
    errno.EPERM: "operazione non permessa",
    errno.ENOSPC: "spazio su disco esaurito",
    errno.EROFS: "file system in sola lettura",
    errno.EISDIR: "è una cartella",
    errno.ENOTDIR: "un elemento del percorso non è una cartella",
    errno.EEXIST: "il file esiste già",
    errno.ENAMETOOLONG: "nome del file troppo lungo",
    errno.EBUSY: "risorsa occupata",
    errno.EDQUOT: "quota del disco superata",
    errno.EXDEV: "cartelle su dischi diversi",
    errno.EIO: "errore di lettura o scrittura sul disco",
    errno.EMFILE: "troppi file aperti",
    errno.EINVAL: "argomento non valido",
    errno.EADDRINUSE: "indirizzo o porta già in uso",
    errno.EADDRNOTAVAIL: "indirizzo non disponibile su questo computer",
}


def errore_os(exc: OSError) -> str:
    """An OSError in Italian (never the English strerror)."""
    return _ERRNO_IT.get(exc.errno or -1, f"errore del sistema operativo n. {exc.errno}" if exc.errno
                         else "errore del sistema operativo")


_umask_lock = threading.Lock()


def umask() -> int:
    """The process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # elsewhere: set and restore at once
        m = os.umask(0o022)
        os.umask(m)
    return m


def permessi_file() -> int:
    """Mode of a new regular file, as open() would give it: 0666 less the umask."""
    return 0o666 & ~umask()


def controlla_destinazione(dest: str | Path, estensioni: Iterable[str], *, sovrascrivi: bool = False,
                           input: Iterable[str | Path] = (), cosa: str = "il file") -> Path:
    """Check an output path before any work is done; raise ErroreOutput (Italian) if it is not acceptable."""
    p = Path(dest)
    exts = tuple(e.lower() for e in estensioni)
    if p.suffix.lower() not in exts:
        raise ErroreOutput(f"{cosa} «{p}» deve avere l'estensione {' o '.join(exts)}.")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ErroreOutput(f"la cartella di destinazione «{folder}» non esiste (non viene creata: crearla "
                           "prima o scegliere un'altra cartella).")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ErroreOutput(f"impossibile usare «{p}» come destinazione: {errore_os(exc)}.") from None
    if st is not None or p.is_symlink():
        if st is None or not stat.S_ISREG(st.st_mode) or p.is_symlink():
            raise ErroreOutput(f"«{p}» non è un file ordinario (cartella, dispositivo o collegamento): "
                               "scegliere un altro nome.")
        for src in input:
            try:
                if os.path.samefile(p, src):
                    raise ErroreOutput(f"{cosa} non può sovrascrivere il file di input «{Path(src).name}».")
            except OSError:
                continue
        if _sembra_chiave(p):
            raise ErroreOutput(f"«{p}» sembra un file di chiave: non viene mai sovrascritto.")
        if not sovrascrivi:
            raise ErroreOutput(f"«{p}» esiste già: usare --sovrascrivi per sostituirlo, o un altro nome.")
    return p


def _sembra_chiave(p: Path) -> bool:
    """A sealing key file: tiny, not a zip (xlsx) nor a PDF. Such files are never overwritten."""
    try:
        with open(p, "rb") as f:
            head = f.read(5)
        size = p.stat().st_size
    except OSError:
        return False
    return size <= 4096 and not head.startswith((b"PK\x03\x04", b"%PDF-"))


def scrivi_atomico(dest: str | Path, scrivi: Callable[[Path], None], cosa: str = "il file") -> Path:
    """Call `scrivi(tmp)` on a temporary file beside `dest`, give it the umask's permissions and
    rename it over `dest` (readers never see half a file). Errors are ErroreOutput in Italian."""
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise ErroreOutput(f"la cartella di destinazione «{folder}» non esiste.")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=folder)
    except OSError as exc:
        raise ErroreOutput(f"impossibile scrivere {cosa} «{dest}»: {errore_os(exc)}.") from None
    tmp = Path(name)
    try:
        os.close(fd)
        scrivi(tmp)
        os.chmod(tmp, permessi_file())
        os.replace(tmp, dest)
    except OSError as exc:
        raise ErroreOutput(f"impossibile scrivere {cosa} «{dest}»: {errore_os(exc)}.") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
