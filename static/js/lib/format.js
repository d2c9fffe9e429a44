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
