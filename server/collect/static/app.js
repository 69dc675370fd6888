// povcensus Collect: the app shell's logic (work list, household pages, sync, enrolment).
import { formatTime, label, lang, setLang, t } from "./i18n.js";
import { amountText, h, readValue, refreshRelevance, renderSection, setAllowedCommunes } from "./form.js";
import { Checker, getPath, isoToday, setPath } from "./rules.js";
import * as store from "./store.js";
import * as sync from "./sync.js";

const state = { form: null, checker: null, entry: null, touched: new Set(), showAll: false, syncing: null, storageOk: true };
const main = () => document.getElementById("main");

function banner(text, kind = "info") {
  const box = document.getElementById("banner");
  box.replaceChildren(text ? h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text) : "");
}

// Storage refused: "denied" (private browsing, blocked) stops new work; "full" only says that
// the last change is not saved (and is kept on screen) until a write succeeds again.
function storageFailed(error) {
  const full = error && error.kind === "full";
  if (!full) state.storageOk = false;
  state.storageFull = full;
  banner(full ? t("storage_full") : t("storage_denied"), "error");
  const flag = document.getElementById("saved");
  if (flag) {
    flag.textContent = t("not_saved");
    flag.className = "unsaved";
  }
}

// --- start-up -------------------------------------------------------------------------------

async function start() {
  document.documentElement.lang = lang();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("./sw.js", { scope: "./" }).catch(() => {});
  }
  try {
    await store.open();
  } catch (error) {
    storageFailed(error);
  }
  await enrolFromLink();
  await loadQuestionnaire();
  header();
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { header(); runSync(); });
  window.addEventListener("offline", header);
  main().addEventListener("input", onInput);
  main().addEventListener("change", onChange);
  document.body.addEventListener("click", onClick);
  await route();
  if (navigator.onLine && state.storageOk && (await sync.token().catch(() => null))) runSync();
  setInterval(retryOutbox, RETRY_MS);
}

// The network may be "up" while the server is not (a dead router at the commune office): while
// finalized households wait, try again now and then.
const RETRY_MS = 120000;

async function retryOutbox() {
  if (!navigator.onLine || !state.storageOk || state.syncing) return;
  try {
    if ((await store.getMeta("revoked")) || !(await sync.token())) return;
    if ((await store.householdsWithStatus("finalized")).length) runSync();
  } catch (error) {
    /* storage trouble is reported by the next user action */
  }
}

// The enrolment link is /collect/#enrol=<token>: the fragment never reaches the server.
async function enrolFromLink() {
  const match = location.hash.match(/^#enrol=([\w-]+)$/);
  if (!match) return;
  history.replaceState(null, "", location.pathname + location.search);
  if (!state.storageOk) return;
  try {
    await store.setMeta("device", { token: match[1], enrolled_at: new Date().toISOString() });
    await store.setMeta("revoked", false);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    await sync.me().catch(() => {});
  } catch (error) {
    storageFailed(error);
  }
}

async function loadQuestionnaire() {
  let form = null;
  try {
    const response = await fetch("./questionnaire.json");
    if (response.ok) form = await response.json();
  } catch (error) {
    form = null;
  }
  if (form && state.storageOk) store.setMeta("questionnaire", form).catch(() => {});
  if (!form && state.storageOk) form = await store.getMeta("questionnaire").catch(() => null);
  state.form = form;
  state.checker = form ? new Checker(form) : null;
}

function header() {
  const bar = document.getElementById("bar");
  bar.replaceChildren(
    h("a", { href: "#/", class: "title" }, t("app_title")),
    h("span", { class: navigator.onLine ? "net on" : "net off", id: "net" }, navigator.onLine ? t("online") : t("offline")),
    h("button", { type: "button", "data-action": "sync", id: "sync-button" }, state.syncing ? t("syncing") : t("sync_now")),
    h("button", { type: "button", "data-action": "lang", class: "secondary" }, t("language")),
  );
  document.title = t("app_title");
}

// --- routing --------------------------------------------------------------------------------

async function route() {
  const hash = location.hash || "#/";
  try {
    if (state.storageOk) setAllowedCommunes(((await store.getMeta("me")) || {}).communes);
    if (!state.form) {
      main().replaceChildren(h("p", { class: "notice error" }, t("questionnaire_missing")));
      return;
    }
    let match = hash.match(/^#\/h\/([\w-]+)\/(\d+)$/);
    if (match) return await householdPage(match[1], Number(match[2]));
    match = hash.match(/^#\/c\/([\w-]+)$/);
    if (match) return await conflictPage(match[1]);
    if (hash === "#/device") return await devicePage();
    return await workList();
  } catch (error) {
    if (error instanceof store.StorageError) storageFailed(error);
    else throw error;
  }
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// --- work list ------------------------------------------------------------------------------

function entryTitle(entry) {
  const record = entry.record || {};
  return `${record.head_name || t("no_name")} · ${record.household_id || entry.household_id || ""}`;
}

async function workList() {
  state.entry = null;
  const device = state.storageOk ? await store.getMeta("device") : null;
  const who = state.storageOk ? await store.getMeta("me") : null;
  const entries = state.storageOk ? await store.allHouseholds() : [];
  const assignments = state.storageOk ? await store.allAssignments() : [];
  const root = h("div", { class: "list" });
  if (!device) root.append(h("p", { class: "notice warn" }, t("not_enrolled")));
  else {
    root.append(h("p", { class: "who" },
      h("a", { href: "#/device" }, `${t("enrolled_as")} ${who ? who.user : "…"}`),
      who && who.communes ? ` · ${t("communes")}: ${who.communes.join(", ")}` : ""));
  }
  root.append(h("button", { type: "button", "data-action": "new", class: "primary", disabled: !state.storageOk }, t("new_household")));
  const groups = [
    ["draft", "drafts"], ["rejected", "rejected"], ["conflict", "conflict"], ["returned", "returned"],
    ["finalized", "finalized"], ["sent", "sent"],
  ];
  for (const [status, title] of groups) {
    const rows = entries.filter((e) => e.status === status).sort((a, b) => (b.updated_at || "").localeCompare(a.updated_at || ""));
    const section = h("section", { class: `group ${status}`, "data-status": status }, h("h2", {}, `${t(title)} (${rows.length})`));
    const list = h("ul", {});
    for (const entry of rows) list.append(listRow(entry));
    section.append(rows.length ? list : h("p", { class: "muted" }, t("none")));
    root.append(section);
  }
  const started = new Set(entries.map((e) => e.household_id));
  const todo = assignments.filter((a) => !started.has(a.household_id));
  const section = h("section", { class: "group assignments" }, h("h2", {}, `${t("assignments")} (${todo.length})`));
  const list = h("ul", {});
  for (const assignment of todo) {
    list.append(h("li", {},
      h("span", { class: "name" }, `${(assignment.record || {}).head_name || ""} · ${assignment.household_id}`),
      h("button", { type: "button", "data-action": "start-assignment", "data-id": assignment.household_id }, t("start"))));
  }
  section.append(todo.length ? list : h("p", { class: "muted" }, t("none")));
  root.append(section);
  main().replaceChildren(root);
}

function listRow(entry) {
  const parts = [h("a", { href: entry.status === "conflict" ? `#/c/${entry.local_id}` : `#/h/${entry.local_id}/0`, class: "name" }, entryTitle(entry))];
  if (entry.status === "sent" && entry.result) {
    parts.push(h("span", { class: "muted" }, ` · ${t("version")} ${entry.result.version} · ${formatTime(entry.sent_at)}`));
  }
  if (entry.comment) parts.push(h("p", { class: "comment" }, `${t("commune_comment")} ${entry.comment}`));
  if (entry.status === "rejected" && entry.errors) {
    parts.push(h("ul", { class: "errors" }, entry.errors.map((e) => h("li", {}, lang() === "en" ? e.message_en : e.message_vi))));
  }
  return h("li", { "data-local-id": entry.local_id }, ...parts);
}

// --- a household ----------------------------------------------------------------------------

function blankRecord(who) {
  const form = state.form;
  const communes = (who && who.communes) || [];
  const commune = communes.length === 1 ? communes[0] : null;
  return {
    form_id: form.form_id,
    form_version: form.form_version,
    household_id: commune ? store.newHouseholdId(commune) : null,
    province_code: form.province,
    commune_code: commune,
    enumerator: who ? who.user : null,
    survey_date: isoToday(),
    members: [{ member_no: 1 }],
    dwelling: {},
    income: { sources_12m: {}, scorecard: null },
  };
}

async function newHousehold(record, extra = {}) {
  const now = new Date().toISOString();
  const entry = { local_id: store.newId(), status: "draft", record, instance_id: null, base: null, errors: [], created_at: now, ...extra };
  await store.putHousehold(entry);
  go(`#/h/${entry.local_id}/0`);
}

const editable = (entry) => ["draft", "rejected"].includes(entry.status);

async function householdPage(localId, pageIndex) {
  // The copy in memory while it is being edited (it may hold a change a full storage refused);
  // otherwise what is stored, which a sync may have changed meanwhile.
  const editing = state.entry && state.entry.local_id === localId && editable(state.entry);
  let entry = editing ? state.entry : await store.getHousehold(localId);
  if (!entry) return go("#/");
  if (entry.status === "returned" && !entry.record) {
    try {
      const current = await sync.serverHousehold(entry.household_id);
      entry.record = current.record;
      entry.base = current.submission_id;
    } catch (error) {
      main().replaceChildren(h("p", { class: "notice error" }, t("needs_network_first")), h("a", { href: "#/" }, t("back_to_list")));
      return;
    }
  }
  if (entry.status === "returned") {
    entry.status = "draft";
    await store.putHousehold(entry);
  }
  if (state.entry !== entry) {
    state.touched = new Set();
    state.showAll = entry.status === "rejected";
  }
  state.entry = entry;
  const sections = state.form.sections;
  const last = sections.length;
  const page = Math.min(Math.max(pageIndex, 0), last);
  const nav = h("nav", { class: "pages" }, sections.map((section, n) =>
    h("a", { href: `#/h/${localId}/${n}`, class: n === page ? "current" : "" }, label(section))),
  h("a", { href: `#/h/${localId}/${last}`, class: page === last ? "current" : "" }, t("finish_page")));
  const top = h("div", { class: "household-top" },
    h("a", { href: "#/" }, t("back_to_list")),
    h("span", { id: "saved", class: "muted" }, t("saved")));
  const body = page < last ? renderSection(state.form, sections[page], entry.record) : finishPage(entry);
  const notes = [];
  if (entry.comment) notes.push(h("p", { class: "notice warn" }, `${t("commune_comment")} ${entry.comment}`));
  if (entry.status === "rejected" && entry.errors && entry.errors.length) notes.push(h("p", { class: "notice error" }, t("server_errors")));
  if (!editable(entry)) {
    for (const field of body.querySelectorAll("input, select, button[data-action^=member], button[data-action^=gps]")) field.disabled = true;
    notes.push(statusNote(entry));
  }
  const steps = h("div", { class: "steps" },
    page > 0 ? h("a", { class: "button secondary", href: `#/h/${localId}/${page - 1}` }, t("previous")) : h("span"),
    page < last ? h("a", { class: "button", href: `#/h/${localId}/${page + 1}` }, t("next")) : h("span"));
  main().replaceChildren(h("div", { class: "household", "data-local-id": localId }, top, nav, ...notes, body, steps));
  showErrors();
  window.scrollTo(0, 0);
}

function statusNote(entry) {
  const box = h("div", { class: "notice info" });
  if (entry.status === "finalized") {
    box.append(t("finalized_note"));
    if (!entry.attempted) box.append(" ", h("button", { type: "button", "data-action": "reopen" }, t("reopen")));
  } else if (entry.status === "sent") {
    const result = entry.result || {};
    box.append(`${t("sent_note")} (${t("version")} ${result.version}, ${formatTime(entry.sent_at)})`, " ",
      h("button", { type: "button", "data-action": "edit-again" }, t("edit_again")));
  }
  return box;
}

function finishPage(entry) {
  const errors = state.checker.check(entry.record);
  const box = h("section", { class: "page finish" }, h("h2", {}, t("finish_page")));
  if (!editable(entry)) return box;
  if (errors.length) {
    box.append(h("p", {}, t("finalize_blocked")));
    box.append(h("ul", { class: "errors" }, errors.map((error) =>
      h("li", {}, h("a", { href: "#", "data-action": "goto", "data-path": error.path }, lang() === "en" ? error.message_en : error.message_vi)))));
  } else {
    box.append(h("p", { class: "notice ok" }, t("all_good")));
    box.append(h("button", { type: "button", class: "primary", "data-action": "finalize" }, t("finalize")));
  }
  if (entry.status === "draft" && !entry.base) {
    box.append(h("p", {}, h("button", { type: "button", class: "danger", "data-action": "delete" }, t("delete_draft"))));
  }
  return box;
}

// The page (section index) a record path belongs to.
function pageOf(path) {
  const head = path.split(/[.[]/)[0];
  const sections = state.form.sections;
  const index = sections.findIndex((section) => section.id === head || (section.flatten && section.items.some((item) => item.id === head)));
  return index < 0 ? 0 : index;
}

// Errors on their questions: the device's own checks for touched questions (all of them after a
// finalize attempt), and the server's rejections (`errors[].path`) until the answer changes.
function showErrors() {
  const entry = state.entry;
  if (!entry) return;
  for (const node of main().querySelectorAll(".q .err")) node.textContent = "";
  for (const node of main().querySelectorAll(".q.has-error")) node.classList.remove("has-error");
  const local = state.checker.check(entry.record).filter((e) => state.showAll || state.touched.has(e.path));
  const fromServer = (entry.errors || []).filter((e) => !state.touched.has(e.path));
  for (const error of [...fromServer, ...local]) {
    const node = questionFor(error.path);
    if (!node) continue;
    const text = lang() === "en" ? error.message_en : error.message_vi;
    const place = node.querySelector(":scope > .err");
    if (place && !place.textContent.includes(text)) place.textContent = place.textContent ? `${place.textContent} ${text}` : text;
    node.classList.add("has-error");
  }
}

function questionFor(path) {
  let current = path;
  while (current) {
    const node = main().querySelector(`.q[data-path="${CSS.escape(current)}"]`);
    if (node) return node;
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    if (cut <= 0) break;
    current = current.slice(0, cut);
  }
  return null;
}

async function save() {
  const flag = document.getElementById("saved");
  try {
    await store.putHousehold(state.entry);
    if (flag) {
      flag.textContent = t("saved");
      flag.className = "muted";
    }
    if (state.storageFull) {
      state.storageFull = false;
      banner("");
    }
  } catch (error) {
    storageFailed(error);
  }
}

function onInput(event) {
  const node = event.target.closest(".q");
  if (!node || !state.entry || !editable(state.entry)) return;
  if (event.target.type === "radio" || event.target.type === "checkbox" || event.target.tagName === "SELECT") return;
  const value = readValue(node);
  setPath(state.entry.record, node.dataset.path, value);
  const amount = node.querySelector("output.amount");
  if (amount) amount.textContent = amountText(value);
  save();
}

function onChange(event) {
  const node = event.target.closest(".q");
  if (!node || !state.entry || !editable(state.entry)) return;
  const path = node.dataset.path;
  const value = readValue(node);
  const record = state.entry.record;
  state.touched.add(path);
  if (node.dataset.type === "gate") {
    setPath(record, path, value ? getPath(record, path) || {} : null);
    save().then(() => route());
    return;
  }
  setPath(record, path, value);
  if (path === "commune_code" && value && (!record.household_id || !String(record.household_id).startsWith(`${value}-`)) && !state.entry.base) {
    record.household_id = store.newHouseholdId(value);
    const idBox = main().querySelector('.q[data-path="household_id"] input');
    if (idBox) idBox.value = record.household_id;
  }
  refreshRelevance(state.form, main(), record);
  if (/^members\[\d+\]\.name$/.test(path) || /^members\[\d+\]\.(in_school|work_status|birth_year)$/.test(path)) {
    for (const node2 of main().querySelectorAll("fieldset.member")) {
      const index = Number(node2.dataset.path.match(/\d+/)[0]);
      const member = record.members[index] || {};
      node2.querySelector("legend").textContent = `${t("member")} ${index + 1}${member.name ? `: ${member.name}` : ""}`;
    }
  }
  save();
  showErrors();
}

function renumber(members) {
  members.forEach((member, index) => {
    member.member_no = index + 1;
  });
}

// The canonical record the server receives: every key present, blanks as null, text trimmed.
function canonical(record) {
  const out = JSON.parse(JSON.stringify(record));
  const clean = (container, group) => {
    for (const item of group.items) {
      if (item.kind === "group") {
        if (item.repeat) {
          const list = Array.isArray(container[item.id]) ? container[item.id] : [];
          list.forEach((member) => clean(member, { items: item.items }));
          container[item.id] = list;
        } else if (item.flatten) clean(container, item);
        else if (item.optional && (container[item.id] === null || container[item.id] === undefined)) {
          container[item.id] = null; // not asked (the gate answered "no")
        } else {
          container[item.id] = container[item.id] || {};
          clean(container[item.id], item);
        }
      } else {
        let value = container[item.id];
        if (typeof value === "string") value = value.trim();
        if (value === "" || value === undefined) value = null;
        if (value === null && Array.isArray(item.default)) value = [];
        else if (value === null && item.default !== null && item.default !== undefined) value = item.default;
        container[item.id] = value;
      }
    }
  };
  for (const section of state.form.sections) clean(out, { items: [section] });
  renumber(out.members || []);
  return out;
}

async function finalize() {
  const entry = state.entry;
  const record = canonical(entry.record);
  const errors = state.checker.check(record);
  if (errors.length) {
    state.showAll = true;
    return go(`#/h/${entry.local_id}/${pageOf(errors[0].path)}`);
  }
  entry.record = record;
  entry.status = "finalized";
  entry.instance_id = store.newId(); // fixed from now on: the server dedupes on it
  entry.finalized_at = new Date().toISOString();
  entry.errors = [];
  entry.attempted = false;
  try {
    await store.putHousehold(entry);
  } catch (error) {
    entry.status = "draft";
    entry.instance_id = null;
    storageFailed(error);
    return;
  }
  go("#/");
  if (navigator.onLine) runSync();
}

async function onClick(event) {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const action = button.dataset.action;
  const entry = state.entry;
  if (action === "goto") event.preventDefault();
  switch (action) {
    case "sync": return runSync();
    case "lang":
      setLang(lang() === "en" ? "vi" : "en");
      banner("");
      header();
      return route();
    case "new": return newHousehold(blankRecord(await store.getMeta("me")));
    case "start-assignment": {
      const assignment = await store.getAssignment(button.dataset.id);
      const record = { ...JSON.parse(JSON.stringify(assignment.record)), survey_date: isoToday(), round: null };
      const who = await store.getMeta("me");
      if (who) record.enumerator = who.user;
      return newHousehold(record, { origin: "assignment" });
    }
    case "goto": {
      state.showAll = true;
      return go(`#/h/${entry.local_id}/${pageOf(button.dataset.path)}`);
    }
    case "finalize": return finalize();
    case "delete":
      if (!window.confirm(t("confirm_delete"))) return;
      await store.deleteHousehold(entry.local_id);
      return go("#/");
    case "reopen": {
      const stored = await store.getHousehold(entry.local_id);
      if (stored.status === "finalized" && !stored.attempted) {
        state.entry = Object.assign(stored, { status: "draft", instance_id: null });
        await save();
      }
      return route();
    }
    case "edit-again": {
      const stored = await store.getHousehold(entry.local_id);
      if (stored.status === "sent") {
        state.entry = Object.assign(stored, { status: "draft", base: stored.instance_id, instance_id: null, result: null });
        await save();
      }
      return route();
    }
    case "member-add":
      entry.record.members = entry.record.members || [];
      entry.record.members.push({ member_no: entry.record.members.length + 1 });
      await save();
      await route();
      main().querySelector("fieldset.member:last-of-type input")?.focus();
      return;
    case "member-remove":
    case "member-up":
    case "member-down": {
      const members = entry.record.members;
      const index = Number(button.dataset.index);
      if (action === "member-remove") {
        if (!window.confirm(t("confirm_remove_member"))) return;
        members.splice(index, 1);
      } else {
        const other = action === "member-up" ? index - 1 : index + 1;
        [members[index], members[other]] = [members[other], members[index]];
      }
      renumber(members);
      state.touched = new Set([...state.touched].filter((path) => !path.startsWith("members[")));
      await save();
      return route();
    }
    case "gps": return locate(button.dataset.path);
    case "gps-clear":
      setPath(entry.record, button.dataset.path, null);
      await save();
      return route();
    case "keep-mine": return resolveConflict("mine");
    case "take-server": return resolveConflict("server");
    case "sign-out": return signOut();
    default:
  }
}

function locate(path) {
  const node = main().querySelector(`.q[data-path="${CSS.escape(path)}"]`);
  const output = node && node.querySelector("output");
  if (!navigator.geolocation) {
    if (output) output.textContent = t("gps_denied");
    return;
  }
  if (output) output.textContent = t("gps_waiting");
  navigator.geolocation.getCurrentPosition(
    async (position) => {
      const { latitude, longitude, accuracy } = position.coords;
      setPath(state.entry.record, path, {
        lat: Math.round(latitude * 1e6) / 1e6,
        lon: Math.round(longitude * 1e6) / 1e6,
        accuracy_m: Math.round(accuracy * 10) / 10,
      });
      await save();
      route();
    },
    () => {
      if (output) output.textContent = t("gps_denied");
    },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 },
  );
}

// --- conflicts ------------------------------------------------------------------------------

function flatten(value, prefix, out) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (Array.isArray(value) && value.some((v) => v && typeof v === "object")) {
    value.forEach((inner, n) => flatten(inner, `${prefix}[${n}]`, out));
  } else {
    out[prefix] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

async function conflictPage(localId) {
  const entry = await store.getHousehold(localId);
  if (!entry) return go("#/");
  state.entry = entry;
  if (!entry.server) {
    try {
      entry.server = await sync.serverHousehold(entry.record.household_id);
      await store.putHousehold(entry);
    } catch (error) {
      main().replaceChildren(h("a", { href: "#/" }, t("back_to_list")), h("p", { class: "notice error" }, t("conflict_needs_network")));
      return;
    }
  }
  const mine = flatten(entry.record, "", {});
  const theirs = flatten(entry.server.record, "", {});
  const skip = new Set(["round", "form_id", "form_version"]);
  const rows = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])]
    .filter((key) => !skip.has(key) && String(mine[key] ?? "") !== String(theirs[key] ?? ""));
  const table = h("div", { class: "diff" }, rows.map((key) => h("div", { class: "diff-row" },
    h("div", { class: "diff-key" }, key),
    h("div", { class: "diff-mine" }, h("span", { class: "muted" }, `${t("conflict_mine")}: `), String(mine[key] ?? "—")),
    h("div", { class: "diff-theirs" }, h("span", { class: "muted" }, `${t("conflict_server")}: `), String(theirs[key] ?? "—")))));
  main().replaceChildren(h("div", { class: "conflict" },
    h("a", { href: "#/" }, t("back_to_list")),
    h("h2", {}, t("conflict_title")),
    h("p", {}, entryTitle(entry)),
    table,
    h("div", { class: "toolbar" },
      h("button", { type: "button", "data-action": "keep-mine", class: "primary" }, t("keep_mine")),
      h("button", { type: "button", "data-action": "take-server", class: "secondary" }, t("take_server")))));
}

async function resolveConflict(choice) {
  const entry = state.entry;
  if (choice === "mine") {
    Object.assign(entry, { status: "finalized", base: entry.server.submission_id, instance_id: store.newId(), attempted: false, finalized_at: new Date().toISOString(), conflict: null });
  } else {
    Object.assign(entry, {
      status: "sent",
      record: entry.server.record,
      instance_id: entry.server.submission_id,
      result: { version: entry.server.version, classification: entry.server.classification },
      conflict: null,
      sent_at: new Date().toISOString(),
    });
  }
  await save();
  go("#/");
  if (choice === "mine" && navigator.onLine) runSync();
}

// --- device ---------------------------------------------------------------------------------

async function devicePage() {
  const who = await store.getMeta("me");
  const entries = await store.allHouseholds();
  const unsent = entries.filter((e) => store.UNSENT.includes(e.status)).length;
  main().replaceChildren(h("div", { class: "device" },
    h("a", { href: "#/" }, t("back_to_list")),
    h("h2", {}, `${t("enrolled_as")} ${who ? who.user : "…"}`),
    who ? h("p", {}, `${t("communes")}: ${(who.communes || []).join(", ")}`) : null,
    h("p", {}, `${unsent} ${t("unsent")}`),
    h("button", { type: "button", class: "danger", "data-action": "sign-out" }, t("sign_out"))));
}

async function signOut() {
  const entries = await store.allHouseholds();
  const unsent = entries.filter((e) => store.UNSENT.includes(e.status)).length;
  if (!window.confirm(t("confirm_sign_out", { n: unsent }))) return;
  await store.clearAll();
  banner(t("signed_out"));
  go("#/");
}

// --- sync -----------------------------------------------------------------------------------

// A household returned by the commune while it is open here: the pull stored the comment; the
// copy in memory (which the next autosave writes) takes it too.
async function keepPulledComment() {
  const entry = state.entry;
  if (!entry || !editable(entry)) return;
  const stored = await store.getHousehold(entry.local_id);
  if (stored && stored.comment && stored.comment !== entry.comment) {
    entry.comment = stored.comment;
    await save();
  }
}

async function runSync() {
  if (state.syncing) {
    state.syncAgain = true; // asked for during a sync: households finalized meanwhile go too
    return state.syncing;
  }
  state.syncing = (async () => {
    await null; // state.syncing is set from here on: the header shows the sync running
    header();
    banner(t("syncing"));
    try {
      if (!(await sync.token())) {
        banner(t("not_enrolled"), "warn");
        return;
      }
      await sync.me();
      await store.setMeta("revoked", false);
      const counts = await sync.push(state.form);
      const changes = await sync.pull();
      await keepPulledComment();
      await store.setMeta("last_sync", new Date().toISOString());
      const anything = counts.sent + counts.rejected + counts.conflict + changes;
      banner(anything ? t("sync_done", { ...counts, changes }) : t("sync_nothing"), "ok");
    } catch (error) {
      if (error instanceof sync.SyncError && error.kind === "revoked") {
        const unsent = (await store.allHouseholds()).filter((e) => store.UNSENT.includes(e.status)).length;
        await store.setMeta("revoked", true);
        banner(t("sync_revoked", { n: unsent }), "error");
      } else if (error instanceof sync.SyncError && error.kind === "server") {
        banner(t("sync_server_error", { message: error.message }), "error");
      } else if (error instanceof store.StorageError) {
        storageFailed(error);
      } else {
        banner(t("sync_network"), "error");
      }
    } finally {
      document.body.dataset.lastSync = String(Date.now());
      state.syncing = null;
      header();
      if (!state.entry) route();
      if (state.syncAgain) {
        state.syncAgain = false;
        runSync();
      }
    }
  })();
  return state.syncing;
}

start();
