// Task pane of the Rendiconta add-in: registers the callbacks used by the scripts (rendiconta.js),
// shows every failure in Italian, uploads programme workbooks for `consolida`, keeps the access code.
import { registerCallback } from "./custom-scripts/index.js";
import { ESITI_CANCELLATI, formattaCelle, proteggiRighe, svuotaEsiti, traduciErrore } from "./rendiconta.js";

registerCallback(formattaCelle);
registerCallback(proteggiRighe);

// The page around the buttons (language, title, the overlay shown outside Excel) is served in Italian
// by the server (addin/serve.py, BASE_ITALIANA): nothing to rewrite here.

// xlwings writes a script's failure (English, e.g. "Action 4 (runMacro) failed: ...") into the
// global error alert: replace it with the Italian text and what to do.
const erroreGlobale = document.querySelector("#global-error-alert span");
if (erroreGlobale) {
  let ultimo = "";
  new MutationObserver(() => {
    const testo = erroreGlobale.textContent;
    if (testo && testo !== ultimo) {
      ultimo = traduciErrore(testo) + (esitiSvuotati ? ESITI_CANCELLATI : "");
      erroreGlobale.textContent = ultimo;
    }
  }).observe(erroreGlobale, { childList: true, characterData: true, subtree: true });
}

// Valida, Verifica, Blocca and Risigilla: the outcome columns are cleared before xlwings reads the
// workbook (they are rewritten by the script; see svuotaEsiti), then the click goes on to xlwings' own handler. A
// capture listener on the document runs before the button's listener; the click is dispatched again
// once the columns are cleared. If the script then fails, the alert says to press the button again.
const SCRIPT_CON_ESITI = ["valida", "verifica", "blocca", "risigilla"];
let esitiSvuotati = false;
document.addEventListener(
  "click",
  (event) => {
    const bottone = event.target && event.target.closest ? event.target.closest("[xw-click]") : null;
    if (!bottone || !SCRIPT_CON_ESITI.includes(bottone.getAttribute("xw-click"))) {
      esitiSvuotati = false; // another button: its failures say nothing about the outcomes
      return;
    }
    if (bottone.dataset.esitiPronti === "1") {
      delete bottone.dataset.esitiPronti;
      return; // second pass: xlwings' handler reads the workbook and runs the script
    }
    event.stopImmediatePropagation();
    event.preventDefault();
    if (bottone.disabled || bottone.dataset.esitiInCorso === "1") return; // running, or a double click
    bottone.dataset.esitiInCorso = "1";
    Excel.run((context) => svuotaEsiti(context))
      .catch(() => false)
      .then((svuotati) => {
        esitiSvuotati = svuotati;
        delete bottone.dataset.esitiInCorso;
        bottone.dataset.esitiPronti = "1";
        bottone.click();
      });
  },
  true,
);

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

// The Comune's inputs travel as the scripts' arguments (xw-args, read by xlwings when the button is
// pressed): the deadline of the requests for documents, the window to seal again and the reason. The
// server checks them (addin/xlbridge.py) and answers in Italian.
registerAlpineComponent("comune", {
  scadenza: "",
  finestra: "1",
  motivo: "",
  get argomentiDecisioni() {
    return JSON.stringify([this.scadenza.trim()]);
  },
  get argomentiRisigilla() {
    return JSON.stringify([this.finestra, this.motivo.trim()]);
  },
});

// What a script shows in the task pane (the `riquadro` argument of formattaCelle, rendiconta.js).
globalThis.aggiornaRiquadro = async (riquadro) => {
  if (riquadro.verbale) mostraVerbale(riquadro.verbale);
};

// Verifica: the verbale PDF/A kept on the server (a download link), or why there is none.
export function mostraVerbale(verbale) {
  const box = document.getElementById("verbale");
  const link = document.getElementById("verbale-scarica");
  const nota = document.getElementById("verbale-nota");
  if (!box || !link || !nota) return;
  box.classList.remove("d-none");
  if (verbale && verbale.nome) {
    link.setAttribute("data-nome", verbale.nome);
    link.classList.remove("d-none");
    nota.textContent = ` (${verbale.nome})`;
  } else {
    link.removeAttribute("data-nome");
    link.classList.add("d-none");
    nota.textContent = `Il verbale PDF/A non è stato prodotto: ${(verbale && verbale.problema) || "motivo non indicato"}`;
  }
}

// The download goes through fetch (the route wants the access code in the headers), then a file link.
export async function scaricaVerbale(nome) {
  const { headers } = await authHeaders();
  const resp = await fetch(`${config.appPath}/rendiconta/verbale/${encodeURIComponent(nome)}`, { headers });
  if (!resp.ok) {
    throw new Error(
      resp.status === 404
        ? "Verbale non trovato o non consentito con questo codice di accesso: rieseguire Verifica."
        : `Verbale non scaricato (errore ${resp.status}): riprovare.`,
    );
  }
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = nome;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

const linkVerbale = document.getElementById("verbale-scarica");
if (linkVerbale) {
  linkVerbale.addEventListener("click", async (event) => {
    event.preventDefault();
    const nota = document.getElementById("verbale-nota");
    try {
      await scaricaVerbale(linkVerbale.getAttribute("data-nome") || "");
    } catch (e) {
      if (nota) nota.textContent = " " + traduciErrore(e);
    }
  });
}

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
        include: "_meta",
        auth: auth.token,
        headers: { "Auth-Provider": auth.provider },
        errorDisplayMode: "taskpane",
        args: [dati],
      });
    } catch (e) {
      this.errore = traduciErrore(e);
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
