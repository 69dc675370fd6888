// Sync over the JSON batch API (offline_sync/protocol.py): push the outbox, then pull.
// Exactly once: a finalized household keeps its instance id until the server has answered for
// it; a retry after a lost answer sends the same id and content and the server says
// "duplicate". Results are written to IndexedDB batch by batch, so a closed tab or a dropped
// connection resumes where it stopped.
import * as store from "./store.js";

export const API = new URL("../api/v1/", document.baseURI).href;
export const BATCH_SIZE = 25;

export class SyncError extends Error {
  constructor(kind, message = "", status = 0) {
    super(message || kind);
    this.kind = kind; // "network" | "revoked" | "server" | "not_enrolled"
    this.status = status;
  }
}

async function call(token, path, options = {}) {
  let response;
  try {
    response = await fetch(API + path, {
      ...options,
      cache: "no-store",
      headers: { Authorization: `Bearer ${token}`, ...(options.headers || {}) },
    });
  } catch (error) {
    throw new SyncError("network", String(error));
  }
  if (response.status === 401) throw new SyncError("revoked", "", 401);
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    if (response.ok) throw new SyncError("network", "incomplete answer");
  }
  if (!response.ok) {
    const problem = (body && body.error) || {};
    const message = problem.message_vi && problem.message ? `${problem.message_vi} / ${problem.message}` : `HTTP ${response.status}`;
    throw new SyncError(response.status >= 500 || response.status === 0 ? "network" : "server", message, response.status);
  }
  return body;
}

export async function token() {
  const device = await store.getMeta("device");
  return device && device.token;
}

export async function me() {
  const current = await token();
  if (!current) throw new SyncError("not_enrolled");
  const answer = await call(current, "me");
  await store.setMeta("me", { ...answer, checked_at: new Date().toISOString() });
  return answer;
}

// The item the protocol wants for a finalized household.
export function item(entry, form) {
  return {
    id: entry.instance_id,
    household_id: entry.record.household_id,
    form_id: form.form_id,
    form_version: form.form_version,
    base: entry.base || null,
    record: entry.record,
  };
}

function applyResult(entry, result) {
  entry.last_result = result;
  if (result.outcome === "accepted" || result.outcome === "duplicate") {
    entry.status = "sent";
    entry.sent_at = new Date().toISOString();
    entry.result = { version: result.version, classification: result.classification };
    entry.errors = [];
    entry.conflict = null;
  } else if (result.outcome === "rejected") {
    entry.status = "rejected";
    entry.errors = result.errors || [];
  } else if (result.outcome === "conflict") {
    entry.status = "conflict";
    entry.conflict = result.conflict || null;
    entry.server = null;
  }
}

export async function push(form, onProgress = () => {}) {
  const current = await token();
  if (!current) throw new SyncError("not_enrolled");
  const outbox = (await store.householdsWithStatus("finalized")).sort((a, b) =>
    (a.finalized_at || "").localeCompare(b.finalized_at || ""),
  );
  const counts = { sent: 0, rejected: 0, conflict: 0 };
  for (let start = 0; start < outbox.length; start += BATCH_SIZE) {
    const batch = outbox.slice(start, start + BATCH_SIZE);
    for (const entry of batch) entry.attempted = true; // never re-opened: it may be on the server
    await store.putHouseholds(batch);
    const answer = await call(current, "submissions/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: batch.map((entry) => item(entry, form)) }),
    });
    const results = new Map((answer.results || []).map((result) => [result.id, result]));
    const done = [];
    for (const entry of batch) {
      const result = results.get(entry.instance_id);
      if (!result) continue;
      applyResult(entry, result);
      counts[entry.status === "sent" ? "sent" : entry.status] += 1;
      done.push(entry);
    }
    await store.putHouseholds(done);
    onProgress(start + batch.length, outbox.length);
  }
  return counts;
}

// Assignments (last round's households) and review decisions (returns) for my communes.
export async function pull() {
  const current = await token();
  if (!current) throw new SyncError("not_enrolled");
  let cursor = await store.getMeta("cursor", 0);
  let total = 0;
  for (;;) {
    const answer = await call(current, `sync/pull?cursor=${cursor}`);
    const assignments = [];
    const households = [];
    for (const change of answer.changes) {
      if (change.kind === "assignment") {
        assignments.push({ household_id: change.household_id, round: change.round, ...change.data, seq: change.seq });
      } else if (change.kind === "decision") {
        households.push(await returnedEntry(change));
      }
    }
    total += answer.changes.length;
    cursor = answer.cursor;
    await store.applyPull({ assignments, households, cursor });
    if (!answer.has_more) break;
  }
  return total;
}

// A household the commune returned: the device's own copy when it has one, else a placeholder
// whose record is fetched when opened.
async function returnedEntry(change) {
  const local = (await store.byHouseholdId(change.household_id)).sort((a, b) =>
    (b.updated_at || "").localeCompare(a.updated_at || ""),
  );
  const newest = local[0];
  const comment = change.data.comment || "";
  if (newest && ["draft", "finalized", "rejected", "conflict"].includes(newest.status)) {
    newest.comment = comment; // already being worked on: keep the work, add the comment
    return newest;
  }
  if (newest) {
    return { ...newest, status: "returned", comment, base: newest.instance_id, instance_id: null, decision: change.data };
  }
  return {
    local_id: store.newId(),
    status: "returned",
    household_id: change.household_id,
    record: null,
    base: null,
    instance_id: null,
    comment,
    decision: change.data,
    created_at: new Date().toISOString(),
  };
}

// The server's current version of a household (conflicts, returned households).
export async function serverHousehold(householdId) {
  const current = await token();
  if (!current) throw new SyncError("not_enrolled");
  return call(current, `households/${encodeURIComponent(householdId)}`);
}
