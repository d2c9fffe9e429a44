// The app's two colour scales, as 256-entry lookup tables of [r, g, b]:
// viridis (perceptually uniform, sequential) for activations, and a blue–white–red diverging map centred on
// zero (ColorBrewer RdBu) for weights and gradients. Both stay readable for colour-blind viewers and on projectors.

const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];
const RDBU = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"];

function hex(color) {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}

function table(stops) {
  const rgb = stops.map(hex);
  return Array.from({ length: 256 }, (_, i) => {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(Math.floor(t), rgb.length - 2);
    const f = t - k;
    return rgb[k].map((c, j) => Math.round(c + f * (rgb[k + 1][j] - c)));
  });
}

export const SEQUENTIAL = table(VIRIDIS);
export const DIVERGING = table(RDBU);

/** Index 0..255 of value within [lo, hi] (clamped). */
export function level(value, lo, hi) {
  if (!(hi > lo)) return 128;
  return Math.max(0, Math.min(255, Math.round(((value - lo) / (hi - lo)) * 255)));
}

/** CSS colour of value on a scale over [lo, hi]. */
export function cssColor(scale, value, lo, hi) {
  const [r, g, b] = scale[level(value, lo, hi)];
  return `rgb(${r} ${g} ${b})`;
}

/** [min, max] of values, or the symmetric [-m, m] with m = max |value| for signed data on DIVERGING. */
export function range(values, symmetric = false) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (symmetric) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  return lo < hi ? [lo, hi] : [lo - 1, lo + 1];
}
