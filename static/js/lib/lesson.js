// The lesson path without the DOM: which step a URL shows, and the steps before and after it. A step is
// {title, path, query, anchor, href}, as LESSON in app/server/pages.py defines it (base.html hands it over).

/** How many conditions a step puts on a URL beyond its path: the more, the more specific the step. */
function conditions(step) {
  return [...new URLSearchParams(step.query)].length + (step.anchor ? 1 : 0);
}

/** Whether a URL ({pathname, search, hash}) shows the step: its path, every value of its query, its anchor. */
export function shows(step, url) {
  const params = new URLSearchParams(url.search);
  return step.path === url.pathname
    && [...new URLSearchParams(step.query)].every(([key, value]) => params.get(key) === value)
    && (!step.anchor || url.hash === `#${step.anchor}`);
}

/**
 * Index of the step a URL shows, or -1 off the lesson path. When several fit (/xor#derivation also fits the
 * plain /xor step), the most specific wins, so the step follows the URL even after the page rewrites its query.
 */
export function currentStep(steps, url) {
  let best = -1;
  steps.forEach((step, i) => {
    if (shows(step, url) && (best < 0 || conditions(step) > conditions(steps[best]))) best = i;
  });
  return best;
}

/** The steps before and after index, or null past either end; off the path (-1) the next step is the first. */
export function neighbours(steps, index) {
  return {
    prev: index > 0 ? steps[index - 1] : null,
    next: index + 1 < steps.length ? steps[index + 1] : null,
  };
}

/** Whether moving between two steps stays in the same document (only the anchor differs): the page keeps its state. */
export function samePage(from, to) {
  return Boolean(from && to) && from.path === to.path && from.query === to.query;
}
