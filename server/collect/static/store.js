// The device's storage: one IndexedDB database for this origin.
//   households  — every household on the device (drafts, outbox, sent, rejected, conflicts)
//   assignments — last round's households pulled from the server (to revisit)
//   meta        — the device token, who it belongs to, the pull cursor, the questionnaire copy
const NAME = "povcensus-collect";
const VERSION = 1;
let opened = null;

export class StorageError extends Error {
  constructor(kind, cause) {
    super(`${kind}: ${cause && cause.message ? cause.message : cause}`);
    this.kind = kind; // "denied" | "full" | "failed"
    this.cause = cause;
  }
}

function classify(error) {
  const name = error && error.name;
  if (name === "QuotaExceededError") return new StorageError("full", error);
  if (name === "SecurityError" || name === "InvalidStateError") return new StorageError("denied", error);
  return new StorageError("failed", error);
}

export function open() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    let request;
    try {
      request = indexedDB.open(NAME, VERSION);
    } catch (error) {
      reject(classify(error));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      const households = db.createObjectStore("households", { keyPath: "local_id" });
      households.createIndex("status", "status");
      households.createIndex("household_id", "household_id");
      db.createObjectStore("assignments", { keyPath: "household_id" });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(classify(request.error));
    request.onblocked = () => reject(new StorageError("failed", "blocked by another tab"));
  });
  opened.catch(() => {
    opened = null;
  });
  return opened;
}

async function run(storeNames, mode, body) {
  const db = await open();
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = db.transaction(storeNames, mode);
    } catch (error) {
      reject(classify(error));
      return;
    }
    let result;
    try {
      Promise.resolve(body(tx)).then((value) => {
        result = value;
      });
    } catch (error) {
      reject(classify(error));
      try {
        tx.abort();
      } catch (ignored) {
        /* already finished */
      }
      return;
    }
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(classify(tx.error));
    tx.onabort = () => reject(classify(tx.error));
  });
}

function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function getMeta(key, fallback = null) {
  const row = await run(["meta"], "readonly", (tx) => req(tx.objectStore("meta").get(key)));
  return row ? row.value : fallback;
}

export function setMeta(key, value) {
  return run(["meta"], "readwrite", (tx) => {
    tx.objectStore("meta").put({ key, value });
  });
}

export function allHouseholds() {
  return run(["households"], "readonly", (tx) => req(tx.objectStore("households").getAll()));
}

export function getHousehold(localId) {
  return run(["households"], "readonly", (tx) => req(tx.objectStore("households").get(localId)));
}

export function householdsWithStatus(status) {
  return run(["households"], "readonly", (tx) =>
    req(tx.objectStore("households").index("status").getAll(status)),
  );
}

export function byHouseholdId(householdId) {
  return run(["households"], "readonly", (tx) =>
    req(tx.objectStore("households").index("household_id").getAll(householdId)),
  );
}

export function putHousehold(entry) {
  entry.updated_at = new Date().toISOString();
  entry.household_id = (entry.record && entry.record.household_id) || entry.household_id || "";
  return run(["households"], "readwrite", (tx) => {
    tx.objectStore("households").put(entry);
  });
}

// Several households in one transaction (a sync batch's results: all or nothing).
export function putHouseholds(entries) {
  const now = new Date().toISOString();
  return run(["households"], "readwrite", (tx) => {
    const store = tx.objectStore("households");
    for (const entry of entries) {
      entry.updated_at = now;
      entry.household_id = (entry.record && entry.record.household_id) || entry.household_id || "";
      store.put(entry);
    }
  });
}

export function deleteHousehold(localId) {
  return run(["households"], "readwrite", (tx) => {
    tx.objectStore("households").delete(localId);
  });
}

export function allAssignments() {
  return run(["assignments"], "readonly", (tx) => req(tx.objectStore("assignments").getAll()));
}

export function getAssignment(householdId) {
  return run(["assignments"], "readonly", (tx) => req(tx.objectStore("assignments").get(householdId)));
}

// Pulled changes and the new cursor in one transaction: a cursor never runs ahead of the data.
export function applyPull({ assignments, households, cursor }) {
  const now = new Date().toISOString();
  return run(["assignments", "households", "meta"], "readwrite", (tx) => {
    for (const assignment of assignments) tx.objectStore("assignments").put(assignment);
    for (const entry of households) {
      entry.updated_at = now;
      tx.objectStore("households").put(entry);
    }
    tx.objectStore("meta").put({ key: "cursor", value: cursor });
  });
}

// Sign out: the token and everything kept for it.
export function clearAll() {
  return run(["households", "assignments", "meta"], "readwrite", (tx) => {
    for (const name of ["households", "assignments", "meta"]) tx.objectStore(name).clear();
  });
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A new household id: the commune code first (the server's id pattern), then a random part.
export function newHouseholdId(commune) {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  const part = [...bytes].map((b) => b.toString(36).padStart(2, "0")).join("").slice(0, 8);
  return `${commune}-w${part}`;
}

export const UNSENT = ["draft", "finalized", "rejected", "conflict", "returned"];
