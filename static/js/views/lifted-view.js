// The points lifted into φ-space, drawn in 3-D on a canvas: the box they lie in, the plane the linear SVM found
// there (clipped to the box by the server), and each point by its class, painted from the farthest to the nearest.
// Drag (or the arrow keys) turns the picture; lib/projection.js does the turning and the projecting.

import { CUBE_CORNERS, CUBE_EDGES, DEFAULT_VIEW, backToFront, dragged, fitScale, project, rotation, toCube } from "../lib/projection.js";

const KEY_STEP_PX = 12; // an arrow key turns the picture as a drag of this many pixels
const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export class LiftedView {
  /** options: label (accessible name), testid (data-testid of the canvas). */
  constructor(el, { label, testid = "lifted" }) {
    this.el = el;
    this.view = { ...DEFAULT_VIEW };
    this.data = null;
    el.classList.add("lifted");
    this.canvas = document.createElement("canvas");
    this.canvas.className = "lifted__canvas";
    this.canvas.dataset.testid = testid;
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", `${label}; drag or use the arrow keys to turn it`);
    el.append(this.canvas);
    this.canvas.addEventListener("pointerdown", (event) => this.grab(event));
    this.canvas.addEventListener("keydown", (event) => this.key(event));
    new ResizeObserver(() => this.draw()).observe(el);
  }

  grab(event) {
    this.canvas.setPointerCapture(event.pointerId);
    let [x, y] = [event.clientX, event.clientY];
    const move = (e) => {
      this.turn(e.clientX - x, e.clientY - y);
      [x, y] = [e.clientX, e.clientY];
    };
    const drop = () => {
      this.canvas.removeEventListener("pointermove", move);
      this.canvas.removeEventListener("pointerup", drop);
      this.canvas.removeEventListener("pointercancel", drop);
    };
    this.canvas.addEventListener("pointermove", move);
    this.canvas.addEventListener("pointerup", drop);
    this.canvas.addEventListener("pointercancel", drop);
    event.preventDefault();
  }

  key(event) {
    const step = KEYS[event.key];
    if (!step) return;
    this.turn(step[0] * KEY_STEP_PX, step[1] * KEY_STEP_PX);
    event.preventDefault();
  }

  turn(dx, dy) {
    this.view = dragged(this.view, dx, dy);
    this.draw();
  }

  /** data: points (flat n·3, the view's coordinates), labels (n), lo, hi ([3] each), plane (flat k·3), axes [3]. */
  update(data) {
    this.data = data;
    this.draw();
  }

  draw() {
    const { canvas, el } = this;
    const ratio = devicePixelRatio || 1;
    const [width, height] = [el.clientWidth, el.clientHeight];
    if (!this.data || !width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const style = getComputedStyle(el);
    const font = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const matrix = rotation(this.view);
    const scale = fitScale(width, height, font * 0.6);
    const screen = (cube) => {
      const { x, y, depth } = project(cube, matrix);
      return { x: width / 2 + x * scale, y: height / 2 - y * scale, depth };
    };
    const { points, labels, lo, hi, plane, axes } = this.data;
    const cube = (flat, i) => toCube([flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]], lo, hi);

    context.lineWidth = 1;
    context.strokeStyle = "rgb(128 128 128 / 0.7)";
    for (const [a, b] of CUBE_EDGES) {
      const [p, q] = [screen(CUBE_CORNERS[a]), screen(CUBE_CORNERS[b])];
      context.beginPath();
      context.moveTo(p.x, p.y);
      context.lineTo(q.x, q.y);
      context.stroke();
    }
    context.fillStyle = style.color;
    context.font = `700 ${font}px ${style.fontFamily}`;
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.lineWidth = 4;
    context.lineJoin = "round";
    context.strokeStyle = getComputedStyle(document.body).backgroundColor;
    axes.forEach((name, axis) => {
      const end = [-1, -1, -1];
      end[axis] = 1.25;
      const at = screen(end);
      const [x, y] = [Math.min(Math.max(at.x, font * 2), width - font * 2), Math.min(Math.max(at.y, font), height - font)];
      context.strokeText(name, x, y);
      context.fillText(name, x, y);
    });

    const corners = Array.from({ length: plane.length / 3 }, (_, i) => screen(cube(plane, i)));
    const planeDepth = corners.length ? corners.reduce((s, c) => s + c.depth, 0) / corners.length : -Infinity;
    const dots = Array.from({ length: labels.length }, (_, i) => ({ ...screen(cube(points, i)), one: labels[i] > 0.5 }));
    const radius = Math.max(3, font * (labels.length > 40 ? 0.25 : 0.4));
    const order = backToFront(dots);
    const behind = order.filter((i) => dots[i].depth < planeDepth);
    const before = order.filter((i) => dots[i].depth >= planeDepth);
    this.dots(context, dots, behind, radius);
    if (corners.length >= 3) {
      context.beginPath();
      corners.forEach((c, i) => (i ? context.lineTo(c.x, c.y) : context.moveTo(c.x, c.y)));
      context.closePath();
      context.fillStyle = "rgb(255 196 0 / 0.45)";
      context.fill();
      context.lineWidth = 2;
      context.strokeStyle = "rgb(176 112 0)";
      context.stroke();
    }
    this.dots(context, dots, before, radius);
    Object.assign(canvas.dataset, {
      yaw: this.view.yaw.toFixed(3),
      pitch: this.view.pitch.toFixed(3),
      projection: dots.slice(0, 4).map((d) => `${d.x.toFixed(1)},${d.y.toFixed(1)}`).join(" "),
      points: String(dots.length),
      plane: String(corners.length),
    });
  }

  /** The points at indices, white with a black rim for class 1, black with a white rim for class 0. */
  dots(context, dots, indices, radius) {
    context.lineWidth = 2;
    for (const i of indices) {
      const { x, y, one } = dots[i];
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.fillStyle = one ? "#fff" : "#000";
      context.strokeStyle = one ? "#000" : "#fff";
      context.fill();
      context.stroke();
    }
  }

  destroy() {
    this.el.replaceChildren();
  }
}
