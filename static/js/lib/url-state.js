// Page settings in the URL query string, so a teacher can share or bookmark an exact configuration.

/** The query string read over defaults; numbers stay numbers when the default is a number. */
export function readState(defaults) {
  const params = new URLSearchParams(location.search);
  const state = { ...defaults };
  for (const [key, fallback] of Object.entries(defaults)) {
    if (!params.has(key)) continue;
    const raw = params.get(key);
    state[key] = typeof fallback === "number" ? (Number.isFinite(Number(raw)) ? Number(raw) : fallback) : raw;
  }
  return state;
}

export const URL_CHANGED = "backprop-lab:url-state"; // window event after every writeState (a room follows it)

/** Replace the query string with state (no new history entry; the #anchor stays, e.g. a lesson step's). */
export function writeState(state) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) params.set(key, String(value));
  history.replaceState(null, "", `${location.pathname}?${params}${location.hash}`);
  window.dispatchEvent(new Event(URL_CHANGED));
}
