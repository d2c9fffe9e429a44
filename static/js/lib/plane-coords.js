// Where a point of a grid's square lies on a picture of it, and back: the server's grids are size×size samples
// over box² with row 0 at the top (docs/protocol/xor.md), painted one pixel per sample, so a sample's centre sits
// half a pixel in from the picture's edge. Pictures are 100 units wide (an SVG overlay's viewBox). No DOM here.

/** Overlay x (0…100) of the first coordinate u. */
export function toX(u, [lo, hi], size) {
  return ((((u - lo) / (hi - lo)) * (size - 1) + 0.5) / size) * 100;
}

/** Overlay y (0…100, downwards) of the second coordinate v. */
export function toY(v, box, size) {
  return 100 - toX(v, box, size);
}

/** The plane's (u, v) under a spot at fractions (fx, fy) of the picture's width and height, inside box². */
export function toPlane(fx, fy, [lo, hi], size) {
  const at = (f) => Math.max(lo, Math.min(hi, lo + ((f * size - 0.5) / (size - 1)) * (hi - lo)));
  return [at(fx), at(1 - fy)];
}

/** Segments packed as a flat array (m·4: u₁, v₁, u₂, v₂ …) as an SVG path in overlay units. */
export function segmentPath(flat, box, size) {
  const parts = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const [x1, y1, x2, y2] = [toX(flat[i], box, size), toY(flat[i + 1], box, size), toX(flat[i + 2], box, size), toY(flat[i + 3], box, size)];
    parts.push(`M${x1.toFixed(2)} ${y1.toFixed(2)}L${x2.toFixed(2)} ${y2.toFixed(2)}`);
  }
  return parts.join("");
}
