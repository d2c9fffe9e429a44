// MathML built from the slides' names ("w5", "yhat", "z1", "l") and small expressions ("1 - yhat"), plus
// numbers with significant digits for gradients that can be tiny. MathML renders natively (Chromium, Firefox).

import { formatValue } from "./format.js";

const NS = "http://www.w3.org/1998/Math/MathML";
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";

/** A MathML element with children (elements or text). */
export function el(tag, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const child of children) node.append(child);
  return node;
}

export const mi = (text) => el("mi", text);
export const mo = (text) => el("mo", text);
export const mrow = (...children) => el("mrow", ...children);

/** A number as MathML, keeping the exact value in data-value for scripts and tests. */
export function mn(value, digits = 4) {
  const node = el("mn", formatValue(value, digits));
  node.dataset.value = String(value);
  return node;
}

/** Plain-text name of a slide symbol: "w5" → "w₅", "yhat" → "ŷ". */
export function symbolText(name) {
  if (name === "yhat") return "ŷ";
  const match = /^([a-z])(\d+)$/.exec(name);
  return match ? match[1] + [...match[2]].map((d) => SUBSCRIPTS[Number(d)]).join("") : name;
}

/** A slide symbol as MathML: w₅ as <msub>, ŷ as one identifier. */
export function symbol(name) {
  if (name === "yhat") return mi("ŷ");
  const match = /^([a-z])(\d+)$/.exec(name);
  return match ? el("msub", mi(match[1]), el("mn", match[2])) : mi(name);
}

/** ∂of/∂wrt as a fraction. */
export function partial(of, wrt) {
  return el("mfrac", mrow(mo("∂"), symbol(of)), mrow(mo("∂"), symbol(wrt)));
}

/** Plain text of ∂of/∂wrt, for labels and screen readers. */
export function partialText(of, wrt) {
  return `∂${symbolText(of)}/∂${symbolText(wrt)}`;
}

/** A small expression of slide names, numbers and + − (tokens separated by spaces) as MathML. */
export function expression(text) {
  const tokens = text.split(" ");
  const parts = tokens.map((token) => {
    if (token === "-") return mo("−");
    if (token === "+") return mo("+");
    if (/^-?\d/.test(token)) return el("mn", token.replace("-", "−"));
    return symbol(token);
  });
  return tokens.length > 1 || text.startsWith("-") ? parens(...parts) : parts[0];
}

/** Plain text of an expression. */
export function expressionText(text) {
  const inner = text.split(" ").map((t) => (t === "-" ? "−" : /^-?\d/.test(t) ? t.replace("-", "−") : symbolText(t))).join(" ");
  return text.includes(" ") || text.startsWith("-") ? `(${inner})` : inner;
}

/** Children in parentheses. */
export function parens(...children) {
  return mrow(mo("("), ...children, mo(")"));
}

/** Children joined by a middle dot. */
export function times(children) {
  return mrow(...children.flatMap((child, i) => (i ? [mo("·"), child] : [child])));
}

/** A <math> element (display block or inline) holding children; inline ones keep full-size fractions. */
export function math(children, display = "block") {
  const node = el("math", ...children);
  node.setAttribute("display", display);
  if (display === "inline") node.setAttribute("displaystyle", "true");
  return node;
}

