// The selected unit's connections, drawn the way Harley's flat view does: a cone from the unit into the window it
// reads in the stage before, and from that window on into the one it reads, stage by stage down to the input.
// The windows are the layer strip's own boxes (placed from the server's receptive fields); this view only joins
// them, in an SVG laid over the strip, and redraws when the strip scrolls or changes size.

const SVG = "http://www.w3.org/2000/svg";

/** The box around every visible element matching `selector` under `root`, or null when there is none. */
function union(root, selector) {
  let box = null;
  for (const el of root.querySelectorAll(selector)) {
    if (el.hidden) continue;
    const r = el.getBoundingClientRect();
    box = {
      left: Math.min(box?.left ?? r.left, r.left),
      top: Math.min(box?.top ?? r.top, r.top),
      right: Math.max(box?.right ?? r.right, r.right),
      bottom: Math.max(box?.bottom ?? r.bottom, r.bottom),
    };
  }
  return box;
}

export class UnitEdges {
  /** svg: an <svg> covering `over` (the element holding the strip's stage columns, which may scroll sideways). */
  constructor(svg, over) {
    this.svg = svg;
    this.over = over;
    this.chain = [];
    this.redraw = () => this.draw();
    new ResizeObserver(this.redraw).observe(over);
    over.addEventListener("scroll", this.redraw, { passive: true });
  }

  /** stages: the stage names from the selected unit's own back to the input, each with a window drawn (or []). */
  update(stages) {
    this.chain = stages;
    this.draw();
  }

  draw() {
    const origin = this.svg.getBoundingClientRect();
    const boxes = this.chain.map((name, i) => {
      const column = this.over.querySelector(`.fm-column[data-stage="${name}"]`);
      return column && union(column, i === 0 ? ".unit-box" : ".rf-box");
    });
    const cones = [];
    for (let i = 0; i + 1 < boxes.length; i++) {
      const [to, from] = [boxes[i], boxes[i + 1]];
      if (!to || !from) break;
      // From the window's right edge (the stage before) to the reader's left edge: the data flows left to right.
      const points = [[from.right, from.top], [to.left, to.top], [to.left, to.bottom], [from.right, from.bottom]];
      const polygon = document.createElementNS(SVG, "polygon");
      polygon.setAttribute("class", i === 0 ? "cone is-first" : "cone");
      const at = ([x, y]) => `${(x - origin.left).toFixed(1)},${(y - origin.top).toFixed(1)}`;
      polygon.setAttribute("points", points.map(at).join(" "));
      cones.push(polygon);
    }
    this.svg.replaceChildren(...cones);
    this.svg.dataset.cones = String(cones.length);
  }
}
