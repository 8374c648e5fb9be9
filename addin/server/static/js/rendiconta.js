// The add-in's own Office.js code, without DOM: the callbacks that xlwings scripts run through
// runMacro (number formats, sheet protection) and the Italian text of every failure the task pane
// shows. main.js registers and wires them; tests/js runs them in Node against an Office.js mock.

// Every number format of a script in one action and one sync: [{foglio, formati: {format: [A1]}}].
// `riquadro` (optional): what the task pane shows afterwards (Verifica: the verbale), handed to
// globalThis.aggiornaRiquadro (main.js); it rides on this action so that Verifica stays within ten.
export async function formattaCelle(context, fogli, riquadro) {
  for (const f of fogli) {
    const ws = context.workbook.worksheets.getItem(f.foglio);
    for (const [formato, indirizzi] of Object.entries(f.formati)) {
      for (const a of indirizzi) ws.getRange(a).numberFormat = [[formato]];
    }
  }
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
