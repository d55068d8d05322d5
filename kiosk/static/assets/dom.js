// A tiny DOM builder: h("p", {class: "x"}, "text", child).  Attributes only, never inline
// style or on* attributes (the Content-Security-Policy allows neither).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value == null) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

const MOUTHS = { 1: "M12 30 Q20 20 28 30", 2: "M13 29 Q20 25 27 29", 3: "M13 26 Q20 30 27 26", 4: "M12 25 Q20 35 28 25" };

/** The smiley face of point 1..4 (decorative: the label names it). */
export function face(point) {
  const root = svg("svg", { class: "face", viewBox: "0 0 40 40", "aria-hidden": "true", focusable: "false" });
  root.append(
    svg("circle", { cx: 20, cy: 20, r: 18, fill: "none", stroke: "currentColor", "stroke-width": 2.5 }),
    svg("circle", { cx: 14, cy: 16, r: 2.5, fill: "currentColor" }),
    svg("circle", { cx: 26, cy: 16, r: 2.5, fill: "currentColor" }),
    svg("path", { d: MOUTHS[point] || MOUTHS[3], fill: "none", stroke: "currentColor", "stroke-width": 2.5, "stroke-linecap": "round" }),
  );
  return root;
}
