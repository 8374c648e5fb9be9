// The add-in's own Office.js code, without DOM: the callbacks that xlwings scripts run through
// runMacro (number formats, sheet protection) and the Italian text of every failure the task pane
// shows. main.js registers and wires them; tests/js runs them in Node against an Office.js mock.
import { convertDateValues } from "./custom-scripts/workbook-metadata.js";

// Every number format of a script in one action and one sync: [{foglio, formati: {format: [A1]},
// pulisci, attiva}]. A sheet with `pulisci` is cleared first (values and formats, as xlwings' sheetClear
// action), the sheet with `attiva` is shown (as activateSheet). `riquadro` (optional): what the task pane
// shows afterwards (Verifica: the verbale), handed to globalThis.aggiornaRiquadro (main.js). All of it
// rides on this one action so that Verifica stays within ten (docs/addin.md).
export async function formattaCelle(context, fogli, riquadro) {
  const foglio = (f) => context.workbook.worksheets.getItem(f.foglio);
  for (const f of fogli) if (f.pulisci) foglio(f).getRanges().clear("All");
  for (const f of fogli) {
    const ws = foglio(f);
    for (const [formato, indirizzi] of Object.entries(f.formati)) {
      for (const a of indirizzi) ws.getRange(a).numberFormat = [[formato]];
    }
  }
  for (const f of fogli) if (f.attiva) foglio(f).activate();
  try {
    await context.sync();
  } catch (e) {
    throw new ErroreRendiconta(
      `Excel non ha applicato i formati delle celle (${descrizione(e)}). ` +
        "Uscire dalla modifica della cella (Invio o Esc) e premere di nuovo il pulsante.",
    );
  }
  if (riquadro && typeof globalThis.aggiornaRiquadro === "function") await globalThis.aggiornaRiquadro(riquadro);
}

// Blocca, after the seals: for each sheet unlock the data area, lock the sealed rows' input cells,
// protect the sheet with the options decided on the server (addin/workbook/protection.py, the same
// for the CLI). A failure says that the seals are recorded and that pressing Blocca again completes it.
export async function proteggiRighe(context, fogli) {
  for (const f of fogli) {
    try {
      const ws = context.workbook.worksheets.getItem(f.foglio);
      ws.protection.load("protected");
      await context.sync();
      if (ws.protection.protected) ws.protection.unprotect(f.password || undefined);
      for (const a of f.sbloccate) ws.getRange(a).format.protection.locked = false;
      for (const a of f.bloccate) ws.getRange(a).format.protection.locked = true;
      ws.protection.protect(f.opzioni, f.password || undefined);
      await context.sync();
    } catch (e) {
      throw new ErroreRendiconta(
        `I sigilli sono registrati, ma la protezione del foglio «${f.foglio}» non è riuscita ` +
          `(${descrizione(e)}). Premere di nuovo Blocca per completarla; se il foglio è protetto con ` +
          "un'altra password, toglierla (Revisione > Rimuovi protezione foglio) e riprovare.",
      );
    }
  }
}

export class ErroreRendiconta extends Error {}

const CODICI = {
  AccessDenied: "accesso negato: il foglio o la cartella sono protetti",
  InvalidArgument: "dato non valido",
  ItemNotFound: "foglio o intervallo non trovato",
  InvalidOperation: "operazione non consentita in questo momento",
  GeneralException: "errore interno di Excel",
  RequestPayloadSizeLimitExceeded: "dati troppo grandi per una sola richiesta",
  ApiNotFound: "funzione di Excel non disponibile in questa versione",
  Conflict: "conflitto con un'altra modifica in corso",
  InsertDeleteConflict: "conflitto con righe inserite o eliminate",
};

function descrizione(e) {
  const code = e && e.code;
  if (code && CODICI[code]) return CODICI[code];
  return (e && e.message) || String(e);
}

// The Italian text (with what to do) of a failure as xlwings' runPython or fetch report it.
export function traduciErrore(errore) {
  const testo = String((errore && errore.message) || errore || "").trim();
  const azione = /^Action (\d+) \((\w+)\) failed: ([\s\S]*?)\.?( Up to \d+ actions? may[\s\S]*)?$/.exec(testo);
  if (azione) {
    const causa = azione[3];
    if (/^(I sigilli|Excel non ha)/.test(causa)) return causa.endsWith(".") ? causa : causa + ".";
    const parziale = Number(azione[1]) > 1 ? " Alcune modifiche potrebbero essere già state scritte." : "";
    if (/protect|AccessDenied|protetto/i.test(causa)) {
      return (
        "Excel non ha potuto scrivere nel foglio: è protetto. Chiedere al Comune se il foglio è " +
        "bloccato; altrimenti togliere la protezione (Revisione > Rimuovi protezione foglio) e riprovare." +
        parziale
      );
    }
    if (/payload|size|too large/i.test(causa)) {
      return "La risposta è troppo grande per Excel per il web (limite 5 MB): usare Excel per Windows o Mac." + parziale;
    }
    return (
      `Excel non ha completato l'operazione (${causa}). Uscire dalla modifica della cella (Invio o Esc) ` +
      "e premere di nuovo il pulsante; se si ripete, avvisare il Comune." +
      parziale
    );
  }
  if (/^No response received from server/.test(testo) || /Failed to fetch|NetworkError|timeout/i.test(testo)) {
    return "Il server non risponde: controllare la connessione a Internet e riprovare tra qualche minuto.";
  }
  if (!testo || /^(Unknown server error|An error occurred\.?|Internal Server Error)$/.test(testo)) {
    return "Errore del server: riprovare; se si ripete, avvisare il Comune indicando giorno e ora.";
  }
  if (/^Access Denied|Auth error|Missing roles/i.test(testo)) {
    return "Operazione non consentita con questo codice di accesso: usare il codice del Comune.";
  }
  if (/[àèéìòù«]|\b(il|la|non|della|del|per)\b/i.test(testo)) return testo; // already Italian (our server)
  return `Errore: ${testo}. Riprovare; se si ripete, avvisare il Comune indicando giorno e ora.`;
}

// Valida, Verifica and Blocca rewrite Esito, Importo ammesso and Motivi of every row; sent back to the
// server they would add about 210 bytes a row to what Excel on the web must read in one request (5 MB at
// most: docs/addin.md, «Limite di Excel per il web»). Before those scripts the task pane clears them on
// `Spese`, from below the header to the last used row. True when cleared; false (nothing changed, the
// script runs anyway) when the workbook is not a programme's, the sheet or the columns are missing or
// Excel refuses (a locked cell).
export const COLONNE_ESITI = ["Esito", "Importo ammesso", "Motivi"];

export async function svuotaEsiti(context, foglio = "Spese") {
  try {
    // only in a programme workbook: the consolidation workbook's Spese has the same three columns,
    // which Valida would not rewrite there (`_meta`: key «tipo», value «programma» or no such key)
    const meta = context.workbook.worksheets.getItem("_meta").getRangeByIndexes(0, 0, 20, 2);
    meta.load("values");
    await context.sync();
    const tipo = meta.values.find((r) => String(r[0]).trim() === "tipo");
    if (tipo && String(tipo[1]).trim() !== "programma") return false;
    const ws = context.workbook.worksheets.getItem(foglio);
    const usato = ws.getUsedRangeOrNullObject(true);
    usato.load("isNullObject, rowIndex, rowCount");
    const testa = ws.getRangeByIndexes(0, 0, 10, 60);
    testa.load("values");
    await context.sync();
    if (usato.isNullObject) return false;
    const riga = testa.values.findIndex((r) => COLONNE_ESITI.every((h) => r.includes(h)));
    const fine = usato.rowIndex + usato.rowCount; // 0-based, past the last used row
    if (riga < 0 || fine <= riga + 1) return false;
    const colonne = COLONNE_ESITI.map((h) => testa.values[riga].indexOf(h));
    const c0 = Math.min(...colonne);
    const c1 = Math.max(...colonne);
    if (c1 - c0 !== COLONNE_ESITI.length - 1) return false;
    ws.getRangeByIndexes(riga + 1, c0, fine - riga - 1, c1 - c0 + 1).clear("Contents");
    await context.sync();
    return true;
  } catch (e) {
    return false;
  }
}

// The Italian text of a failure while the task pane reads the workbook (leggiFogli): nothing was sent.
export function erroreLettura(e) {
  return (
    `Excel non ha letto la cartella (${descrizione(e)}): nulla è stato inviato al server. Uscire dalla ` +
    "modifica della cella (Invio o Esc) e premere di nuovo il pulsante; se si ripete, avvisare il Comune."
  );
}

// What the task pane adds to a failure after it cleared the outcomes.
export const ESITI_CANCELLATI =
  " Esito, Importo ammesso e Motivi sono stati svuotati prima dell'invio: premere di nuovo il pulsante per riscriverli.";

// --- the large sheets, read in blocks of rows ---------------------------------------------------------
// Excel on the web refuses any single request or response over 5 MB (RequestPayloadSizeLimitExceeded).
// xlwings' getBookData reads every included sheet's values and number formats in ONE request: 5.7 MB
// after Blocca and 6.9 MB for Registra decisioni at 10,000 rows. So the task pane reads the large sheets
// itself, a block of rows per request, and sends them to the script as its last argument; xlwings then
// includes only `_meta` (docs/addin.md, «Limite di Excel per il web»).
//
// Each block loads values AND number formats and goes through xlwings' own convertDateValues, as
// getBookData does: date-formatted serials become ISO text, a date typed as text and a plain number stay
// as they are, so the script parses exactly what it parsed before (same outcomes, same seal texts). The
// formats double what a block weighs, not what travels to the server.
//
// Block size: the first block is PRIME_RIGHE rows; each next one aims at BYTE_BLOCCO bytes at the bytes
// per row measured so far (at most twice the previous block). A block Excel refuses as too large is read
// again in halves, down to one row: the widest row of the templates (Spese, 28 columns) filled with
// 32,767 characters a cell (the most a cell holds) weighs about 0.9 MB (1.8 MB in two-byte characters),
// under the limit. A block read before any measure (the first) or after a jump in row size can exceed
// BYTE_BLOCCO (never the limit: Excel refuses it, it is read again in halves), and so does a single row
// heavier than BYTE_BLOCCO; every other block stays near BYTE_BLOCCO (0.75 MB: at 10,000 rows the largest
// measured was under 1 MB, bench/addin_dimensioni.py).

export const BYTE_BLOCCO = 750000; // bytes an Excel response aims at (values and formats of a block)
export const PRIME_RIGHE = 64;

function troppoGrande(e) {
  return /PayloadSize|payload|too large/i.test(`${(e && e.code) || ""} ${(e && e.message) || ""}`);
}

const codifica = new TextEncoder();
const byteDi = (x) => codifica.encode(JSON.stringify(x)).length;

// {griglie: {sheet: values from A1 to the last used cell (values-only used range, as getBookData)},
//  tabelle: {sheet: [[first, last], ...] 1-based rows of its Excel tables}} for the `nomi` sheets that
// exist; `misure` (optional) receives {foglio, righe, byte} of every block read.
export async function leggiFogli(context, nomi, { byteBlocco = BYTE_BLOCCO, primeRighe = PRIME_RIGHE, misure } = {}) {
  const ws = context.workbook.worksheets;
  ws.load("items/name");
  await context.sync();
  const presenti = ws.items.map((s) => s.name).filter((n) => nomi.includes(n));
  const fogli = presenti.map((nome) => {
    const sheet = ws.getItem(nome);
    const usato = sheet.getUsedRangeOrNullObject(true);
    usato.load("rowIndex, rowCount, columnIndex, columnCount"); // isNullObject: known after the sync
    const tabelle = sheet.tables;
    tabelle.load("items/name");
    return { nome, sheet, usato, tabelle };
  });
  await context.sync();
  for (const f of fogli) f.aree = f.tabelle.items.map((t) => t.getRange().load("rowIndex, rowCount"));
  await context.sync();
  const out = { griglie: {}, tabelle: {} };
  for (const f of fogli) {
    out.tabelle[f.nome] = f.aree.map((a) => [a.rowIndex + 1, a.rowIndex + a.rowCount]);
    // an empty sheet: A1 alone, as getBookData sends it
    const righe = f.usato.isNullObject ? 1 : f.usato.rowIndex + f.usato.rowCount;
    const colonne = f.usato.isNullObject ? 1 : f.usato.columnIndex + f.usato.columnCount;
    const griglia = [];
    let n = primeRighe;
    for (let r = 0; r < righe; ) {
      const k = Math.max(1, Math.min(n, righe - r));
      const blocco = f.sheet.getRangeByIndexes(r, 0, k, colonne);
      blocco.load("values, numberFormat");
      try {
        await context.sync();
      } catch (e) {
        if (k > 1 && troppoGrande(e)) {
          n = Math.floor(k / 2);
          continue;
        }
        throw e;
      }
      const valori = blocco.values;
      const formati = blocco.numberFormat;
      const byte = byteDi(valori) + byteDi(formati);
      if (misure) misure.push({ foglio: f.nome, righe: k, byte });
      convertDateValues(valori, formati);
      for (const riga of valori) griglia.push(riga);
      r += k;
      n = Math.max(1, Math.min(2 * k, Math.floor(byteBlocco / Math.max(1, byte / k))));
    }
    out.griglie[f.nome] = griglia;
  }
  return out;
}
