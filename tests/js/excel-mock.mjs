// An Excel object model for Node with the rules the add-in depends on (our own, as issue #14 allows):
// - batching: writes and loads are queued and applied only by context.sync(), in order; a failing
//   operation rejects the sync with an Office.js-like error {code, message} and drops the rest of
//   the batch (what Excel does); reading a collection's items before load + sync throws;
// - protection: on a protected sheet, values may be written only into unlocked cells, and number
//   formats and lock flags may not change; protect() on a protected sheet and unprotect() with the
//   wrong password fail;
// - Excel on the web's payload limit: a sync whose loaded values and number formats plus written values
//   exceed `limite` bytes (5 MB, as JSON in UTF-8) fails with RequestPayloadSizeLimitExceeded and loads
//   nothing; `payloads` keeps the bytes of every sync that went through.
// The worksheet protection object is an office-addin-mock OfficeMockObject, so that reading
// `protected` without load() + sync() yields office-addin-mock's error value, not the state.
import { OfficeMockObject } from "office-addin-mock";

export class ExcelError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "RichApi.Error";
  }
}

export function colNumber(letters) {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

export function colLetters(n) {
  let s = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

// "B3:D7" -> {r0: 3, c0: 2, r1: 7, c1: 4} (1-based)
export function parseA1(address) {
  const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(address.replace(/\$/g, "").split("!").pop());
  if (!m) throw new ExcelError("InvalidArgument", `Indirizzo non valido: ${address}`);
  const r0 = Number(m[2]);
  const c0 = colNumber(m[1]);
  return { r0, c0, r1: m[4] ? Number(m[4]) : r0, c1: m[3] ? colNumber(m[3]) : c0 };
}

class Sheet {
  constructor(name) {
    this.name = name;
    this.cells = new Map(); // "r,c" -> {value, numberFormat, locked}
    this.protected = false;
    this.password = "";
    this.options = null;
    this.visibility = "Visible";
    this.tables = []; // [{name, address}]
  }
  cell(r, c) {
    const k = `${r},${c}`;
    if (!this.cells.has(k)) this.cells.set(k, { value: "", numberFormat: "General", locked: true });
    return this.cells.get(k);
  }
  peek(r, c) {
    return this.cells.get(`${r},${c}`) || { value: "", numberFormat: "General", locked: true };
  }
}

export class Workbook {
  // fogli: [{name, values (2D, from A1), formats (optional, 2D), protected, password,
  //          unlocked: [A1 ranges], tables: [{name, address}]}]
  constructor(fogli = []) {
    this.sheets = [];
    this.queue = [];
    this.mocks = [];
    this.syncs = 0;
    this.active = 0;
    this.limite = 5 * 1024 * 1024;
    this.payloads = [];
    this.bytes = 0; // of the batch being synced
    for (const f of fogli) {
      const s = new Sheet(f.name);
      (f.values || []).forEach((row, i) =>
        row.forEach((v, j) => {
          if (v !== "" && v !== null) s.cell(i + 1, j + 1).value = v;
        }),
      );
      (f.formats || []).forEach((row, i) =>
        row.forEach((nf, j) => {
          if (nf && nf !== "General") s.cell(i + 1, j + 1).numberFormat = nf;
        }),
      );
      s.tables = (f.tables || []).map((t) => ({ ...t }));
      for (const a of f.unlocked || []) this.#each(s, a, (cell) => (cell.locked = false));
      s.protected = Boolean(f.protected);
      s.password = f.password || "";
      s.visibility = f.visibility || "Visible";
      this.sheets.push(s);
    }
    this.context = this.#context();
  }

  sheet(name) {
    return this.sheets.find((s) => s.name === name);
  }

  #each(sheet, address, fn) {
    const { r0, c0, r1, c1 } = parseA1(address);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) fn(sheet.cell(r, c), r, c);
  }

  #find(name) {
    const s = this.sheet(name);
    if (!s) throw new ExcelError("ItemNotFound", `The requested resource doesn't exist: ${name}`);
    return s;
  }

  async sync() {
    this.syncs += 1;
    const ops = this.queue;
    this.queue = [];
    this.bytes = 0;
    this.pending = [];
    for (const op of ops) op(); // a throwing op rejects the sync; the rest of the batch is dropped
    if (this.bytes > this.limite) {
      for (const undo of this.pending) undo(); // nothing loaded (writes of the batch: not modelled)
      throw new ExcelError("RequestPayloadSizeLimitExceeded", "The request payload size has exceeded the limit.");
    }
    this.payloads.push(this.bytes);
    const mocks = this.mocks;
    this.mocks = [];
    for (const m of mocks) await m.sync();
  }

  #context() {
    const wb = this;
    const worksheets = {
      _loaded: false,
      load() {
        wb.queue.push(() => {
          worksheets._items = wb.sheets.map((s) => wb.worksheet(() => s));
          worksheets._loaded = true;
        });
        return worksheets;
      },
      get items() {
        if (!worksheets._loaded) {
          throw new ExcelError("PropertyNotLoaded", "The property 'items' is not available: call load() and sync().");
        }
        return worksheets._items;
      },
      getItem(name) {
        return wb.worksheet(() => wb.#find(name));
      },
      getActiveWorksheet() {
        return wb.worksheet(() => wb.sheets[wb.active]);
      },
      add(name) {
        let created = null;
        wb.queue.push(() => {
          if (name && wb.sheet(name)) throw new ExcelError("ItemAlreadyExists", `Sheet ${name} exists`);
          created = new Sheet(name || `Foglio${wb.sheets.length + 1}`);
          wb.sheets.push(created);
        });
        const ws = wb.worksheet(() => created);
        return ws;
      },
    };
    return {
      workbook: { worksheets },
      sync: () => wb.sync(),
    };
  }

  // A Worksheet proxy: `resolve` finds the sheet when the queued operation runs.
  worksheet(resolve) {
    const wb = this;
    const protection = new OfficeMockObject({ protected: false });
    const load = protection.load.bind(protection);
    protection.load = (p) => {
      wb.queue.push(() => protection.setValue("protected", resolve().protected));
      wb.mocks.push(protection);
      return load(p);
    };
    protection.protect = (options, password) =>
      wb.queue.push(() => {
        const s = resolve();
        if (s.protected) throw new ExcelError("InvalidOperation", "The sheet is already protected.");
        Object.assign(s, { protected: true, password: password || "", options: options || {} });
      });
    protection.unprotect = (password) =>
      wb.queue.push(() => {
        const s = resolve();
        if (s.protected && (password || "") !== s.password) {
          throw new ExcelError("InvalidArgument", "The password is incorrect.");
        }
        Object.assign(s, { protected: false, options: null });
      });
    const ws = {
      protection,
      get name() {
        return resolve().name;
      },
      set position(p) {
        wb.queue.push(() => {
          const s = resolve();
          wb.sheets.splice(wb.sheets.indexOf(s), 1);
          wb.sheets.splice(p, 0, s);
        });
      },
      activate() {
        wb.queue.push(() => (wb.active = wb.sheets.indexOf(resolve())));
      },
      getRange(address) {
        return wb.range(resolve, () => parseA1(address));
      },
      getRangeByIndexes(row, col, nrows, ncols) {
        return wb.range(resolve, () => ({ r0: row + 1, c0: col + 1, r1: row + nrows, c1: col + ncols }));
      },
      // the values-only used range: from the first to the last cell holding a value (loaded by sync)
      // the sheet's Excel tables: load("items/name"), then each one's getRange().load("rowIndex, rowCount")
      tables: (() => {
        const tables = {
          _items: null,
          load() {
            wb.queue.push(() => {
              tables._items = resolve().tables.map((t) => ({
                name: t.name,
                getRange() {
                  const box = parseA1(t.address);
                  const area = {
                    load() {
                      wb.queue.push(() => Object.assign(area, { rowIndex: box.r0 - 1, rowCount: box.r1 - box.r0 + 1 }));
                      return area;
                    },
                  };
                  return area;
                },
              }));
            });
            return tables;
          },
          get items() {
            if (tables._items === null) {
              throw new ExcelError("PropertyNotLoaded", "The property 'items' is not available: call load() and sync().");
            }
            return tables._items;
          },
        };
        return tables;
      })(),
      getUsedRangeOrNullObject() {
        const used = {
          load() {
            wb.queue.push(() => {
              let [r0, r1, c0, c1] = [Infinity, 0, Infinity, 0];
              for (const [k, c] of resolve().cells) {
                if (c.value === "" || c.value === null) continue;
                const [r, col] = k.split(",").map(Number);
                [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, col), Math.max(c1, col)];
              }
              used.isNullObject = r1 === 0;
              if (r1) {
                used.rowIndex = r0 - 1;
                used.rowCount = r1 - used.rowIndex;
                used.columnIndex = c0 - 1;
                used.columnCount = c1 - used.columnIndex;
              }
            });
            return used;
          },
        };
        return used;
      },
      getRanges() {
        return {
          clear(applyTo) {
            wb.queue.push(() => {
              const s = resolve();
              for (const cell of s.cells.values()) {
                if (s.protected && cell.locked) throw new ExcelError("AccessDenied", "The sheet is protected.");
                if (applyTo !== "Formats") cell.value = "";
                if (applyTo !== "Contents") cell.numberFormat = "General";
              }
            });
          },
        };
      },
    };
    return ws;
  }

  range(resolveSheet, resolveBox) {
    const wb = this;
    const box = () => resolveBox();
    const guard = (s, what) => {
      if (s.protected) {
        throw new ExcelError(
          "AccessDenied",
          `The cell or chart you're trying to change is on a protected sheet (${what}).`,
        );
      }
    };
    const format = {
      protection: {
        set locked(v) {
          wb.queue.push(() => {
            const s = resolveSheet();
            guard(s, "locked");
            const { r0, c0, r1, c1 } = box();
            for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) s.cell(r, c).locked = v;
          });
        },
      },
    };
    let loaded = null;
    let formats = null;
    return {
      format,
      load(props = "values") {
        const names = Array.isArray(props) ? props : String(props).split(",").map((p) => p.trim());
        wb.queue.push(() => {
          const s = resolveSheet();
          const { r0, c0, r1, c1 } = box();
          loaded = [];
          const nf = [];
          for (let r = r0; r <= r1; r++) {
            const row = [];
            const frow = [];
            for (let c = c0; c <= c1; c++) {
              const cell = s.peek(r, c);
              row.push(cell.value);
              frow.push(cell.numberFormat);
            }
            loaded.push(row);
            nf.push(frow);
          }
          if (names.includes("numberFormat")) formats = nf;
          wb.bytes += utf8(loaded) + (names.includes("numberFormat") ? utf8(nf) : 0);
          wb.pending.push(() => {
            loaded = null;
            formats = null;
          });
        });
        return this;
      },
      get values() {
        if (loaded === null) {
          throw new ExcelError("PropertyNotLoaded", "The property 'values' is not available: call load() and sync().");
        }
        return loaded;
      },
      get numberFormat() {
        if (formats === null) {
          throw new ExcelError("PropertyNotLoaded", "The property 'numberFormat' is not available: call load() and sync().");
        }
        return formats;
      },
      set values(matrix) {
        wb.queue.push(() => {
          wb.bytes += utf8(matrix);
          const s = resolveSheet();
          const { r0, c0, r1, c1 } = box();
          if (matrix.length !== r1 - r0 + 1 || matrix.some((row) => row.length !== c1 - c0 + 1)) {
            throw new ExcelError("InvalidArgument", "The number of rows or columns in the input array doesn't match the size or dimensions of the range.");
          }
          matrix.forEach((row, i) =>
            row.forEach((v, j) => {
              const cell = s.cell(r0 + i, c0 + j);
              if (s.protected && cell.locked) guard(s, "values");
              // Excel reads a typed text as the user would, unless the cell is formatted as text
              cell.value = typeof v === "string" && cell.numberFormat !== "@" ? interpreta(v) : v;
            }),
          );
        });
      },
      set numberFormat(matrix) {
        wb.queue.push(() => {
          const s = resolveSheet();
          if (s.protected && !(s.options && s.options.allowFormatCells)) guard(s, "numberFormat");
          const { r0, c0, r1, c1 } = box();
          for (let r = r0; r <= r1; r++) {
            for (let c = c0; c <= c1; c++) {
              const row = matrix.length === 1 ? matrix[0] : matrix[r - r0];
              s.cell(r, c).numberFormat = row.length === 1 ? row[0] : row[c - c0];
            }
          }
        });
      },
      clear(applyTo) {
        wb.queue.push(() => {
          const s = resolveSheet();
          const { r0, c0, r1, c1 } = box();
          for (let r = r0; r <= r1; r++) {
            for (let c = c0; c <= c1; c++) {
              const cell = s.cell(r, c);
              if (s.protected && cell.locked) guard(s, "clear");
              if (applyTo !== "Formats") cell.value = "";
              if (applyTo !== "Contents") cell.numberFormat = "General";
            }
          }
        });
      },
    };
  }
}

const encoder = new TextEncoder();
function utf8(x) {
  return encoder.encode(JSON.stringify(x)).length;
}

// What Excel does with a string written into a General cell: "1/2026" becomes a date (serial),
// "=..." a formula (kept as {formula}); text formatted "@" stays text.
function interpreta(v) {
  if (/^=/.test(v)) return { formula: v };
  const m = /^(\d{1,2})\/(\d{4})$/.exec(v) || /^(\d{1,2})\/(\d{1,2})\/(\d{2,4})$/.exec(v);
  if (m) return { dateFromText: v };
  return v;
}
