// An SVG arrow over the stage from the window (a box) to the cell its sum lands in (another box), in the
// coordinates of the stage element it is drawn over.

const SVG = "http://www.w3.org/2000/svg";

export class LinkLine {
  constructor(el) {
    this.el = el;
    this.el.setAttribute("aria-hidden", "true");
    this.el.innerHTML =
      `<defs><marker id="conv-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
      `<path d="M0,0 L10,5 L0,10 z"></path></marker></defs>`;
    this.from = document.createElementNS(SVG, "rect");
    this.line = document.createElementNS(SVG, "line");
    this.line.setAttribute("marker-end", "url(#conv-arrow)");
    this.el.append(this.from, this.line);
  }

  /** data: from {left, top, right, bottom}, to (same), visible. */
  update({ from, to, visible = true }) {
    const show = Boolean(visible && from && to);
    this.el.classList.toggle("is-visible", show);
    if (!show) return;
    this.from.setAttribute("x", from.left - 3);
    this.from.setAttribute("y", from.top - 3);
    this.from.setAttribute("width", from.right - from.left + 6);
    this.from.setAttribute("height", from.bottom - from.top + 6);
    const fx = (from.left + from.right) / 2;
    const fy = (from.top + from.bottom) / 2;
    const tx = (to.left + to.right) / 2;
    const ty = (to.top + to.bottom) / 2;
    // Leave the window at its edge nearest the target and stop at the target cell's edge.
    const start = edgePoint(from, tx - fx, ty - fy, 3);
    const end = edgePoint(to, fx - tx, fy - ty, 2);
    this.line.setAttribute("x1", start[0]);
    this.line.setAttribute("y1", start[1]);
    this.line.setAttribute("x2", end[0]);
    this.line.setAttribute("y2", end[1]);
  }

  destroy() {
    this.el.replaceChildren();
  }
}

/** Where a ray from the centre of box in direction (dx, dy) leaves the box (plus a margin). */
function edgePoint(box, dx, dy, margin) {
  const cx = (box.left + box.right) / 2;
  const cy = (box.top + box.bottom) / 2;
  const hw = (box.right - box.left) / 2 + margin;
  const hh = (box.bottom - box.top) / 2 + margin;
  if (dx === 0 && dy === 0) return [cx, cy];
  const t = Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity);
  return [cx + dx * t, cy + dy * t];
}
