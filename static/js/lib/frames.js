// Binary frames (app/server/frames.py): a uint32 header length, a JSON header, then the arrays it lists.
// "f32" arrays are little-endian float32; "u8" arrays are bytes with one [lo, hi] range per map.

const LEVELS = 255;

/** Decode a binary frame into {header, arrays}, each array {shape, data: Float32Array}. */
export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const start = 4 + length;
  const arrays = {};
  for (const entry of header.arrays) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    arrays[entry.name] = { shape: entry.shape, data: readArray(buffer, start + entry.offset, size, entry) };
  }
  delete header.arrays;
  return { header, arrays };
}

function readArray(buffer, offset, size, entry) {
  if (entry.dtype === "f32") return new Float32Array(buffer.slice(offset, offset + 4 * size));
  const codes = new Uint8Array(buffer, offset, size);
  const out = new Float32Array(size);
  const perMap = size / entry.lo.length;
  for (let i = 0; i < size; i++) {
    const m = Math.floor(i / perMap);
    out[i] = entry.lo[m] + (codes[i] / LEVELS) * (entry.hi[m] - entry.lo[m]);
  }
  return out;
}

/** Encode a binary frame for the server: header fields plus named Uint8Array arrays (as "u8" with lo 0, hi 255). */
export function encodeFrame(header, arrays) {
  const entries = [];
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(arrays)) {
    entries.push({ name, shape, dtype: "u8", offset, lo: [0], hi: [LEVELS] });
    offset += data.length + ((4 - (data.length % 4)) % 4);
  }
  const text = new TextEncoder().encode(JSON.stringify({ ...header, arrays: entries }));
  const pad = (4 - ((4 + text.length) % 4)) % 4;
  const headerBytes = new Uint8Array(text.length + pad).fill(32);
  headerBytes.set(text);
  const out = new Uint8Array(4 + headerBytes.length + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  let at = 4 + headerBytes.length;
  for (const { data } of Object.values(arrays)) {
    out.set(data, at);
    at += data.length + ((4 - (data.length % 4)) % 4);
  }
  return out.buffer;
}
