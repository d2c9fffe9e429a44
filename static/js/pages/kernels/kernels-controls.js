// The kernels page's controls as messages for /ws/kernels, and back: log-scale sliders for C and γ, and the size,
// noise and feature map each point set opens with. No DOM here (tests/js/pages/kernels-controls.test.mjs).

// What each set opens with: its size and noise (app/kernels/datasets.py: DEFAULT_SIZE, DEFAULT_NOISE) and the
// feature map that makes it separable, so a new set shows the idea at once.
export const SET_DEFAULTS = Object.freeze({
  xor: { size: 4, noise: 0, feature: "product" },
  circles: { size: 80, noise: 0.1, feature: "radius" },
  moons: { size: 80, noise: 0.1, feature: "poly" },
  spiral: { size: 100, noise: 0.05, feature: "poly" },
  blobs: { size: 60, noise: 0.3, feature: "identity" },
});

/** 10^position, kept to three significant digits: a log-scale slider's value (C from 0.01 to 1000, say). */
export function fromLog(position) {
  return Number((10 ** Number(position)).toPrecision(3));
}

/** The slider position of a value on a log scale (the inverse of fromLog, to one decimal). */
export function toLog(value) {
  return Math.round(Math.log10(value) * 10) / 10;
}

/** The kernels_svm request of the controls' state: kernel, C and γ as slider positions, degree, coef0. */
export function svmMessage({ kernel, c, gamma, degree, coef0 }) {
  return { type: "kernels_svm", kernel, C: fromLog(c), gamma: fromLog(gamma), degree: Number(degree), coef0: Number(coef0) };
}

/** The kernels_feature request: the map φ and the degree of its monomials. */
export function featureMessage({ feature, fdegree }) {
  return { type: "kernels_feature", feature, degree: Number(fdegree) };
}

/** The kernels_dataset request. */
export function datasetMessage({ set, size, noise, seed }) {
  return { type: "kernels_dataset", name: set, size: Number(size), noise: Number(noise), seed: Number(seed) };
}

/** Which of a kernel's parameters matter: γ for poly and rbf, degree and coef0 for poly. */
export function usesParameter(kernel, parameter) {
  return { gamma: kernel !== "linear", degree: kernel === "poly", coef0: kernel === "poly" }[parameter] ?? true;
}
