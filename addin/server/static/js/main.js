// Task pane of the Rendiconta add-in: registers the callbacks used by the scripts (rendiconta.js),
// shows every failure in Italian, uploads programme workbooks for `consolida`, keeps the access code.
import { registerCallback } from "./custom-scripts/index.js";
import {
  ESITI_CANCELLATI,
  formattaCelle,
  erroreLettura,
  leggiFogli,
  proteggiRighe,
  svuotaEsiti,
  traduciErrore,
} from "./rendiconta.js";

registerCallback(formattaCelle);
registerCallback(proteggiRighe);

// The page around the buttons (language, title, the overlay shown outside Excel) is served in Italian
// by the server (addin/serve.py, BASE_ITALIANA): nothing to rewrite here.

// xlwings writes a script's failure (English, e.g. "Action 4 (runMacro) failed: ...") into the
// global error alert: replace it with the Italian text and what to do.
const erroreGlobale = document.querySelector("#global-error-alert span");
let ultimoErrore = ""; // the text last written (translated, or the task pane's own): not translated again
if (erroreGlobale) {
  new MutationObserver(() => {
    const testo = erroreGlobale.textContent;
    if (testo && testo !== ultimoErrore) {
      ultimoErrore = traduciErrore(testo) + (esitiSvuotati ? ESITI_CANCELLATI : "");
      erroreGlobale.textContent = ultimoErrore;
    }
  }).observe(erroreGlobale, { childList: true, characterData: true, subtree: true });
}

// The buttons of the scripts run them here, not through xlwings' own [xw-click] handler: a capture
// listener on the document sees the click first and stops it. Before Valida, Verifica, Blocca and
// Risigilla the outcome columns are cleared (svuotaEsiti: the script rewrites them); then the large
// sheets are read in blocks of rows (leggiFogli: Excel on the web refuses a read over 5 MB) and sent as
// the script's last argument, after the button's own (xw-args); xlwings reads only `_meta`. If the
// script then fails after the outcomes were cleared, the alert says to press the button again.
const FOGLI_PROGRAMMA = ["Spese", "Cofinanziamento", "Budget"]; // addin/xlbridge.py, FOGLI_DAL_RIQUADRO
export const FOGLI_DEGLI_SCRIPT = {
  valida: FOGLI_PROGRAMMA,
  verifica: FOGLI_PROGRAMMA,
  blocca: FOGLI_PROGRAMMA,
  risigilla: FOGLI_PROGRAMMA,
  registra_decisioni: ["Verifica"], // FOGLI_DAL_RIQUADRO_DECISIONI
};
const SCRIPT_CON_ESITI = ["valida", "verifica", "blocca", "risigilla"];
let esitiSvuotati = false;

function mostraErrore(testo) {
  const alert = document.querySelector("#global-error-alert");
  if (alert) alert.classList.remove("d-none");
  ultimoErrore = testo;
  if (erroreGlobale) erroreGlobale.textContent = testo;
}

// One press of a script's button: clear, read, run. Returns when the script's actions are applied (or
// its failure is shown in the task pane).
export async function eseguiScript(bottone, script) {
  if (bottone.disabled || bottone.dataset.inCorso === "1") return; // running, or a double click
  bottone.dataset.inCorso = "1";
  bottone.setAttribute("disabled", "true");
  const spinner = document.createElement("span");
  spinner.className = "spinner-border spinner-border-sm ms-1";
  spinner.setAttribute("role", "status");
  spinner.setAttribute("aria-hidden", "true");
  bottone.appendChild(spinner);
  const alert = document.querySelector("#global-error-alert");
  if (alert) alert.classList.add("d-none");
  esitiSvuotati = false;
  try {
    let argomenti = JSON.parse(bottone.getAttribute("xw-args") || "[]");
    if (!Array.isArray(argomenti)) argomenti = [];
    let fogli = null;
    await Excel.run(async (context) => {
      if (SCRIPT_CON_ESITI.includes(script)) esitiSvuotati = await svuotaEsiti(context);
      fogli = await leggiFogli(context, FOGLI_DEGLI_SCRIPT[script]);
    });
    const { auth } = await authHeaders();
    await xlwings.runPython({
      scriptName: script,
      include: "_meta",
      args: [...argomenti, fogli],
      auth: auth.token,
      headers: { "Auth-Provider": auth.provider },
      errorDisplayMode: "taskpane", // failures go to the global alert, translated by the observer above
    });
  } catch (e) {
    // reading the sheets failed (Excel's error): nothing was sent
    mostraErrore(erroreLettura(e) + (esitiSvuotati ? ESITI_CANCELLATI : ""));
  } finally {
    spinner.remove();
    delete bottone.dataset.inCorso;
    bottone.removeAttribute("disabled");
  }
}

document.addEventListener(
  "click",
  (event) => {
    const bottone = event.target && event.target.closest ? event.target.closest("[xw-click]") : null;
    const script = bottone ? bottone.getAttribute("xw-click") : null;
    if (!bottone || !Object.prototype.hasOwnProperty.call(FOGLI_DEGLI_SCRIPT, script)) {
      esitiSvuotati = false; // another button: its failures say nothing about the outcomes
      return;
    }
    event.stopImmediatePropagation(); // xlwings' own handler would read every sheet in one request
    event.preventDefault();
    eseguiScript(bottone, script);
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
