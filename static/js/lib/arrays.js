// Nested arrays (rows of numbers, stacks of them) and row-major typed arrays from binary frames. No DOM here.

/** Dimensions of a nested array: [[1, 2], [3, 4]] → [2, 2]. */
export const shape = (a) => (Array.isArray(a) ? [a.length, ...shape(a[0])] : []);

/** Every number of a nested array, row-major. */
export const flat = (a) => (Array.isArray(a) ? a.flatMap(flat) : [a]);

/** A nested array of zeros with the given dimensions. */
export const zeros = (...dims) => (dims.length ? Array.from({ length: dims[0] }, () => zeros(...dims.slice(1))) : 0);

/** A typed array's value at a multi-index (row-major). */
export function at(array, dims, ...index) {
  let offset = 0;
  for (let a = 0; a < dims.length; a++) offset = offset * dims[a] + index[a];
  return array[offset];
}

/** The lead-th h×w map of a row-major array of dims [..., h, w] (a view, not a copy). */
export function mapOf(array, dims, lead) {
  const [h, w] = dims.slice(-2);
  const start = lead * h * w;
  return array.subarray(start, start + h * w);
}
