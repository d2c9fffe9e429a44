// The drawing pad: Pointer Events (mouse, touch and pen alike), a round brush of adjustable width, undo of the
// last stroke and clear. Strokes are kept as point lists in pad units (0..size), so undo redraws the rest and an
// example digit is just a list of strokes. snapshot(side) gives the ink (alpha) the server reads; update() marks
// the strokes' bounding box the server's preprocessing found. showImage() puts a finished image (LeNet's 28×28
// input, say) on the pad instead of strokes, until the next stroke, clear or load takes the pad back.

export class DrawPad {
  /**
   * el: a positioned wrapper holding the pad's <canvas> (whose width and height attributes set the pad units).
   * options: brush (width in pad units), onChange() while strokes change, onStrokeEnd() when a stroke ends.
   */
  constructor(el, { brush = 22, onChange = () => {}, onStrokeEnd = () => {} } = {}) {
    this.el = el;
    const canvas = el.querySelector("canvas");
    this.canvas = canvas;
    this.box = document.createElement("div");
    this.box.className = "draw-pad__box";
    this.box.hidden = true;
    el.append(this.box);
    this.size = canvas.width;
    this.context = canvas.getContext("2d");
    this.brush = brush;
    this.onChange = onChange;
    this.onStrokeEnd = onStrokeEnd;
    this.strokes = [];
    this.image = null; // {pixels, side} shown instead of strokes, or null
    this.active = null; // the stroke being drawn and the pointer drawing it
    this.scratch = document.createElement("canvas");
    this.listeners = {
      pointerdown: (event) => this.start(event),
      pointermove: (event) => this.move(event),
      pointerup: (event) => this.end(event),
      pointercancel: (event) => this.end(event),
      lostpointercapture: (event) => this.end(event),
    };
    for (const [name, listener] of Object.entries(this.listeners)) canvas.addEventListener(name, listener);
  }

  /** The point under a pointer event, in pad units. */
  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * this.size, ((event.clientY - box.top) / box.height) * this.size];
  }

  start(event) {
    if (this.active || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    if (this.image) {
      this.image = null;
      this.context.clearRect(0, 0, this.size, this.size);
    }
    const stroke = { width: this.brush, points: [this.point(event)] };
    this.active = { stroke, pointerId: event.pointerId };
    this.strokes.push(stroke);
    this.paintStroke(stroke);
    this.onChange();
  }

  move(event) {
    if (!this.active || event.pointerId !== this.active.pointerId) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    const { stroke } = this.active;
    const from = stroke.points.length - 1;
    for (const each of events.length ? events : [event]) stroke.points.push(this.point(each));
    this.paintStroke(stroke, from);
    this.onChange();
  }

  end(event) {
    if (!this.active || event.pointerId !== this.active.pointerId) return;
    this.active = null;
    this.onStrokeEnd();
  }

  /** Draw a stroke (or its segments from point index `from` on) with round caps and joins. */
  paintStroke(stroke, from = 0) {
    const context = this.context;
    context.strokeStyle = context.fillStyle = "#111827";
    context.lineWidth = stroke.width;
    context.lineCap = context.lineJoin = "round";
    const points = stroke.points;
    if (points.length === 1) {
      context.beginPath();
      context.arc(points[0][0], points[0][1], stroke.width / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(...points[from]);
    for (let i = from + 1; i < points.length; i++) context.lineTo(...points[i]);
    context.stroke();
  }

  redraw() {
    this.context.clearRect(0, 0, this.size, this.size);
    if (this.image) this.paintImage();
    for (const stroke of this.strokes) this.paintStroke(stroke);
    this.onChange();
  }

  /** The shown image scaled up to the pad in blocks (no smoothing), ink in the strokes' colour. */
  paintImage() {
    const { pixels, side } = this.image;
    this.scratch.width = this.scratch.height = side;
    const context = this.scratch.getContext("2d", { willReadFrequently: true });
    const data = context.createImageData(side, side);
    for (let i = 0; i < pixels.length; i++) data.data.set([17, 24, 39, pixels[i]], 4 * i); // #111827
    context.putImageData(data, 0, 0);
    this.context.imageSmoothingEnabled = false;
    this.context.drawImage(this.scratch, 0, 0, this.size, this.size);
    this.context.imageSmoothingEnabled = true;
  }

  clear() {
    this.strokes = [];
    this.image = null;
    this.active = null;
    this.redraw();
  }

  undo() {
    if (this.active) return;
    if (this.image) this.image = null;
    else this.strokes.pop();
    this.redraw();
  }

  /**
   * Replace the drawing with strokes (lists of [x, y] in pad units), drawn with the current brush or, when
   * given, one width per stroke.
   */
  load(strokes, widths = []) {
    this.image = null;
    this.active = null; // a stroke being drawn ends here: the loaded drawing replaces it
    this.strokes = strokes.map((points, i) => ({ width: widths[i] ?? this.brush, points }));
    this.redraw();
  }

  /** Show a side×side image (bytes, row-major, 0 paper to 255 full ink) as the pad's whole content. */
  showImage(pixels, side) {
    this.active = null;
    this.strokes = [];
    this.image = { pixels, side };
    this.redraw();
  }

  setBrush(width) {
    this.brush = width;
  }

  get empty() {
    return this.strokes.length === 0 && this.image === null;
  }

  get drawing() {
    return this.active !== null;
  }

  /** The ink as a side×side grid of bytes (0 paper, 255 full ink), shrunk with the browser's smoothing. */
  snapshot(side) {
    this.scratch.width = this.scratch.height = side;
    const context = this.scratch.getContext("2d", { willReadFrequently: true });
    context.clearRect(0, 0, side, side);
    context.imageSmoothingQuality = "high";
    context.drawImage(this.canvas, 0, 0, side, side);
    const rgba = context.getImageData(0, 0, side, side).data;
    const ink = new Uint8Array(side * side);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3];
    return ink;
  }

  /** Mark the strokes' bounding box: box [top, left, bottom, right] in a canvas of size [height, width], or none. */
  update({ box, size } = {}) {
    this.box.hidden = !box;
    if (!box) return;
    const [top, left, bottom, right] = box;
    Object.assign(this.box.style, {
      top: `${(100 * top) / size[0]}%`,
      left: `${(100 * left) / size[1]}%`,
      height: `${(100 * (bottom - top)) / size[0]}%`,
      width: `${(100 * (right - left)) / size[1]}%`,
    });
  }

  /** The drawing as a PNG data URL (dark strokes on transparent paper), e.g. to send to POST /api/predict. */
  toDataURL() {
    return this.canvas.toDataURL("image/png");
  }

  destroy() {
    for (const [name, listener] of Object.entries(this.listeners)) this.canvas.removeEventListener(name, listener);
    this.box.remove();
  }
}
