// Presentation mode before the first paint (a classic script in <head>, so a projected page never flashes its
// normal layout): ?present=1 turns it on and ?present=0 off for this tab, sessionStorage keeps the choice across
// the pages of the lesson path, and html.present switches the CSS. present.js owns the mode after this.
(() => {
  const KEY = "backprop-lab.present"; // the same key as present.js
  const asked = new URLSearchParams(location.search).get("present");
  let on = asked === "1";
  try {
    if (asked === "1" || asked === "0") sessionStorage.setItem(KEY, asked);
    on = sessionStorage.getItem(KEY) === "1";
  } catch {
    // storage is off (a private window's policy, say): the mode follows the URL alone
  }
  document.documentElement.classList.toggle("present", on);
})();
