// LeNet's ten classes, as a room's untrusted view state may name one (the explained digit, the backward label).

/** value when it is one of the digits 0..9, else null. */
export const digitOrNull = (value) => (Number.isInteger(value) && value >= 0 && value <= 9 ? value : null);
