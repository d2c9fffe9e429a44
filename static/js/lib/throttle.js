// Slider drags fire input events faster than the server's per-socket message rate allows: call fn at most once
// every `ms` milliseconds, always with the latest arguments (the last call is never lost). No DOM here.

/** A function that forwards to fn at most once per ms, trailing call included. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  let pending = null;
  const fire = () => {
    timer = null;
    last = Date.now();
    const args = pending;
    pending = null;
    fn(...args);
  };
  return (...args) => {
    pending = args;
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(fire, wait);
  };
}
