// Task pane of the Rendiconta add-in: the sheet-protection callback used by the `blocca` script,
// the upload of programme workbooks for `consolida`, the access code of the token login.
import { registerCallback } from "./custom-scripts/index.js";

// Called through runMacro by addin.xlbridge.proteggi: Office.js worksheet protection
// (xlwings' remote API has none). For each sheet: unlock the data area, lock the sealed rows'
// input cells, protect the sheet (formatting cells stays allowed so Valida can colour the outcomes).
async function proteggiRighe(context, fogli) {
  for (const f of fogli) {
    const ws = context.workbook.worksheets.getItem(f.foglio);
    ws.protection.load("protected");
    await context.sync();
    if (ws.protection.protected) {
      ws.protection.unprotect(f.password || undefined);
    }
    for (const a of f.sbloccate) ws.getRange(a).format.protection.locked = false;
    for (const a of f.bloccate) ws.getRange(a).format.protection.locked = true;
    ws.protection.protect(
      {
        allowFormatCells: true,
        allowFormatColumns: true,
        allowAutoFilter: true,
        allowSort: false,
        allowInsertRows: false,
        allowDeleteRows: false,
      },
      f.password || undefined,
    );
    await context.sync();
  }
}
registerCallback(proteggiRighe);

const CHIAVE_CODICE = "rendiconta.codice";

async function authHeaders() {
  const auth =
    typeof globalThis.getAuth === "function" ? await globalThis.getAuth() : { token: "", provider: "" };
  const headers = {};
  if (auth.token) headers["Authorization"] = auth.token;
  if (auth.provider) headers["Auth-Provider"] = auth.provider;
  return { auth, headers };
}

registerAlpineComponent("accesso", {
  codice: localStorage.getItem(CHIAVE_CODICE) || "",
  stato: "",
  salva() {
    localStorage.setItem(CHIAVE_CODICE, this.codice);
    this.stato = "Codice salvato su questo computer.";
  },
});

registerAlpineComponent("consolida", {
  occupato: false,
  errore: "",
  async invia() {
    this.errore = "";
    const files = this.$refs.file.files;
    if (!files.length) {
      this.errore = "Scegli almeno una cartella di programma.";
      return;
    }
    this.occupato = true;
    try {
      const form = new FormData();
      for (const f of files) form.append("files", f, f.name);
      const { auth, headers } = await authHeaders();
      const resp = await fetch(`${config.appPath}/rendiconta/consolida`, { method: "POST", body: form, headers });
      if (!resp.ok) {
        let msg = resp.statusText;
        try {
          msg = (await resp.json()).detail || msg;
        } catch (e) {}
        throw new Error(msg);
      }
      const dati = await resp.json();
      await xlwings.runPython({
        scriptName: "consolida",
        auth: auth.token,
        headers: { "Auth-Provider": auth.provider },
        errorDisplayMode: "taskpane",
        args: [dati],
      });
    } catch (e) {
      this.errore = `Errore: ${e.message || e}`;
    } finally {
      this.occupato = false;
    }
  },
});

// Preview outside Excel (documentation screenshots, e.g. /taskpane.html?anteprima=1): without an
// Office host the "add-in didn't load" overlay would cover the page.
if (new URLSearchParams(window.location.search).has("anteprima")) {
  document.getElementById("xlwings-office-ready-error")?.remove();
}
