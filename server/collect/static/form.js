// Rendering the questionnaire generically from questionnaire.json: any question of any section,
// whatever survey_forms adds, becomes a control; an unknown type becomes a text box.
import { formatNumber, label, t } from "./i18n.js";
import { applies, getPath, surveyYear } from "./rules.js";

// Build an element; children are nodes or text (always inserted as text, never as HTML).
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
const RADIO_LIMIT = 6; // more choices than this: a drop-down list

// The communes this device's user is assigned to (from /api/v1/me): the commune question
// offers only those (the server refuses the others anyway).
let allowedCommunes = null;

export function setAllowedCommunes(codes) {
  allowedCommunes = codes && codes.length ? new Set(codes) : null;
}

function choices(form, item) {
  const list = form.choice_lists[item.choices] || [];
  if (item.choices === "communes" && allowedCommunes) return list.filter((c) => allowedCommunes.has(c.value));
  return list;
}

function choiceLabel(choice) {
  return label({ label_vi: choice.vi, label_en: choice.en });
}

function control(form, item, path, value) {
  const id = `q${(uid += 1)}`;
  const type = item.type;
  if (type === "boolean") {
    return [id, radios(path, [["true", t("yes")], ["false", t("no")]], value === true ? "true" : value === false ? "false" : null)];
  }
  if (type === "select_one") {
    const list = choices(form, item);
    if (list.length <= RADIO_LIMIT) {
      return [id, radios(path, list.map((c) => [c.value, choiceLabel(c)]), value)];
    }
    const select = h("select", { id, name: path }, h("option", { value: "" }, t("choose")));
    for (const choice of list) {
      select.append(h("option", { value: choice.value, selected: choice.value === value }, choiceLabel(choice)));
    }
    return [id, select];
  }
  if (type === "select_multiple") {
    const chosen = new Set(Array.isArray(value) ? value : []);
    const box = h("div", { class: "choices", role: "group" });
    for (const choice of choices(form, item)) {
      box.append(
        h("label", { class: "choice" },
          h("input", { type: "checkbox", name: path, value: choice.value, checked: chosen.has(choice.value) }),
          " ", choiceLabel(choice)),
      );
    }
    return [id, box];
  }
  if (type === "geopoint") {
    const shown = value && typeof value === "object"
      ? `${value.lat}, ${value.lon}${value.accuracy_m !== null && value.accuracy_m !== undefined ? ` (${t("accuracy")} ${Math.round(value.accuracy_m)} m)` : ""}`
      : "";
    return [id, h("div", { class: "gps" },
      h("output", { id, class: "gps-value" }, shown),
      h("button", { type: "button", "data-action": "gps", "data-path": path }, t("gps_get")),
      h("button", { type: "button", "data-action": "gps-clear", "data-path": path, class: "secondary" }, t("gps_clear")))];
  }
  const attrs = { id, name: path, type: "text", value: value === null || value === undefined ? "" : String(value) };
  if (type === "integer") Object.assign(attrs, { inputmode: "numeric", autocomplete: "off" });
  if (typeof item.default === "number") attrs.placeholder = String(item.default);
  if (type === "decimal") Object.assign(attrs, { inputmode: "decimal", autocomplete: "off" });
  if (type === "date") attrs.type = "date";
  if (type === "text" && item.max_length) attrs.maxlength = item.max_length + 20; // over-long: an error, not a silent cut
  if (item.xform_calculation) attrs.readonly = true;
  return [id, h("input", attrs)];
}

function radios(path, options, value) {
  const box = h("div", { class: "choices", role: "radiogroup" });
  for (const [optionValue, text] of options) {
    box.append(
      h("label", { class: "choice" },
        h("input", { type: "radio", name: path, value: optionValue, checked: optionValue === value }),
        " ", text),
    );
  }
  return box;
}

export function questionNode(form, item, path, value) {
  const [id, input] = control(form, item, path, value);
  const needed = item.required && (item.default === null || item.default === undefined); // a default fills a blank
  const title = h("label", { for: id, class: "q-label" }, label(item), needed ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null);
  const hint = label(item, "hint");
  return h("div", { class: "q", "data-path": path, "data-type": item.type },
    title,
    hint ? h("p", { class: "hint" }, hint) : null,
    input,
    isAmount(item) ? h("output", { class: "amount" }, amountText(value)) : null,
    h("p", { class: "err", role: "alert" }));
}

// Large whole numbers (money) are repeated as people read them: 30.000.000.
function isAmount(item) {
  return item.type === "integer" && typeof item.max === "number" && item.max >= 1000000;
}

export function amountText(value) {
  return typeof value === "number" && Math.abs(value) >= 1000 ? `= ${formatNumber(value)}` : "";
}

function gateNode(group, path, value) {
  const answer = value === null ? "false" : value === undefined ? null : "true";
  const node = h("div", { class: "q gate", "data-path": path, "data-type": "gate" },
    h("label", { class: "q-label" }, label(group, "gate"), h("span", { class: "req" }, " *")),
    radios(path, [["true", t("yes")], ["false", t("no")]], answer),
    h("p", { class: "err", role: "alert" }));
  return node;
}

// The items of a group at `base` (a path prefix such as "dwelling." or "members[2].").
function items(form, group, base, record, out) {
  for (const item of group.items) {
    const path = `${base}${item.id}`;
    if (item.kind === "group") {
      if (item.repeat) continue; // repeats are sections of their own (members)
      const value = getPath(record, path);
      const box = h("fieldset", { class: "sub", "data-path": path }, h("legend", {}, label(item)));
      if (item.optional) box.append(gateNode(item, path, value));
      if (!item.optional || (value && typeof value === "object")) items(form, item, `${path}.`, record, box);
      out.append(box);
    } else {
      const node = questionNode(form, item, path, getPath(record, path));
      if (item.relevant) node.dataset.relevant = "1";
      out.append(node);
    }
  }
}

export function renderSection(form, section, record) {
  const page = h("section", { class: "page", "data-section": section.id }, h("h2", {}, label(section)));
  if (section.repeat) {
    const members = Array.isArray(record[section.id]) ? record[section.id] : [];
    members.forEach((member, index) => {
      const base = `${section.id}[${index}]`;
      const name = member.name ? `: ${member.name}` : "";
      const box = h("fieldset", { class: "member", "data-path": base },
        h("legend", {}, `${t("member")} ${index + 1}${name}`),
        h("div", { class: "toolbar" },
          h("button", { type: "button", class: "secondary", "data-action": "member-up", "data-index": index, disabled: index === 0 }, t("move_up")),
          h("button", { type: "button", class: "secondary", "data-action": "member-down", "data-index": index, disabled: index === members.length - 1 }, t("move_down")),
          h("button", { type: "button", class: "danger", "data-action": "member-remove", "data-index": index }, t("remove"))));
      items(form, section, `${base}.`, record, box);
      page.append(box);
    });
    page.append(h("div", { class: "q anchor", "data-path": section.id }, h("p", { class: "err", role: "alert" })));
    page.append(h("button", { type: "button", "data-action": "member-add" }, t("add_member")));
  } else if (section.flatten) {
    items(form, section, "", record, page);
  } else {
    page.prepend(h("div", { class: "q anchor", "data-path": section.id }, h("p", { class: "err", role: "alert" })));
    items(form, section, `${section.id}.`, record, page);
  }
  refreshRelevance(form, page, record);
  return page;
}

// Hide the member questions that do not apply (and forget their answers).
export function refreshRelevance(form, root, record) {
  const members = form.sections.find((s) => s.repeat);
  if (!members) return false;
  const year = surveyYear(record);
  let cleared = false;
  for (const node of root.querySelectorAll(".q[data-relevant]")) {
    const match = node.dataset.path.match(/^(\w+)\[(\d+)\]\.(\w+)$/);
    if (!match) continue;
    const member = (record[match[1]] || [])[Number(match[2])] || {};
    const item = members.items.find((i) => i.id === match[3]);
    const show = applies(item.relevant, member, year) === true;
    node.hidden = !show;
    if (!show && member[item.id] !== null && member[item.id] !== undefined) {
      member[item.id] = null;
      cleared = true;
      for (const input of node.querySelectorAll("input")) {
        if (input.type === "radio" || input.type === "checkbox") input.checked = false;
        else input.value = "";
      }
      const select = node.querySelector("select");
      if (select) select.value = "";
    }
  }
  return cleared;
}

// The value a question's control holds now, typed as the record wants it.
export function readValue(node) {
  const type = node.dataset.type;
  if (type === "select_multiple") {
    return [...node.querySelectorAll("input[type=checkbox]:checked")].map((input) => input.value);
  }
  const radio = node.querySelector("input[type=radio]");
  if (radio) {
    const checked = node.querySelector("input[type=radio]:checked");
    if (!checked) return undefined;
    if (type === "boolean" || type === "gate") return checked.value === "true";
    return checked.value;
  }
  const field = node.querySelector("select, input");
  if (!field) return undefined;
  const raw = field.value.trim();
  if (raw === "") return null;
  if (type === "integer") {
    // 30.000.000 or 30 000 000 as people write amounts in Vietnamese: thousands separators
    const digits = /^\d{1,3}([.\s]\d{3})+$/.test(raw) ? raw.replace(/[.\s]/g, "") : raw;
    return /^[+-]?\d+$/.test(digits) ? Number(digits) : field.value;
  }
  if (type === "decimal") {
    const text = raw.replace(",", ".");
    return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : field.value;
  }
  return field.value;
}
