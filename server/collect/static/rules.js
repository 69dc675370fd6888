// Checks on the device, mirroring survey_forms (types, required answers, ranges, relevance and
// the cross-field rules of HouseholdSchema.check_rules), with the same messages: the templates
// are the server's own (questionnaire.json "messages"). The server stays the authority.

export function pathKey(parts) {
  let text = "";
  for (const part of parts) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text ? `.${part}` : part;
  }
  return text;
}

export function parsePath(path) {
  const parts = [];
  for (const piece of path.split(".")) {
    const match = piece.match(/^([^[]+)((?:\[\d+\])*)$/);
    if (!match) {
      parts.push(piece);
      continue;
    }
    parts.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  return parts;
}

export function getPath(record, path) {
  let value = record;
  for (const part of parsePath(path)) {
    if (value === null || value === undefined) return undefined;
    value = value[part];
  }
  return value;
}

export function setPath(record, path, value) {
  const parts = parsePath(path);
  let target = record;
  for (let n = 0; n < parts.length - 1; n += 1) {
    if (target[parts[n]] === null || target[parts[n]] === undefined) {
      target[parts[n]] = typeof parts[n + 1] === "number" ? [] : {};
    }
    target = target[parts[n]];
  }
  target[parts[parts.length - 1]] = value;
}

function blank(value) {
  return value === null || value === undefined || (typeof value === "string" && value.trim() === "");
}

// Python's repr-like rendering of the offending value (survey_forms.schemas._show).
export function show(value) {
  let text;
  if (typeof value === "string") text = `"${value.slice(0, 40)}"`;
  else if (value === true) text = "True";
  else if (value === false) text = "False";
  else if (value === null || value === undefined) text = "None";
  else text = String(value);
  return text.length <= 40 ? text : `${text.slice(0, 37)}…`;
}

// A number in a message is written the way each language writes it, as survey_forms does
// (Babel): 2.000.000.000 / 7,5 in Vietnamese, 2,000,000,000 / 7.5 in English.
const NUMBER_FORMATS = { vi: new Intl.NumberFormat("vi-VN"), en: new Intl.NumberFormat("en-US") };

function num(value) {
  if (value === null || value === undefined) return "?";
  if (typeof value !== "number") return String(value);
  return { vi: NUMBER_FORMATS.vi.format(value), en: NUMBER_FORMATS.en.format(value) };
}

export function surveyYear(record) {
  const date = record && record.survey_date;
  return typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Number(date.slice(0, 4)) : null;
}

// Whether a member question applies: true / false / null (cannot be told yet).
export function applies(condition, member, year) {
  if (!condition) return true;
  if (condition.age_under !== null && condition.age_under !== undefined) {
    const born = member.birth_year;
    if (typeof born !== "number" || year === null) return null;
    return year - born < condition.age_under;
  }
  const value = member[condition.field];
  if (value === null || value === undefined) return null;
  return value === condition.equals;
}

export function isoToday() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

export class Checker {
  constructor(form) {
    this.form = form;
    this.choiceValues = {};
    for (const [name, list] of Object.entries(form.choice_lists)) {
      this.choiceValues[name] = new Set(list.map((choice) => choice.value));
    }
  }

  message(code, labels, params) {
    const template = this.form.messages[code] || { vi: "{label_vi}: lỗi {code}.", en: "{label_en}: error {code}." };
    const values = { code, ...labels, ...params };
    const text = (value, lang) => (value !== null && typeof value === "object" ? value[lang] : String(value));
    const fill = (template, lang) =>
      template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? text(values[name], lang) : "?"));
    return { vi: fill(template.vi, "vi"), en: fill(template.en, "en") };
  }

  // Every problem of the record: [{path, code, message_vi, message_en}], in questionnaire order.
  check(record, today = isoToday()) {
    const errors = [];
    const add = (parts, code, labels, params = {}) => {
      const { vi, en } = this.message(code, labels, params);
      errors.push({ path: pathKey(parts), code, message_vi: vi, message_en: en });
    };
    const year = surveyYear(record);
    for (const section of this.form.sections) this.group(section, record, [], add, year, today, null);
    const income = record.income;
    if (income && !income.sources_12m && !income.scorecard) {
      const group = this.form.sections.find((s) => s.id === "income") || {};
      add(["income"], "income_missing", { label_vi: group.label_vi, label_en: group.label_en });
    }
    return errors;
  }

  group(group, container, parts, add, year, today, member) {
    if (group.flatten) {
      for (const item of group.items) this.item(item, container, parts, add, year, today, member);
      return;
    }
    const here = [...parts, group.id];
    const value = container ? container[group.id] : undefined;
    const labels = { label_vi: group.label_vi, label_en: group.label_en };
    if (group.repeat) {
      const members = Array.isArray(value) ? value : [];
      if (members.length === 0) {
        add(here, "no_members", labels);
        return;
      }
      let heads = 0;
      const numbers = new Set();
      members.forEach((person, index) => {
        for (const item of group.items) this.item(item, person, [...here, index], add, year, today, person);
        if (person.relation === "head") {
          heads += 1;
          if (heads > 1) this.add(add, [...here, index, "relation"], "several_heads", group, { count: heads });
        }
        if (typeof person.member_no === "number") {
          if (numbers.has(person.member_no)) this.add(add, [...here, index, "member_no"], "duplicate_member_no", group, { value: show(person.member_no) });
          numbers.add(person.member_no);
        }
        if (year !== null && typeof person.birth_year === "number" && person.birth_year > year) {
          this.add(add, [...here, index, "birth_year"], "after_survey_year", group, { max: year, value: show(person.birth_year) });
        }
      });
      if (heads === 0 && members.every((person) => !blank(person.relation))) add(here, "no_head", labels);
      return;
    }
    if (group.optional && (value === null || value === undefined)) return; // as the server: absent = not asked
    for (const item of group.items) this.item(item, value || {}, here, add, year, today, member);
  }

  // An error on a member question: the label gets "Thành viên thứ N – " as on the server.
  add(add, parts, code, group, params = {}) {
    const question = group.items.find((item) => item.id === parts[parts.length - 1]) || {};
    add(parts, code, this.labels(question, parts), { value: show(undefined), ...params });
  }

  labels(question, parts) {
    let vi = question.label_vi || String(parts[parts.length - 1]);
    let en = question.label_en || String(parts[parts.length - 1]);
    if (parts.length > 2 && parts[0] === "members" && typeof parts[1] === "number") {
      vi = `Thành viên thứ ${parts[1] + 1} – ${vi}`;
      en = `Member ${parts[1] + 1} – ${en}`;
    }
    return { label_vi: vi, label_en: en };
  }

  item(item, container, parts, add, year, today, member) {
    if (item.kind === "group") {
      this.group(item, container, parts, add, year, today, member);
      return;
    }
    const here = [...parts, item.id];
    const value = container ? container[item.id] : undefined;
    const labels = this.labels(item, here);
    const params = {
      value: show(value),
      min: num(item.min),
      max: item.max !== null && item.max !== undefined ? num(item.max) : "?",
      choices: "",
    };
    if (item.relevant) {
      params.condition_vi = item.relevant.text_vi;
      params.condition_en = item.relevant.text_en;
      if (member && applies(item.relevant, member, year) === false) {
        if (!blank(value)) add(here, "not_applicable", labels, params);
        return;
      }
    }
    if (blank(value)) {
      if (item.required && (item.default === null || item.default === undefined)) add(here, "required", labels, params);
      return;
    }
    if (item.type === "geopoint" && typeof value === "object") {
      for (const part of this.form.gps) this.item(part, value, here, add, year, today, null);
      return;
    }
    const problem = this.answer(item, value, today);
    if (problem) add(here, problem.code, labels, { ...params, ...problem.params });
  }

  answer(item, value, today) {
    const range = (number) => {
      if (item.min !== null && item.min !== undefined && item.min_exclusive && number <= item.min) {
        return { code: "greater_than" };
      }
      if ((item.min !== null && item.min !== undefined && number < item.min) || (item.max !== null && item.max !== undefined && number > item.max)) {
        return { code: "range" };
      }
      return null;
    };
    switch (item.type) {
      case "text":
        if (typeof value !== "string") return { code: "type_text" };
        if (item.max_length && value.trim().length > item.max_length) return { code: "too_long", params: { max: item.max_length } };
        return null;
      case "integer":
        if (typeof value !== "number" || !Number.isInteger(value)) return { code: "type_integer" };
        return range(value);
      case "decimal":
        if (typeof value !== "number" || !Number.isFinite(value)) return { code: "type_number" };
        return range(value);
      case "boolean":
        return value === true || value === false ? null : { code: "type_boolean" };
      case "select_one": {
        const values = this.choiceValues[item.choices];
        if (values && !values.has(value)) {
          const code = item.choices === "communes" ? "unknown_commune" : item.choices === "provinces" ? "unknown_province" : "choice";
          // as survey_forms: a short list is named in the message
          const choices = code === "choice" && values.size <= 12 ? ` (${[...values].join(", ")})` : "";
          return { code, params: { choices } };
        }
        return null;
      }
      case "select_multiple": {
        if (!Array.isArray(value)) return { code: "type_list" };
        const values = this.choiceValues[item.choices];
        const bad = value.find((choice) => values && !values.has(choice));
        return bad === undefined ? null : { code: "choice", params: { value: show(bad) } };
      }
      case "date":
        if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
          return { code: "type_date" };
        }
        if (item.max_ref === "today" && value > today) return { code: "future_date", params: { max: today } };
        return null;
      case "geopoint":
        return { code: "type_object" };
      default:
        return null; // a question type this version of the app does not know: the server checks
    }
  }
}
