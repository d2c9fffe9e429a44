// State the pages share inside one browser: the digit last drawn on the LeNet page, which the conv page can use
// as its input. Kept in localStorage (same origin only); no DOM here.

export const LAST_DIGIT_KEY = "backprop-lab:last-digit";
const SIZE = 28;

/** Remember a 28×28 image (rows of numbers in [0, 1], ink high, as LeNet sees it). */
export function saveLastDigit(values28x28) {
  try {
    localStorage.setItem(LAST_DIGIT_KEY, JSON.stringify({ values: values28x28, savedAt: Date.now() }));
  } catch {
    // Storage full or disabled (private mode): the conv page then says no digit was drawn.
  }
}

/** The last 28×28 digit drawn on the LeNet page, or null when there is none (or it is unreadable). */
export function loadLastDigit() {
  try {
    const stored = JSON.parse(localStorage.getItem(LAST_DIGIT_KEY) ?? "null");
    const values = stored?.values;
    const ok = Array.isArray(values) && values.length === SIZE &&
      values.every((row) => Array.isArray(row) && row.length === SIZE && row.every(Number.isFinite));
    return ok ? values : null;
  } catch {
    return null;
  }
}
