// The page links' row: on a phone one line that scrolls sideways (app.css), which starts at the current page's link
// so that it shows where the student is. Only the row scrolls, never the page (which may be at an anchor).

const row = document.querySelector(".site-nav ul");
const current = row?.querySelector('[aria-current="page"]');
if (current && row.scrollWidth > row.clientWidth) {
  const offset = current.getBoundingClientRect().left - row.getBoundingClientRect().left;
  row.scrollLeft += offset - (row.clientWidth - current.offsetWidth) / 2;
}
