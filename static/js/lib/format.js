// Numbers as people read them on a projector: short, with a real minus sign. No DOM here.

/** "3", "0.25", "-1.5": short enough for a cell, exact for small integers. */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return value === -Infinity ? "−∞" : "";
  if (Number.isInteger(value)) return String(value).replace("-", "−");
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toFixed(digits).replace(/\.?0+$/, "");
  return (text === "-0" ? "0" : text).replace("-", "−");
}

/** A number with `digits` significant digits, a real minus sign, and ×10ⁿ for very small or large values. */
export function formatValue(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e-3 && abs < 1e5) {
    text = Number(value.toPrecision(digits)).toString();
  } else {
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    const sup = [...String(Number(exponent))].map((c) => (c === "-" ? "⁻" : "⁰¹²³⁴⁵⁶⁷⁸⁹"[Number(c)])).join("");
    text = `${Number(mantissa)}×10${sup}`;
  }
  return text.replace("-", "−");
}
