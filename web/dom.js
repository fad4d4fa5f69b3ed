// FaultMaven web UI: DOM helpers (elements built from code, server text put in as text), the
// formatters every view shares, and the toast.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

/**
 * Creates an element. `attributes` keys: `class`, `text` (textContent), `on<event>` (listener,
 * only ever functions of the page's own modules), anything else through setAttribute. Children
 * are nodes or strings; strings become text nodes.
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
  appendChildren(node, children);
  return node;
}

function appendChildren(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const byId = (id) => document.getElementById(id);

/** Turns snake_case enum values into words; unknown values are shown as sent, as text. */
export function humanize(value) {
  const text = String(value ?? "");
  const spaced = text.replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A CSS-safe token for a value from a fixed set, so server strings never become class names. */
export function knownToken(value, allowed, fallback) {
  return allowed.includes(value) ? value : fallback;
}

export function formatBytes(bytes) {
  const value = Number(bytes);
  if (!Number.isFinite(value)) return "";
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
}

export function formatCount(value) {
  const number = Number(value);
  return Number.isFinite(number) ? number.toLocaleString("en-US") : "";
}

/** RFC 3339 timestamps shown in UTC, to the second, as an SRE reads them next to logs. */
export function formatTimestamp(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function formatNumber(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  if (Number.isInteger(number)) return String(number);
  return String(Number(number.toPrecision(6)));
}

export function percent(fraction) {
  const number = Number(fraction);
  if (!Number.isFinite(number)) return 0;
  return Math.round(Math.min(Math.max(number, 0), 1) * 100);
}

export function arrayOf(value) {
  return Array.isArray(value) ? value : [];
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.setAttribute("class", value);
    else node.setAttribute(name, String(value));
  }
  return node;
}

/** Shows a short message for a moment (the page's polite status toast). */
let toastTimer = null;
export function showToast(message) {
  const toast = byId("toast");
  toast.textContent = message;
  toast.hidden = false;
  if (toastTimer !== null) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 2500);
}
