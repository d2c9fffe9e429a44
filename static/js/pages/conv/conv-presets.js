// The conv page's presets: inputs and kernels the user starts from (they are inputs, not results), and whole
// examples from the recitation. Arrays are nested: input [C][H][W], kernels [F][C][K][K].

export const SEED_IMAGE = [
  [0, 0, 0, 0, 0, 0, 0],
  [0, 1, 1, 1, 1, 1, 0],
  [0, 1, 0, 0, 1, 0, 0],
  [0, 1, 0, 1, 0, 0, 0],
  [0, 1, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0],
];

/** A small deterministic generator (mulberry32), so a "random" input is the same for everyone with its seed. */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** C×n×n integers from lo to hi (inclusive), from seed. */
export function randomVolume(seed, channels, n, lo = 0, hi = 2) {
  const next = generator(seed);
  return Array.from({ length: channels }, () =>
    Array.from({ length: n }, () => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)))));
}

const fixed3 = (rows) => (k) => (k === 3 ? rows : null);

/** 2-D kernel presets: a function of k giving k×k rows, or null when the preset has no k×k version. */
export const KERNELS = {
  seed: { label: "Slide's kernel", make: fixed3([[0, 0, 0], [0, 1, 1], [0, 1, 0]]) },
  identity: {
    label: "Identity",
    make: (k) => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === (k - 1) >> 1 && j === (k - 1) >> 1 ? 1 : 0))),
  },
  box: { label: "Box blur", make: (k) => Array.from({ length: k }, () => Array(k).fill(1 / (k * k))) },
  sharpen: { label: "Sharpen", make: fixed3([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]) },
  sobel_x: { label: "Sobel x", make: fixed3([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) },
  sobel_y: { label: "Sobel y", make: fixed3([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]) },
};

/** The CS231n-style volume: a 5×5×3 input (7×7×3 once padded by 1) and two 3×3×3 filters with biases 1 and 0. */
export const VOLUME = {
  input: randomVolume(231, 3, 5, 0, 2),
  kernels: [randomVolume(7, 3, 3, -1, 1), randomVolume(11, 3, 3, -1, 1)],
  bias: [1, 0],
};

/** Whole configurations: the state fields each one sets (the rest go back to their defaults). */
export const EXAMPLES = {
  slide: { label: "Slide: 7×7 image, 3×3 kernel, stride 1 → 5×5", state: {} },
  slide_stride2: { label: "Slide: the same with stride 2 → 3×3", state: { s: 2 } },
  volume: {
    label: "Volume: 5×5×3 input, padding 1 (7×7×3), two 3×3×3 filters, stride 2 → 3×3×2",
    state: { input: "volume", n: 5, c: 3, kernel: "volume", f: 2, s: 2, p: 1 },
  },
  lenet: {
    label: "LeNet-5 conv1 and pool1 on an MNIST digit",
    state: { input: "mnist", n: 28, kernel: "lenet", k: 5, f: 6, p: 2, stage2: "max", k2: 2, s2: 2 },
  },
  field: {
    label: "Receptive field: a 3×3 convolution, then 2×2 max pooling",
    state: { input: "random", n: 9, stage2: "max", k2: 2, s2: 2, kernel: "box" },
  },
  unreached: { label: "Stride 3 on 7×7: a row and a column no window reaches", state: { s: 3 } },
};
