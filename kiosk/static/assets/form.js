// The instrument as the kiosk asks it: one question per screen, skip logic (show_if) as the
// server evaluates it (instruments/_coerce.py: evaluate), canonical answer values.
import { h, face } from "./dom.js";
import { t, tr } from "./i18n.js";

/** Types answered by one tap: the kiosk moves on by itself after the tap. */
export const ONE_TAP = new Set(["smiley", "likert", "nps", "yes_no", "single"]);

/** Every question in order, each with its section: [{item, section}]. */
export function questions(instrument) {
  const byId = new Map((instrument.items || []).map((item) => [item.id, item]));
  const sections = instrument.sections || [{ id: "", title: null, show_if: null, items: instrument.items || [] }];
  // a section lists its items, or (as the server sends them) their ids into `items`
  return sections.flatMap((section) =>
    (section.items || []).map((entry) => ({ item: typeof entry === "string" ? byId.get(entry) : entry, section })).filter((q) => q.item),
  );
}

const same = (a, b) => a === b || (typeof a === "number" && typeof b === "number" && a === b);

/** The show_if condition against canonical answers: true/false (as instruments.evaluate). */
export function evaluate(condition, values) {
  if (!condition) return true;
  const op = condition.op;
  if (op === "all") return (condition.conditions || []).every((c) => evaluate(c, values));
  if (op === "any") return (condition.conditions || []).some((c) => evaluate(c, values));
  const item = condition.item;
  if (item == null) return false;
  if (op === "answered") return (item in values) === Boolean(condition.value);
  if (!(item in values)) return false;
  const value = values[item];
  const target = condition.value;
  if (Array.isArray(value)) {
    if (op === "eq") return value.includes(target);
    if (op === "ne") return !value.includes(target);
    if (op === "in") return (target || []).some((x) => value.includes(x));
    return false;
  }
  if (op === "eq") return same(value, target);
  if (op === "ne") return !same(value, target);
  if (op === "in") return (target || []).some((x) => same(value, x));
  if (typeof value === "number" && typeof target === "number") {
    if (op === "gt") return value > target;
    if (op === "lt") return value < target;
  }
  return false;
}

/**
 * The questions the skip logic shows for `answers`, and the answers of shown items only
 * (what is sent: an answer to an item that a later change hid is dropped).
 */
export function visible(all, answers) {
  const values = {};
  const shown = [];
  for (const q of all) {
    if (!evaluate(q.section.show_if, values) || !evaluate(q.item.show_if, values)) continue;
    shown.push(q);
    const value = canonical(q.item, answers[q.item.id]);
    if (value !== undefined) values[q.item.id] = value;
  }
  return { shown, values };
}

export function answered(item, value) {
  if (value == null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "string") return value.trim() !== "";
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** Scale points of a rating item. */
export function points(item) {
  if (item.type === "smiley") return [1, 2, 3, 4];
  if (item.type === "nps") return Array.from({ length: 11 }, (_, i) => i);
  const lo = item.min == null ? 1 : item.min;
  const hi = item.max == null ? 5 : item.max;
  const out = [];
  for (let p = lo; p <= hi; p += 1) out.push(p);
  return out;
}

function anchor(item, point, lang) {
  const anchors = item.anchors || {};
  const text = anchors[String(point)] ?? anchors[point];
  return text ? tr(text, lang) : "";
}

/** Is `value` complete enough to leave the question?  Returns an error text or "". */
export function problem(item, value, lang) {
  if (item.type === "number" && answered(item, value)) {
    const number = Number(value);
    if (!Number.isFinite(number)) return t(lang, "invalid_number", { min: item.min ?? "", max: item.max ?? "" });
    if (item.integer && !Number.isInteger(number)) return t(lang, "invalid_integer");
    if ((item.min != null && number < item.min) || (item.max != null && number > item.max)) {
      return t(lang, "invalid_number", { min: item.min ?? "−∞", max: item.max ?? "∞" });
    }
  }
  if (item.type === "battery" && answered(item, value) && !value.na) {
    const missing = (item.columns || []).some((c) => !(c.id in value));
    if (missing && item.required !== false) return t(lang, "required");
  }
  if (item.required !== false && !answered(item, value)) return t(lang, "required");
  return "";
}

/** Convert what a field holds to the canonical answer (or undefined for "no answer"). */
export function canonical(item, value) {
  if (!answered(item, value)) return undefined;
  if (item.type === "number") return Number.isFinite(Number(value)) ? Number(value) : undefined;
  if (item.type === "text") return String(value).trim();
  if (item.type === "multi") return (item.choices || []).map((c) => c.value).filter((v) => value.includes(v));
  return value;
}

/**
 * Build the DOM of question `q` (a fieldset or a labelled field) for `lang`.
 * `value` is the current answer; `change(value, viaTap)` reports a new one.
 */
export function renderQuestion(q, lang, value, change, ids) {
  const { item } = q;
  const qid = `q-${ids}`;
  const titleId = `${qid}-title`;
  const hintId = `${qid}-hint`;
  const errorId = `${qid}-error`;
  const help = item.help ? tr(item.help, lang) : "";
  const optional = item.required === false ? h("span", { class: "optional" }, " ", t(lang, "optional")) : null;
  const described = [help ? hintId : null, errorId].filter(Boolean).join(" ");
  const hint = help ? h("p", { class: "hint", id: hintId }, help) : null;
  const error = h("p", { class: "error-message", id: errorId, hidden: true });
  let tapped = 0;
  const markTap = () => {
    tapped = Date.now();
  };
  const report = (v) => change(v, Date.now() - tapped < 1500);

  const group = (body, extraClass = "") =>
    h(
      "fieldset",
      { class: `q q-${item.type} ${extraClass}`.trim(), "aria-describedby": described },
      h("legend", { id: titleId, class: "q-title", tabindex: "-1" }, tr(item.text, lang), optional),
      hint,
      body,
      error,
    );

  const radio = (name, optionValue, checked, label, cls, onPick) => {
    const id = `${name}-${String(optionValue).replace(/[^\w-]/g, "_")}`;
    return h(
      "div",
      { class: cls },
      h("input", { type: "radio", id, name, value: String(optionValue), checked: checked || false, onchange: onPick, onpointerdown: markTap, onclick: (e) => e.detail > 0 && markTap() }),
      h("label", { for: id, onpointerdown: markTap }, label),
    );
  };

  let field;
  switch (item.type) {
    case "smiley":
    case "likert":
    case "nps": {
      const pts = points(item);
      const tiles = pts.map((p) => {
        const name = anchor(item, p, lang);
        const label =
          item.type === "smiley"
            ? [face(p), h("span", { class: "face-label" }, name || String(p))]
            : [h("span", { class: "point" }, String(p)), name ? h("span", { class: "visually-hidden" }, ` — ${name}`) : null];
        return radio(qid, p, value === p, label, "tile", () => report(p));
      });
      const ends =
        item.type !== "smiley" && (anchor(item, pts[0], lang) || anchor(item, pts[pts.length - 1], lang))
          ? h(
              "div",
              { class: "anchors", "aria-hidden": "true" },
              h("span", {}, anchor(item, pts[0], lang) ? `${pts[0]} — ${anchor(item, pts[0], lang)}` : ""),
              h("span", {}, anchor(item, pts[pts.length - 1], lang) ? `${pts[pts.length - 1]} — ${anchor(item, pts[pts.length - 1], lang)}` : ""),
            )
          : null;
      field = group([h("div", { class: `scale scale-${item.type}`, "data-points": pts.length }, tiles), ends]);
      break;
    }
    case "yes_no":
      field = group(
        h(
          "div",
          { class: "choices choices-yes-no" },
          radio(qid, 1, value === 1, t(lang, "yes"), "choice", () => report(1)),
          radio(qid, 0, value === 0, t(lang, "no"), "choice", () => report(0)),
        ),
      );
      break;
    case "single":
      field = group(
        h(
          "div",
          { class: "choices" },
          (item.choices || []).map((c) => radio(qid, c.value, value === c.value, tr(c.label, lang), "choice", () => report(c.value))),
        ),
      );
      break;
    case "multi": {
      const chosen = new Set(Array.isArray(value) ? value : []);
      const boxes = (item.choices || []).map((c) => {
        const id = `${qid}-${String(c.value).replace(/[^\w-]/g, "_")}`;
        return h(
          "div",
          { class: "choice" },
          h("input", {
            type: "checkbox",
            id,
            name: qid,
            value: c.value,
            checked: chosen.has(c.value),
            onchange: (e) => {
              if (e.target.checked) chosen.add(c.value);
              else chosen.delete(c.value);
              report([...chosen]);
            },
          }),
          h("label", { for: id }, tr(c.label, lang)),
        );
      });
      field = group(h("div", { class: "choices" }, boxes));
      break;
    }
    case "battery": {
      const current = value && typeof value === "object" ? { ...value } : {};
      const rows = (item.columns || []).map((column) => {
        const name = `${qid}-${column.id}`;
        const labelId = `${name}-label`;
        return h(
          "div",
          { class: "battery-row", role: "radiogroup", "aria-labelledby": `${titleId} ${labelId}` },
          h("p", { class: "battery-column", id: labelId }, tr(column.label, lang)),
          h(
            "div",
            { class: "scale scale-likert", "data-points": points(item).length },
            points(item).map((p) =>
              radio(name, p, current[column.id] === p, [h("span", { class: "point" }, String(p)), anchor(item, p, lang) ? h("span", { class: "visually-hidden" }, ` — ${anchor(item, p, lang)}`) : null], "tile", () => {
                delete current.na;
                current[column.id] = p;
                report({ ...current });
              }),
            ),
          ),
        );
      });
      const na = item.na_allowed
        ? h(
            "div",
            { class: "choice" },
            h("input", {
              type: "checkbox",
              id: `${qid}-na`,
              checked: Boolean(current.na),
              onchange: (e) => report(e.target.checked ? { na: true } : {}),
            }),
            h("label", { for: `${qid}-na` }, t(lang, "not_applicable")),
          )
        : null;
      field = group([rows, na]);
      break;
    }
    case "number":
    case "text": {
      const inputId = `${qid}-input`;
      const input =
        item.type === "number"
          ? h("input", {
              id: inputId,
              class: "input-number",
              type: "text",
              inputmode: item.integer ? "numeric" : "decimal",
              autocomplete: "off",
              value: value ?? "",
              "aria-describedby": described,
              oninput: (e) => report(e.target.value.replace(",", ".").trim()),
            })
          : h("textarea", {
              id: inputId,
              rows: 4,
              maxlength: item.max_length || 2000,
              autocomplete: "off",
              "aria-describedby": `${described} ${qid}-count`,
              oninput: (e) => {
                report(e.target.value);
                counter.textContent = t(lang, "chars_left", { n: (item.max_length || 2000) - e.target.value.length });
              },
            });
      if (item.type === "text") input.value = value ?? "";
      const counter =
        item.type === "text"
          ? h("p", { class: "hint", id: `${qid}-count` }, t(lang, "chars_left", { n: (item.max_length || 2000) - String(value ?? "").length }))
          : null;
      field = h(
        "div",
        { class: `q q-${item.type}` },
        h("label", { class: "q-title", id: titleId, for: inputId, tabindex: "-1" }, tr(item.text, lang), optional),
        hint,
        input,
        counter,
        error,
      );
      break;
    }
    default:
      field = group(h("p", {}, item.type));
  }
  field.showError = (text) => {
    error.textContent = text;
    error.hidden = !text;
  };
  return field;
}
