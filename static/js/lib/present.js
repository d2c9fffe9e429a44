// Presentation mode on every page (templates/base.html loads this module): the Present toggle, kept for the tab
// in sessionStorage so it survives the walk along the lesson path; the lesson bar with previous and next; fullscreen;
// B to blank the screen; ? for the keys. Pages that step through something add their keys with onPresentKeys();
// the conv page's own keys work in both modes and need nothing from here.

import { currentStep, neighbours, samePage } from "./lesson.js";

const STORAGE_KEY = "backprop-lab.present"; // the same key as present-boot.js
const root = document.documentElement;
const byTestId = (name) => document.querySelector(`[data-testid=${name}]`);
const ui = {
  toggle: byTestId("present-toggle"),
  bar: byTestId("present-bar"),
  prev: byTestId("lesson-prev"),
  next: byTestId("lesson-next"),
  where: byTestId("lesson-where"),
  fullscreen: byTestId("present-fullscreen"),
  help: byTestId("present-help"),
  blank: byTestId("blank-screen"),
  dialog: byTestId("key-help"),
  close: byTestId("key-help-close"),
};
const steps = JSON.parse(ui.bar.dataset.lesson);
let returnFocus = null;

/** Whether presentation mode is on. */
export function presenting() {
  return root.classList.contains("present");
}

/** Focus in a field where keys type (text, number, a menu, an editable cell): no shortcut may fire there. */
function typingIn(target) {
  return Boolean(target.closest?.(
    "input:not([type=button], [type=checkbox], [type=radio], [type=range], [type=reset], [type=submit]), " +
    "select, textarea, [contenteditable]:not([contenteditable=false])",
  ));
}

/**
 * A page's step keys in presentation mode: handler(event) runs for a key pressed outside any form control (and
 * without Ctrl, Alt or Meta) and returns true when it used the key, which then does nothing else.
 */
export function onPresentKeys(handler) {
  document.addEventListener("keydown", (event) => {
    if (!presenting() || event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.target.closest?.("input, select, textarea, [contenteditable]:not([contenteditable=false])")) return;
    if (handler(event)) event.preventDefault();
  });
}

/** Scroll so el starts at the top of the view (main, under the bar), unless its top is already there or above. */
export function reveal(el) {
  const box = el.getBoundingClientRect();
  const top = document.querySelector("main").getBoundingClientRect().top;
  if (box.top > top + 1 || box.bottom < top) el.scrollIntoView({ block: "start" });
}

/** The stage the address shows: the one its anchor names (or lies in, or holds), else the page's first. */
function currentStage() {
  const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  return target?.closest("[data-present-stage]") ?? target?.querySelector("[data-present-stage]")
    ?? document.querySelector("[data-present-stage]");
}

/** Scroll the current stage to the top of the view, in either mode (a following student's tab, say). */
export function showStage() {
  currentStage()?.scrollIntoView({ block: "start" });
}

/** In presentation mode, put the current stage exactly on screen: every stop opens on its stage, unscrolled. */
export function openStage() {
  if (presenting()) showStage();
}

function setPresenting(on) {
  root.classList.toggle("present", on);
  try {
    sessionStorage.setItem(STORAGE_KEY, on ? "1" : "0");
  } catch {
    // storage is off: the mode lasts for this page only
  }
  ui.toggle.setAttribute("aria-pressed", String(on));
  openStage();
  if (!on) {
    blank(false);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
}

// ---- the lesson path ----

function here() {
  return currentStep(steps, location);
}

function showLink(link, step, arrow) {
  link.hidden = !step;
  if (!step) {
    link.removeAttribute("href");
    return;
  }
  const index = steps.indexOf(step);
  link.href = step.href;
  link.dataset.lessonStep = String(index);
  link.textContent = arrow === "←" ? `← ${step.title}` : `${step.title} →`;
  link.title = arrow === "←" ? "Previous step of the lesson (P or Shift+Page Up)" : "Next step of the lesson (N or Shift+Page Down)";
}

function showBar() {
  const index = here();
  const { prev, next } = neighbours(steps, index);
  showLink(ui.prev, prev, "←");
  showLink(ui.next, next, "→");
  ui.where.textContent = index >= 0 ? `${index + 1} / ${steps.length} · ${steps[index].title}` : `Lesson: ${steps.length} steps`;
  ui.bar.dataset.step = String(index);
}

/** Open a step: in the same document when only the anchor changes (the page keeps its state), else load it. */
function go(step) {
  if (!step) return;
  if (!samePage(steps[here()], step)) {
    location.assign(step.href);
    return;
  }
  if (step.anchor) {
    location.hash = step.anchor; // scrolls to it; hashchange redraws the bar
  } else {
    history.pushState(null, "", location.pathname + location.search);
    window.scrollTo(0, 0);
    showBar();
    openStage();
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-lesson-step]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const step = steps[Number(link.dataset.lessonStep)];
  if (samePage(steps[here()], step)) {
    event.preventDefault();
    go(step);
  }
});
window.addEventListener("hashchange", () => {
  showBar();
  openStage();
});
window.addEventListener("popstate", showBar);

// ---- blank screen, fullscreen, help ----

function blanked() {
  return !ui.blank.hidden;
}

function blank(on) {
  ui.blank.hidden = !on;
}

async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await root.requestFullscreen();
  } catch {
    ui.fullscreen.title = "This browser refused fullscreen here; try its own fullscreen key (F11).";
  }
}

function toggleHelp() {
  if (ui.dialog.open) {
    ui.dialog.close();
    return;
  }
  returnFocus = document.activeElement;
  ui.dialog.showModal();
}

/** The layout's own keys, or null: ? in both modes, the rest in presentation mode. */
function layoutAction(event) {
  if (event.key === "?") return toggleHelp;
  if (!presenting()) return null;
  const { next, prev } = neighbours(steps, here());
  if (event.shiftKey && event.key === "PageDown") return () => go(next);
  if (event.shiftKey && event.key === "PageUp") return () => go(prev);
  const actions = { n: () => go(next), p: () => go(prev), b: () => blank(true), f: toggleFullscreen };
  return actions[event.key.toLowerCase()] ?? null;
}

// Capture phase: a blanked screen or the open help takes every key before the page's own handlers see it, and
// the layout's keys (Shift+Page Down included) never reach a page's stepping.
window.addEventListener("keydown", (event) => {
  if (blanked()) {
    event.preventDefault();
    event.stopPropagation();
    blank(false);
    return;
  }
  if (ui.dialog.open) {
    event.stopPropagation(); // Escape still closes it and Tab still moves: those are default actions
    if (event.key === "?") {
      event.preventDefault();
      ui.dialog.close();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typingIn(event.target)) return;
  const action = layoutAction(event);
  if (!action) return;
  event.preventDefault();
  event.stopPropagation();
  action();
}, { capture: true });

/** The stage across the middle of the view (a page with several stops has several), else the page's first. */
function stageInView() {
  const view = document.querySelector("main").getBoundingClientRect();
  const middle = (view.top + view.bottom) / 2;
  return [...document.querySelectorAll("[data-present-stage]")].find((stage) => {
    const box = stage.getBoundingClientRect();
    return box.top <= middle && box.bottom >= middle;
  }) ?? document.querySelector("[data-present-stage]");
}

// After the page's own handlers: when one of them used a step key (a clicker's Page Down, say) in presentation
// mode, bring the stage being shown ([data-present-stage]) into view, so stepping never happens below the fold.
const STEP_KEYS = new Set([" ", "ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "PageDown", "PageUp", "Home", "End"]);
window.addEventListener("keydown", (event) => {
  const stage = stageInView();
  if (stage && presenting() && event.defaultPrevented && STEP_KEYS.has(event.key)) reveal(stage);
});

ui.toggle.addEventListener("click", () => setPresenting(!presenting()));
ui.fullscreen.addEventListener("click", toggleFullscreen);
ui.help.addEventListener("click", toggleHelp);
ui.close.addEventListener("click", () => ui.dialog.close());
ui.blank.addEventListener("click", () => blank(false));
ui.dialog.addEventListener("close", () => returnFocus?.focus?.());
ui.dialog.addEventListener("click", (event) => {
  const box = ui.dialog.getBoundingClientRect();
  const outside = event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
  if (event.target === ui.dialog && outside) ui.dialog.close(); // a click on the backdrop
});
document.addEventListener("fullscreenchange", () => {
  ui.fullscreen.setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
});
ui.fullscreen.hidden = !document.fullscreenEnabled;
ui.toggle.setAttribute("aria-pressed", String(presenting()));
showBar();
openStage();
window.addEventListener("load", openStage); // again once images and late styles have settled the layout
window.addEventListener("resize", openStage);
