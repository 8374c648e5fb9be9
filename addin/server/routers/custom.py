"""Extra route of the add-in: the task pane uploads the programme workbooks to consolidate; the
server consolidates them (addin.casi.consolida, in a worker process: addin.processi) and returns what
goes into each sheet of the open consolidation workbook, which the task pane then hands to the
`consolida` script."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, File, HTTPException, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from xlwings_server import dependencies as dep
from xlwings_server.config import settings

router = APIRouter(prefix=settings.app_path)

MAX_FILES = 30
# no size check per file here: the request body limit (RENDICONTA_LIMITE_RICHIESTA_MB, default 20 MB,
# addin.serve.Guardia) refuses an oversized upload with 413 before FastAPI parses the form


@router.post("/rendiconta/consolida")
async def consolida(current_user: dep.User, request: Request, files: list[UploadFile] = File(...)):
    from addin import xlbridge
    from addin.errors import ErroreRendiconta
    from addin.serve import esecutore

    if not files or len(files) > MAX_FILES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Caricare da 1 a {MAX_FILES} cartelle .xlsx.")
    with tempfile.TemporaryDirectory(prefix="rendiconta-") as tmp:
        paths = []
        for i, f in enumerate(files, start=1):
            name = Path(f.filename or f"file{i}.xlsx").name
            if not name.lower().endswith((".xlsx", ".xlsm")):
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"«{name}» non è una cartella .xlsx.")
            dest = Path(tmp) / f"{i:02d}" / name   # one folder per file: names stay as uploaded
            dest.parent.mkdir()
            with open(dest, "wb") as out:   # the upload is already spooled by Starlette: copy, don't load
                await run_in_threadpool(shutil.copyfileobj, f.file, out, 1 << 20)
            paths.append(str(dest))
        try:
            # in a worker process (a thread without a pool): the workbooks are read there, from `tmp`
            return await esecutore(request).chiama(xlbridge.dati_consolidato, paths, None, None, tmp)
        except ErroreRendiconta as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None


@router.get("/rendiconta/verbale/{nome}")
async def verbale(nome: str, current_user: dep.User):
    """The verbale PDF/A of a Verifica made from the add-in (addin.xlbridge.verbale_sul_server), for the
    roles that may run Verifica on its programme; 404 for everyone else and for any other name (the
    folder's content is not disclosed)."""
    from fastapi.responses import FileResponse

    from addin import xlbridge
    from addin.ruoli import programma_consentito
    from custom_scripts import verifica

    non_trovato = HTTPException(status.HTTP_404_NOT_FOUND, "Verbale non trovato.")
    m = xlbridge.NOME_VERBALE.match(nome)
    if m is None:
        raise non_trovato
    try:
        ammesso = await current_user.has_required_roles(verifica.__xlscript__.get("required_roles"))
    except HTTPException:
        ammesso = False
    if not ammesso or programma_consentito(getattr(current_user, "programmi", None), int(m.group(1))):
        raise non_trovato
    path = xlbridge.cartella_verbali() / nome
    if not path.is_file():
        raise non_trovato
    return FileResponse(path, media_type="application/pdf", filename=nome)
