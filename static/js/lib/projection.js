// A 3-D picture on a flat screen, without a library: points scaled into the cube [−1, 1]³, turned by a yaw about the
// vertical axis and a pitch that tilts the view from above, and projected orthographically. Screen coordinates are
// x to the right and y upwards (a canvas flips y when it draws); depth grows towards the viewer. No DOM here.

export const DEFAULT_VIEW = Object.freeze({ yaw: -0.6, pitch: 0.45 });
export const MAX_PITCH = Math.PI / 2;
export const RADIANS_PER_PIXEL = 0.01;

/** A point [a, b, c] of the box [lo, hi] (each [3]) in the cube [−1, 1]³; a flat axis maps to 0. */
export function toCube(point, lo, hi) {
  return point.map((value, axis) => (hi[axis] > lo[axis] ? (2 * (value - lo[axis])) / (hi[axis] - lo[axis]) - 1 : 0));
}

/** The 3×3 matrix (rows: screen x, screen y, depth) of a view turned by yaw about the third axis, tilted by pitch. */
export function rotation({ yaw, pitch }) {
  const [cy, sy, cp, sp] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch)];
  return [
    [cy, -sy, 0],
    [sp * sy, sp * cy, cp],
    [-cp * sy, -cp * cy, sp],
  ];
}

/** A cube point through the matrix: {x, y, depth}. */
export function project(point, matrix) {
  const [x, y, depth] = matrix.map((row) => row[0] * point[0] + row[1] * point[1] + row[2] * point[2]);
  return { x, y, depth };
}

/** The view after a drag of (dx, dy) pixels: right turns it, down tilts it towards looking from above. */
export function dragged({ yaw, pitch }, dx, dy, perPixel = RADIANS_PER_PIXEL) {
  return { yaw: yaw + dx * perPixel, pitch: Math.max(-MAX_PITCH, Math.min(MAX_PITCH, pitch + dy * perPixel)) };
}

/** The cube's 8 corners (bit d of the index set: coordinate d at +1) and its 12 edges as index pairs. */
export const CUBE_CORNERS = Array.from({ length: 8 }, (_, k) => [0, 1, 2].map((d) => (k & (1 << d) ? 1 : -1)));
export const CUBE_EDGES = CUBE_CORNERS.flatMap((_, a) => [0, 1, 2].filter((d) => !(a & (1 << d))).map((d) => [a, a | (1 << d)]));

/** Indices of projected points ({depth}) from the farthest to the nearest, the order a painter draws them in. */
export function backToFront(projected) {
  return projected.map((_, i) => i).sort((i, j) => projected[i].depth - projected[j].depth);
}

/** Pixels per cube unit so the turned cube (radius √3) fits a width×height canvas with a margin on each side. */
export function fitScale(width, height, margin = 0) {
  return Math.max(0, (Math.min(width, height) / 2 - margin) / Math.sqrt(3));
}
