// An SVG frame around the window and an arrow towards the cell its sum lands in, in the coordinates of the stage
// element it is drawn over. The arrow's ends are given: the stage draws it only where it crosses no text.

const SVG = "http://www.w3.org/2000/svg";

export class LinkLine {
  constructor(el) {
    this.el = el;
    this.el.setAttribute("aria-hidden", "true");
    this.el.innerHTML =
      `<defs><marker id="conv-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
      `<path d="M0,0 L10,5 L0,10 z"></path></marker></defs>`;
    this.frame = document.createElementNS(SVG, "rect");
    this.line = document.createElementNS(SVG, "line");
    this.line.setAttribute("marker-end", "url(#conv-arrow)");
    this.el.append(this.frame, this.line);
  }

  /** data: box {left, top, right, bottom} (the window), line {x1, y1, x2, y2} or null, visible. */
  update({ box, line = null, visible = true }) {
    const show = Boolean(visible && box);
    this.el.classList.toggle("is-visible", show);
    if (!show) return;
    this.frame.setAttribute("x", box.left - 3);
    this.frame.setAttribute("y", box.top - 3);
    this.frame.setAttribute("width", box.right - box.left + 6);
    this.frame.setAttribute("height", box.bottom - box.top + 6);
    this.line.style.display = line ? "" : "none";
    if (!line) return;
    for (const [name, value] of Object.entries(line)) this.line.setAttribute(name, value);
  }

  destroy() {
    this.el.replaceChildren();
  }
}
