"""Extra route of the add-in: the task pane uploads the programme workbooks to consolidate; the
server consolidates them (addin.casi.consolida, in a worker process: addin.processi) and returns what
goes into each sheet of the open consolidation workbook, which the task pane then hands to the
`consolida` script."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, File, HTTPException, Request, UploadFile, status

from xlwings_server import dependencies as dep
from xlwings_server.config import settings

router = APIRouter(prefix=settings.app_path)

MAX_FILES = 30
MAX_BYTES = 50 * 1024 * 1024   # per file


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
            data = await f.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"«{name}» supera 50 MB.")
            dest = Path(tmp) / f"{i:02d}" / name   # one folder per file: names stay as uploaded
            dest.parent.mkdir()
            dest.write_bytes(data)
            paths.append(str(dest))
        try:
            # in a worker process (a thread without a pool): the workbooks are read there, from `tmp`
            return await esecutore(request).chiama(xlbridge.dati_consolidato, paths, None, None, tmp)
        except ErroreRendiconta as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
