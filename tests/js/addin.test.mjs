// The add-in's JavaScript in Node: main.js (with rendiconta.js) and xlwings' own custom-scripts code
// apply the actions that the real server returned for Valida, Verifica, Blocca and Consolida to a
// mocked workbook (excel-mock.mjs); the tests check the workbook afterwards. Prepared and run by
// tests/test_js.py (ADDIN_STATIC: the served /static/js tree; ADDIN_FIXTURES: server outputs and
// independent expectations).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { OfficeMockObject } from "office-addin-mock";
import { Workbook, parseA1, colNumber } from "./excel-mock.mjs";

const STATIC = process.env.ADDIN_STATIC;
const F = JSON.parse(readFileSync(process.env.ADDIN_FIXTURES, "utf8"));

// --- the browser around the task pane ----------------------------------------------------------
const elements = new Map();
function element(id) {
  if (!elements.has(id)) {
    const kids = new Map();
    const classes = new Set(["d-none"]);
    const attributes = new Map();
    const listeners = {};
    const el = {
      id,
      dataset: {},
      children: [],
      appendChild(child) {
        this.children.push(child);
        child.remove = () => this.children.splice(this.children.indexOf(child), 1);
        return child;
      },
      closest(sel) {
        return sel === "[xw-click]" && attributes.has("xw-click") ? el : null;
      },
      textContent: "",
      classList: { add: (c) => classes.add(c), remove: (c) => classes.delete(c), contains: (c) => classes.has(c) },
      querySelector(sel) {
        if (!kids.has(sel)) kids.set(sel, element(`${id} ${sel}`));
        return kids.get(sel);
      },
      remove() {},
      setAttribute: (k, v) => attributes.set(k, String(v)),
      getAttribute: (k) => (attributes.has(k) ? attributes.get(k) : null),
      removeAttribute: (k) => attributes.delete(k),
      addEventListener: (type, fn) => (listeners[type] = fn),
      listeners,
      clicked: 0,
      click() {
        this.clicked++;
      },
    };
    elements.set(id, el);
  }
  return elements.get(id);
}
element("config").textContent = JSON.stringify(F.config);
// the page as the server serves it (tests/test_js.py reads it from /taskpane.html)
element("xlwings-office-ready-error").querySelector(".mb-3").textContent = F.pagina.overlay;
const observers = [];
const documentListeners = [];
globalThis.document = {
  title: F.pagina.title,
  documentElement: { lang: F.pagina.lang },
  getElementById: (id) => element(id),
  querySelector: (sel) => (sel === "#global-error-alert span" ? element("global-error") : element(sel)),
  querySelectorAll: () => [],
  addEventListener: (type, fn, capture) => documentListeners.push({ type, fn, capture }),
  createElement: () => element(`new-${elements.size}`),
};
globalThis.window = { location: { origin: "https://127.0.0.1:8000", search: "" } };
globalThis.MutationObserver = class {
  constructor(cb) {
    this.cb = cb;
    observers.push(this);
  }
  observe() {}
};
const storage = new Map();
globalThis.localStorage = {
  getItem: (k) => (storage.has(k) ? storage.get(k) : null),
  setItem: (k, v) => storage.set(k, String(v)),
};
const components = {};
globalThis.registerAlpineComponent = (name, c) => (components[name] = c);

// Office host (office-addin-mock) and Excel namespace
const dialogs = [];
globalThis.Office = new OfficeMockObject({
  context: {
    requirements: { isSetSupported: () => true },
    ui: { displayDialogAsync: (url) => dialogs.push(new URL(url)) },
  },
  onReady: async () => ({ host: "Excel" }),
});
Office.context.platform = "OfficeOnline";
let current = null;
globalThis.Excel = {
  run: async (cb) => {
    const r = await cb(current.context);
    await current.sync();
    return r;
  },
  ClearApplyTo: { contents: "Contents", formats: "Formats", all: "All" },
};

const { traduciErrore } = await import(pathToFileURL(`${STATIC}/rendiconta.js`));
// registers the callbacks and the components; imports xlwings' index.js
const { scaricaVerbale } = await import(pathToFileURL(`${STATIC}/main.js`));
await import(pathToFileURL(`${STATIC}/ribbon.js`));
await import(pathToFileURL(`${STATIC}/auth.js`)); // globalThis.getAuth: the access code of the task pane
const { dispatchActions } = await import(pathToFileURL(`${STATIC}/custom-scripts/action-dispatch.js`));

// Apply a script's actions as runPython does: one Excel.run, the actions in order, a final sync.
async function esegui(wb, actions) {
  current = wb;
  dialogs.length = 0;
  await Excel.run((context) => dispatchActions(actions, context, globalThis.callbacks));
  await new Promise((r) => setImmediate(r)); // the alert dialog opens asynchronously
}

const col = (sheetState, header) => sheetState.values.findIndex((row) => row.includes(header));
function headerPos(name, header) {
  const sheet = F.programma.find((s) => s.name === name);
  for (let i = 0; i < sheet.values.length; i++) {
    const j = sheet.values[i].indexOf(header);
    if (j >= 0) return { row: i + 1, col: j + 1 };
  }
  throw new Error(`${header} not found`);
}

// --- the task pane --------------------------------------------------------------------------------
test("main.js registers its callbacks; the served page is Italian, outside Excel too", () => {
  assert.equal(typeof globalThis.callbacks.proteggiRighe, "function");
  assert.equal(typeof globalThis.callbacks.formattaCelle, "function");
  assert.equal(typeof globalThis.callbacks.setValues, "function"); // xlwings' own action callbacks
  assert.equal(document.documentElement.lang, "it");
  assert.equal(document.title, "Rendiconta - Comune di Crema");
  const overlay = element("xlwings-office-ready-error").querySelector(".mb-3").textContent;
  assert.match(overlay, /funziona solo dentro Excel/);
  assert.doesNotMatch(overlay, /didn't load|Reload|Cancel/);
  assert.ok(components.consolida && components.accesso && components.comune);
});

test("the Comune's inputs become the scripts' arguments (xw-args)", () => {
  const c = Object.create(components.comune); // a fresh instance, as Alpine makes one
  Object.assign(c, { scadenza: " 15/12/2026 ", finestra: "2", motivo: "  fattura corretta " });
  assert.equal(c.argomentiDecisioni, '["15/12/2026"]');
  assert.equal(c.argomentiRisigilla, '["2","fattura corretta"]');
  Object.assign(c, { scadenza: "" });
  assert.deepEqual(JSON.parse(c.argomentiDecisioni), [""]); // the server says what is missing
});

test("an English failure written by xlwings into the error alert becomes Italian", () => {
  const span = element("global-error");
  span.textContent =
    "Action 2 (setValues) failed: The cell or chart you're trying to change is on a protected sheet. " +
    "Up to 2 actions may already have been applied, including the failing action.";
  for (const o of observers) o.cb([]);
  assert.match(span.textContent, /^Excel non ha potuto scrivere nel foglio: è protetto/);
  assert.match(span.textContent, /già state scritte/);
});

test("every kind of failure has an Italian text with what to do", () => {
  const cases = [
    ["No response received from server", /Il server non risponde/],
    ["Unknown server error", /Errore del server: riprovare/],
    ["An error occurred.", /Errore del server/],
    ["Access Denied. Anonymous is missing the following roles: comune", /codice del Comune/],
    ["Action 1 (runMacro) failed: RequestPayloadSizeLimitExceeded.", /troppo grande per Excel per il web/],
    ["Action 3 (addSheet) failed: GeneralException.", /premere di nuovo il pulsante/],
    ["Something odd", /^Errore: Something odd\. Riprovare/],
  ];
  for (const [en, it] of cases) assert.match(traduciErrore(en), it, en);
  const server = "Operazione riservata al ruolo «comune»: questo server non ha un sistema di accesso";
  assert.equal(traduciErrore(server), server); // the server's Italian detail is shown as it is
});

// --- Valida ---------------------------------------------------------------------------------------
test("Valida writes Esito and Importo ammesso of every row into the protected Spese sheet", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.valida);
  const spese = wb.sheet("Spese");
  assert.ok(spese.protected, "the template's protection stays");
  const esito = headerPos("Spese", "Esito").col;
  const ammesso = headerPos("Spese", "Importo ammesso").col;
  const rows = Object.keys(F.esiti);
  assert.ok(rows.length > 50);
  for (const r of rows) {
    assert.equal(spese.peek(Number(r), esito).value, F.esiti[r], `row ${r}`);
    assert.ok(Math.abs(spese.peek(Number(r), ammesso).value - F.ammessi[r]) < 0.005, `row ${r}`);
  }
  assert.equal(dialogs.length, 1);
  assert.equal(dialogs[0].searchParams.get("title"), "Valida");
  assert.match(dialogs[0].searchParams.get("prompt"), /righe di spesa controllate/);
});

const { ESITI_CANCELLATI, svuotaEsiti } = await import(pathToFileURL(`${STATIC}/rendiconta.js`));

test("before Valida, Verifica and Blocca the task pane clears Esito, Importo ammesso and Motivi only", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.valida); // the outputs are in the (protected) sheet
  const spese = wb.sheet("Spese");
  const { row: head, col: esito } = headerPos("Spese", "Esito");
  const motivi = headerPos("Spese", "Motivi").col;
  const azione = headerPos("Spese", "Azione").col;
  const rows = Object.keys(F.esiti).map(Number);
  const before = rows.map((r) => spese.peek(r, azione).value);
  assert.ok(rows.some((r) => spese.peek(r, esito).value !== ""));
  current = wb;
  assert.equal(await Excel.run((context) => svuotaEsiti(context)), true);
  for (const r of rows) {
    for (let c = esito; c <= motivi; c++) assert.equal(spese.peek(r, c).value, "", `row ${r} col ${c}`);
  }
  assert.deepEqual(rows.map((r) => spese.peek(r, azione).value), before, "the partner's data untouched");
  assert.notEqual(spese.peek(head, esito).value, "", "the header stays");
  assert.ok(spese.protected);
  // a workbook without the columns: nothing changes, the script runs anyway
  const altro = new Workbook([{ name: "Spese", values: [["Azione"], ["1.1"]] }]);
  current = altro;
  assert.equal(await Excel.run((context) => svuotaEsiti(context)), false);
  assert.equal(altro.sheet("Spese").peek(2, 1).value, "1.1");
  assert.match(ESITI_CANCELLATI, /premere di nuovo il pulsante/);
  // the consolidation workbook (its Spese has the same columns; `_meta` says «consolidato»): untouched
  const cons = new Workbook(F.consolidato);
  await esegui(cons, F.consolida);
  const consSpese = cons.sheet("Spese");
  const filled = [...consSpese.cells.values()].filter((c) => c.value !== "").length;
  assert.ok(filled > 0);
  current = cons;
  assert.equal(await Excel.run((context) => svuotaEsiti(context)), false);
  assert.equal([...consSpese.cells.values()].filter((c) => c.value !== "").length, filled);
});

// --- Verifica -------------------------------------------------------------------------------------
test("Verifica adds three sheets, text stays text, amounts and dates keep their formats", async () => {
  const wb = new Workbook(F.programma);
  assert.ok(F.verifica.length <= 10, `${F.verifica.length} actions`);
  const before = wb.syncs;
  await esegui(wb, F.verifica);
  assert.ok(wb.syncs - before <= 25, `${wb.syncs - before} round trips`);
  const v = wb.sheet("Verifica");
  assert.ok(v && wb.sheet("Campione") && wb.sheet("Osservazioni"));
  assert.equal(wb.sheets[wb.active].name, "Verifica");
  // the row table: the header row with «Riga» and «Finestra»; its Finestra cells hold texts like
  // "1/2026" (not dates), amounts and dates their formats
  const headers = {};
  let head = null;
  for (const [k, cell] of v.cells) {
    const [r, c] = k.split(",").map(Number);
    if (cell.value === "Finestra" && v.peek(r, 1).value === "Riga") head = r;
  }
  assert.ok(head, "row table header");
  for (const [k, cell] of v.cells) {
    const [r, c] = k.split(",").map(Number);
    if (r === head) headers[cell.value] = c;
  }
  let r = head + 1;
  while (v.peek(r, headers["Finestra"]).value === "" && r < head + 50) r++;
  const finestra = v.peek(r, headers["Finestra"]);
  assert.match(String(finestra.value), /^[123]\/202[67]$/);
  assert.equal(finestra.numberFormat, "@");
  assert.equal(v.peek(r, headers["Importo ammesso"]).numberFormat, "#,##0.00");
  assert.equal(typeof v.peek(r, headers["Importo ammesso"]).value, "number");
  const data = v.peek(r, headers["Data decisiva"]);
  assert.equal(data.numberFormat, "dd/mm/yyyy");
  assert.equal(typeof data.value, "number"); // an Excel date serial, not text
  assert.equal(dialogs[0].searchParams.get("title"), "Verifica");
});

test("Verifica again: the formats action clears the existing sheets first and shows Verifica", async () => {
  const funcs = F.verifica_ripetuta.map((a) => a.func);
  assert.ok(funcs.length <= 10, `${funcs.length} actions`);
  for (const f of ["addSheet", "sheetClear", "activateSheet"]) assert.ok(!funcs.includes(f), f);
  const wb = new Workbook(F.programma_con_report);
  // an older, longer check: a value and a date format far below the new table, on each report sheet
  for (const nome of ["Verifica", "Campione", "Osservazioni"]) {
    const cell = wb.sheet(nome).cell(2000, 40);
    Object.assign(cell, { value: "controllo precedente", numberFormat: "dd/mm/yyyy" });
  }
  wb.active = 0;
  const before = wb.syncs;
  await esegui(wb, F.verifica_ripetuta);
  assert.ok(wb.syncs - before <= 25, `${wb.syncs - before} round trips`);
  for (const nome of ["Verifica", "Campione", "Osservazioni"]) {
    assert.deepEqual(wb.sheet(nome).peek(2000, 40), { value: "", numberFormat: "General", locked: true }, nome);
  }
  assert.equal(wb.sheets[wb.active].name, "Verifica");
  // cleared before the formats, not after: the new table keeps them (its title is text)
  const v = wb.sheet("Verifica");
  assert.match(String(v.peek(1, 1).value), /^Verifica del rendiconto - Programma 1/);
  assert.equal(v.peek(1, 1).numberFormat, "@");
  assert.equal(dialogs[0].searchParams.get("title"), "Verifica");
});

test("the formats action refuses to clear a protected report sheet, in Italian, and changes nothing", async () => {
  const wb = new Workbook(F.programma_con_report);
  const v = wb.sheet("Verifica");
  v.cell(5, 5).value = "controllo precedente";
  v.protected = true;
  const [fmt] = F.verifica_ripetuta.filter((a) => a.func === "runMacro");
  current = wb;
  await assert.rejects(
    globalThis.callbacks.formattaCelle(wb.context, fmt.args[1]),
    (e) => /^Excel non ha applicato i formati delle celle \(accesso negato/.test(e.message),
  );
  assert.equal(v.peek(5, 5).value, "controllo precedente");
  assert.equal(wb.sheets[wb.active].name, wb.sheets[0].name);
});

test("Verifica shows the download of the verbale in the task pane", async () => {
  assert.equal(F.verbali.length, 1, "one verbale on the server");
  const wb = new Workbook(F.programma);
  await esegui(wb, F.verifica);
  assert.equal(element("verbale").classList.contains("d-none"), false);
  const link = element("verbale-scarica");
  assert.equal(link.getAttribute("data-nome"), F.verbali[0]);
  assert.equal(link.classList.contains("d-none"), false);
  assert.match(dialogs[0].searchParams.get("prompt"), /Verbale PDF\/A pronto/);
});

test("the download asks the server with the access code and saves the file", async () => {
  const calls = [];
  const a = element("download-link");
  globalThis.document.createElement = () => a;
  globalThis.fetch = async (url, opts) => {
    calls.push({ url, opts });
    return { ok: true, status: 200, blob: async () => new Blob(["%PDF-1.7"], { type: "application/pdf" }) };
  };
  storage.set("rendiconta.codice", "codice-comune");
  const providers = config.authProviders;
  config.authProviders = ["custom"];
  try {
    await scaricaVerbale(F.verbali[0]);
    assert.equal(calls[0].url, `${config.appPath}/rendiconta/verbale/${F.verbali[0]}`);
    assert.equal(calls[0].opts.headers.Authorization, "codice-comune");
    assert.equal(a.download, F.verbali[0]);
    assert.equal(a.clicked, 1);
    globalThis.fetch = async () => ({ ok: false, status: 404 });
    await assert.rejects(scaricaVerbale(F.verbali[0]), /Verbale non trovato o non consentito/);
  } finally {
    config.authProviders = providers;
    storage.delete("rendiconta.codice");
  }
});

test("Verifica without LibreOffice on the server: the pane says why there is no verbale", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.verifica_senza_pdf);
  assert.equal(element("verbale-scarica").classList.contains("d-none"), true);
  assert.equal(element("verbale-scarica").getAttribute("data-nome"), null);
  assert.match(element("verbale-nota").textContent, /^Il verbale PDF\/A non è stato prodotto: per il PDF serve LibreOffice/);
  assert.ok(wb.sheet("Verifica"), "the check is written all the same");
});

// --- Registra decisioni ------------------------------------------------------------------------------
test("Registra decisioni records the request for documents with the pane's deadline", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.decisioni_senza_scadenza);
  assert.equal(dialogs[0].searchParams.get("title"), "Rendiconta: errore");
  assert.match(dialogs[0].searchParams.get("prompt"), /scrivere nel riquadro la scadenza/);
  await esegui(wb, F.decisioni);
  assert.equal(dialogs[0].searchParams.get("title"), "Decisioni");
  assert.match(dialogs[0].searchParams.get("prompt"), new RegExp(`Richieste di integrazione: 1, con scadenza il ${F.scadenza}`));
});

// --- Blocca ---------------------------------------------------------------------------------------
function lockedRows(sheet, column) {
  const out = [];
  for (const [k, cell] of sheet.cells) {
    const [r, c] = k.split(",").map(Number);
    if (c === column && r > 3 && cell.locked) out.push(r);
  }
  return out.sort((a, b) => a - b);
}

test("Blocca writes the seals, locks the sealed rows and protects with the one set of options", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.blocca);
  const spese = wb.sheet("Spese");
  assert.ok(spese.protected);
  assert.deepEqual(spese.options, F.opzioni);
  const azione = headerPos("Spese", "Azione").col;
  const sealed = F.righe_sigillate;
  const locked = lockedRows(spese, azione).filter((r) => r <= 1003);
  assert.deepEqual(locked, sealed);
  // the Comune's outputs stay editable on sealed rows
  if (sealed.length) assert.equal(spese.peek(sealed[0], headerPos("Spese", "Esito").col).locked, false);
  const meta = wb.sheet("_meta");
  const keys = [...meta.cells.entries()].filter(([k]) => k.endsWith(",1")).map(([, c]) => String(c.value));
  if (sealed.length) assert.ok(keys.some((k) => k.startsWith("sigillo.")));
  for (const [k, c] of meta.cells) if (k.endsWith(",2") && Number(k.split(",")[0]) > 6) assert.equal(c.numberFormat, "@");
  assert.equal(dialogs[0].searchParams.get("title"), "Blocca");
});

test("a failed protection is reported in Italian, seals kept; a repeated Blocca completes it", async () => {
  if (!F.righe_sigillate.length) return; // before the first lock date there is nothing to protect
  const wb = new Workbook(F.programma_altra_password); // Spese protected by someone with another password
  let error = null;
  try {
    await esegui(wb, F.blocca);
  } catch (e) {
    error = e;
  }
  assert.ok(error, "the protection must fail");
  const text = traduciErrore(error);
  assert.match(text, /^I sigilli sono registrati, ma la protezione del foglio «Spese» non è riuscita/);
  assert.match(text, /Premere di nuovo Blocca/);
  const meta = wb.sheet("_meta");
  assert.ok([...meta.cells.values()].some((c) => String(c.value).startsWith("sigillo.")), "seals written first");
  // the user removes the other protection (Revisione > Rimuovi protezione foglio) and presses Blocca again
  Object.assign(wb.sheet("Spese"), { protected: false, password: "" });
  await esegui(wb, F.blocca_ripetuto);
  const spese = wb.sheet("Spese");
  assert.ok(spese.protected);
  assert.deepEqual(lockedRows(spese, headerPos("Spese", "Azione").col).filter((r) => r <= 1003), F.righe_sigillate);
});

test("Risigilla finestra writes the new seal into _meta and protects again", async () => {
  if (!F.righe_sigillate.length) return; // before the first lock date nothing is sealed
  const wb = new Workbook(F.programma);
  await esegui(wb, F.blocca);
  const hmac = () => {
    const meta = wb.sheet("_meta");
    for (const [k, c] of meta.cells) {
      if (c.value === "sigillo.finestra1.hmac") return meta.peek(Number(k.split(",")[0]), 2).value;
    }
    return null;
  };
  const before = hmac();
  await esegui(wb, F.risigilla);
  assert.equal(dialogs[0].searchParams.get("title"), "Risigilla");
  assert.match(dialogs[0].searchParams.get("prompt"), /sigillo rifatto: fattura corretta/);
  assert.ok(before && hmac() && hmac() !== before, "a new HMAC for window 1");
  assert.ok(wb.sheet("Spese").protected);
});

// --- Consolida ------------------------------------------------------------------------------------
test("Consolida fills the consolidation workbook's sheets", async () => {
  const wb = new Workbook(F.consolidato);
  await esegui(wb, F.consolida);
  const prog = wb.sheet("Programmi");
  let head = null;
  const headers = {};
  for (const [k, cell] of prog.cells) if (cell.value === "Programma") head = Number(k.split(",")[0]);
  for (const [k, cell] of prog.cells) {
    const [r, c] = k.split(",").map(Number);
    if (r === head) headers[cell.value] = c;
  }
  let found = false;
  for (let r = head + 1; r < head + 10; r++) {
    if (String(prog.peek(r, headers["Programma"]).value).replace(/^P/, "").replace(/\.0$/, "") === "1") {
      assert.ok(Math.abs(prog.peek(r, headers["Ammesso"]).value - F.ammesso_p1) < 0.005);
      found = true;
    }
  }
  assert.ok(found, "programme 1 row");
  assert.equal(wb.sheets[wb.active].name, "Programmi");
  assert.equal(dialogs[0].searchParams.get("title"), "Consolida");
});

test("address helpers", () => {
  assert.deepEqual(parseA1("B3:D7"), { r0: 3, c0: 2, r1: 7, c1: 4 });
  assert.equal(colNumber("AA"), 27);
});

// --- the large sheets, read by the task pane in blocks of rows ------------------------------------
const { leggiFogli, BYTE_BLOCCO, erroreLettura } = await import(pathToFileURL(`${STATIC}/rendiconta.js`));
const LIMITE = 5 * 1024 * 1024;

test("leggiFogli reads the programme sheets as getBookData sent them, with their tables' rows", async () => {
  const wb = new Workbook(F.programma);
  current = wb;
  const fogli = await Excel.run((context) => leggiFogli(context, ["Spese", "Cofinanziamento", "Budget", "Assente"]));
  assert.deepEqual(Object.keys(fogli.griglie).sort(), ["Budget", "Cofinanziamento", "Spese"]);
  for (const nome of Object.keys(F.griglie_programma)) {
    assert.deepEqual(fogli.griglie[nome], F.griglie_programma[nome], nome);
  }
  assert.deepEqual(fogli.tabelle, F.tabelle_programma);
});

test("dates read as xlwings reads them: a date-formatted serial as ISO text, typed text and numbers as they are", async () => {
  // 46099 days after 30/12/1899 is 18/03/2026 (25569 is 01/01/1970; 46099 - 25569 = 20530 days =
  // 56 years with 14 leap days (20454) to 01/01/2026, + 76 days: 31 of January, 28 of February, 17 of March)
  const wb = new Workbook([
    {
      name: "Spese",
      values: [
        ["Data", "Testo", "Numero", "Importo"],
        [46099, "18/03/2026", 46099, 1234.5],
        [46099.5, "2026-03-18", "", 0],
      ],
      formats: [
        ["General", "General", "General", "General"],
        ["dd/mm/yyyy", "@", "General", '#,##0.00 "€"'],
        ["dd/mm/yyyy hh:mm", "@", "0", "#,##0.00"],
      ],
    },
  ]);
  current = wb;
  const { griglie } = await Excel.run((context) => leggiFogli(context, ["Spese"]));
  assert.deepEqual(griglie.Spese, [
    ["Data", "Testo", "Numero", "Importo"],
    ["2026-03-18T00:00:00.000Z", "18/03/2026", 46099, 1234.5],
    ["2026-03-18T12:00:00.000Z", "2026-03-18", "", 0],
  ]);
});

// A Spese sheet of 10,000 expense rows below its three header rows, 28 columns as the template's
// (text, dates, amounts with their formats): about 790 bytes a row with the formats, 7.9 MB in all.
function speseGrandi(righe) {
  const values = [["Spese"], [], Array.from({ length: 28 }, (_, j) => `Colonna ${j + 1}`)];
  const formats = [[], [], []];
  const riga = [];
  const formato = [];
  for (let j = 0; j < 28; j++) {
    if (j % 7 === 3) {
      riga.push(46099);
      formato.push("dd/mm/yyyy");
    } else if (j % 7 === 5) {
      riga.push(1234.56);
      formato.push('#,##0.00 "€"');
    } else {
      riga.push(`Fattura 123/2026 riga ${j}`);
      formato.push("@");
    }
  }
  for (let i = 0; i < righe; i++) {
    values.push(riga.map((v, j) => (j === 0 ? `1.${i}` : v)));
    formats.push(formato);
  }
  return new Workbook([{ name: "Spese", values, formats, tables: [{ name: "TabSpese", address: `A3:AB${righe + 3}` }] }]);
}

test("a 10,000-row sheet: one read is over Excel on the web's 5 MB, the blocks each under 1 MB", async () => {
  const wb = speseGrandi(10000);
  current = wb;
  // what getBookData does: the whole used range in one request
  await assert.rejects(
    Excel.run(async (context) => {
      const r = context.workbook.worksheets.getItem("Spese").getRangeByIndexes(0, 0, 10003, 28);
      r.load("values, numberFormat");
      await context.sync();
    }),
    (e) => e.code === "RequestPayloadSizeLimitExceeded",
  );
  wb.payloads.length = 0;
  const misure = [];
  const { griglie, tabelle } = await Excel.run((context) => leggiFogli(context, ["Spese"], { misure }));
  assert.equal(griglie.Spese.length, 10003);
  assert.equal(griglie.Spese[10002][0], "1.9999");
  assert.equal(griglie.Spese[4][3], "2026-03-18T00:00:00.000Z");
  assert.equal(griglie.Spese[4][5], 1234.56);
  assert.deepEqual(tabelle, { Spese: [[3, 10003]] });
  const totale = misure.reduce((a, m) => a + m.byte, 0);
  assert.ok(totale > LIMITE, `${totale} bytes in all`);
  assert.ok(misure.length >= 8, `${misure.length} blocks`);
  assert.ok(Math.max(...wb.payloads) < BYTE_BLOCCO * 1.05, `largest Excel response ${Math.max(...wb.payloads)}`);
  assert.equal(Math.max(...wb.payloads), Math.max(...misure.map((m) => m.byte)));
});

test("cells of 32,767 characters: a block Excel refuses is read again in halves, then one row at a time", async () => {
  const lunga = "x".repeat(32767);
  const values = Array.from({ length: 30 }, (_, i) => Array.from({ length: 28 }, (_, j) => (j === 0 ? `riga ${i}` : lunga)));
  const wb = new Workbook([{ name: "Spese", values }]);
  current = wb;
  const misure = [];
  const { griglie } = await Excel.run((context) => leggiFogli(context, ["Spese"], { misure }));
  assert.equal(griglie.Spese.length, 30);
  assert.equal(griglie.Spese[29][0], "riga 29");
  assert.equal(griglie.Spese[29][27].length, 32767);
  // a row: 27 cells of 32,767 characters (+ quotes and commas) ≈ 0.88 MB, its formats ~ 300 bytes
  assert.ok(wb.payloads.every((b) => b <= LIMITE));
  // after the first block: one row each (a row alone weighs more than BYTE_BLOCCO), under 1 MB
  assert.ok(misure.slice(1).every((m) => m.righe === 1 && m.byte < 1024 * 1024), JSON.stringify(misure.slice(0, 3)));
  assert.equal(misure.reduce((a, m) => a + m.righe, 0), 30);
});

// --- the buttons: clear, read in blocks, run with include `_meta` ---------------------------------------
function premi(script, args) {
  const b = element(`btn-${script}`);
  b.setAttribute("xw-click", script);
  if (args !== undefined) b.setAttribute("xw-args", args);
  const event = { target: b, stopped: false, stopImmediatePropagation() { this.stopped = true; }, preventDefault() {} };
  for (const l of documentListeners) if (l.type === "click" && l.capture) l.fn(event);
  return event;
}

async function conSpia(fn) {
  const chiamate = [];
  const originale = xlwings.runPython;
  xlwings.runPython = async (opzioni) => {
    chiamate.push(opzioni);
  };
  try {
    await fn();
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)); // the click's async work
  } finally {
    xlwings.runPython = originale;
  }
  return chiamate;
}

test("Valida: the outcomes cleared, the large sheets read in blocks, xlwings includes only _meta", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.valida); // outcomes in the sheet
  current = wb;
  let event;
  const chiamate = await conSpia(() => {
    event = premi("valida");
  });
  assert.ok(event.stopped, "xlwings' own handler does not run");
  assert.equal(chiamate.length, 1);
  const [c] = chiamate;
  assert.equal(c.scriptName, "valida");
  assert.equal(c.include, "_meta");
  assert.equal(c.errorDisplayMode, "taskpane");
  assert.equal(c.args.length, 1);
  const { griglie, tabelle } = c.args[0];
  assert.deepEqual(Object.keys(griglie).sort(), ["Budget", "Cofinanziamento", "Spese"]);
  assert.deepEqual(tabelle, F.tabelle_programma);
  const { row: head, col: esito } = headerPos("Spese", "Esito");
  for (const r of griglie.Spese.slice(head)) assert.ok(r.length < esito || r[esito - 1] === "", "outcomes cleared");
  assert.equal(element("btn-valida").getAttribute("disabled"), null, "the button is enabled again");
  assert.equal(element("btn-valida").children.length, 0, "no spinner left");
});

test("Registra decisioni sends the deadline and the Verifica sheet; Consolida's button is left alone", async () => {
  const wb = new Workbook([...F.programma, { name: "Verifica", values: [["Riga", "Tipologia errore"], [6, ""]] }]);
  current = wb;
  const chiamate = await conSpia(() => premi("registra_decisioni", '["15/12/2026"]'));
  assert.equal(chiamate.length, 1);
  assert.equal(chiamate[0].include, "_meta");
  assert.deepEqual(chiamate[0].args, ["15/12/2026", { griglie: { Verifica: [["Riga", "Tipologia errore"], [6, ""]] }, tabelle: { Verifica: [] } }]);
  const altro = await conSpia(() => {
    const event = premi("consolida_altro");
    assert.equal(event.stopped, false);
  });
  assert.equal(altro.length, 0);
});

test("a read Excel refuses: an Italian message, nothing sent, the note on the cleared outcomes", async () => {
  const wb = new Workbook(F.programma);
  await esegui(wb, F.valida);
  // svuotaEsiti's three requests go through, then Excel refuses every read (even a single row)
  const sync = wb.sync.bind(wb);
  let n = 0;
  wb.sync = async () => {
    if (++n > 3) wb.limite = 10;
    return sync();
  };
  current = wb;
  const span = element("global-error");
  const chiamate = await conSpia(() => premi("verifica"));
  assert.equal(chiamate.length, 0);
  assert.match(span.textContent, /^Excel non ha letto la cartella \(dati troppo grandi per una sola richiesta\)/);
  for (const o of observers) o.cb([]); // the observer leaves the task pane's own text as it is
  assert.match(span.textContent, /premere di nuovo il pulsante per riscriverli\.$/);
  assert.equal(span.textContent.split("svuotati").length, 2, "the note once");
  assert.match(erroreLettura({ code: "AccessDenied" }), /accesso negato/);
});
