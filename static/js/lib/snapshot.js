// Save a view as a PNG, for slides and notes. A canvas is saved from its own pixels (scaled up without blurring,
// so a 28×28 map stays sharp). Any other view is redrawn onto a canvas from what the browser has laid out: its
// canvases and SVG drawings where they sit (an SVG is serialised with its computed styles into an <img> from a
// Blob URL, which the page's Content-Security-Policy allows), and the backgrounds, borders, inset rings and text of
// HTML boxes such as the conv page's table cells, word by word in their computed fonts. Nothing is recomputed:
// the picture holds the pixels and numbers already on the page.

const SVG_NS = "http://www.w3.org/2000/svg";
const SCALE = 2; // output pixels per CSS pixel: sharp text on a slide
const MARGIN = 12; // CSS pixels of white around a redrawn view
const MIN_CANVAS_SIDE = 560; // a lone canvas is scaled up to at least this many pixels across
const SVG_STYLES = [
  "display", "visibility", "opacity", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
  "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "paint-order", "vector-effect", "font-family", "font-size",
  "font-weight", "font-style", "text-anchor", "dominant-baseline", "letter-spacing",
];

const transparent = (color) => !color || color === "transparent" || /rgba\(.*,\s*0\)$/.test(color);

/** Items of a comma-separated CSS list, ignoring the commas inside rgb(…). */
function cssList(value) {
  return value.split(/,(?![^(]*\))/).map((item) => item.trim()).filter(Boolean);
}

/**
 * Where an SVG element draws, in viewport coordinates: its box, grown to hold what overflows it when its overflow
 * is visible (the decision surface's point labels).
 */
function svgExtent(svg) {
  const box = svg.getBoundingClientRect();
  const extent = { left: box.left, top: box.top, right: box.right, bottom: box.bottom };
  if (getComputedStyle(svg).overflow !== "visible") return extent;
  for (const node of svg.querySelectorAll("*")) {
    if (!(node instanceof SVGGraphicsElement) || node.closest("defs")) continue;
    const part = node.getBoundingClientRect();
    if (!part.width && !part.height) continue;
    extent.left = Math.min(extent.left, part.left);
    extent.top = Math.min(extent.top, part.top);
    extent.right = Math.max(extent.right, part.right);
    extent.bottom = Math.max(extent.bottom, part.bottom);
  }
  return extent;
}

/**
 * An SVG element's drawing over `extent` as a decoded <img>: a copy with its computed styles written in as
 * presentation attributes, its viewBox grown by as much as the extent goes past its box.
 */
async function svgImage(svg, extent) {
  const box = svg.getBoundingClientRect();
  const view = svg.viewBox.baseVal?.width ? svg.viewBox.baseVal : { x: 0, y: 0, width: box.width, height: box.height };
  const perX = view.width / box.width;
  const perY = view.height / box.height;
  const width = extent.right - extent.left;
  const height = extent.bottom - extent.top;
  const copy = svg.cloneNode(true);
  const originals = [svg, ...svg.querySelectorAll("*")];
  const copies = [copy, ...copy.querySelectorAll("*")];
  originals.forEach((node, i) => {
    const style = getComputedStyle(node);
    for (const name of SVG_STYLES) copies[i].setAttribute(name, style.getPropertyValue(name));
    copies[i].removeAttribute("class");
  });
  copy.setAttribute("xmlns", SVG_NS);
  copy.setAttribute("width", String(width));
  copy.setAttribute("height", String(height));
  copy.setAttribute("viewBox", [
    view.x - (box.left - extent.left) * perX, view.y - (box.top - extent.top) * perY, width * perX, height * perY,
  ].join(" "));
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(copy)], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The content box of an element (inside its borders and padding), in viewport coordinates. */
function contentBox(el, style) {
  const box = el.getBoundingClientRect();
  const px = (name) => parseFloat(style.getPropertyValue(name)) || 0;
  const left = px("border-left-width") + px("padding-left");
  const top = px("border-top-width") + px("padding-top");
  return {
    x: box.left + left,
    y: box.top + top,
    width: box.width - left - px("border-right-width") - px("padding-right"),
    height: box.height - top - px("border-bottom-width") - px("padding-bottom"),
  };
}

/** A box's background, inset box-shadow rings (the conv grid's marks), borders and outline. */
function paintBox(ctx, el, style) {
  const box = el.getBoundingClientRect();
  const { left: x, top: y, width: w, height: h } = box;
  if (!transparent(style.backgroundColor)) {
    ctx.fillStyle = style.backgroundColor;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, parseFloat(style.borderTopLeftRadius) || 0);
    ctx.fill();
  }
  if (style.backgroundImage.includes("gradient")) hatch(ctx, box); // the padding cells' stripes
  if (style.boxShadow !== "none") {
    for (const shadow of cssList(style.boxShadow).reverse()) {
      const color = shadow.match(/rgba?\([^)]*\)|#[0-9a-f]+/i)?.[0];
      const lengths = shadow.replace(color ?? "", "").match(/-?[\d.]+px/g)?.map(parseFloat) ?? [];
      if (!shadow.includes("inset") || !color || lengths.length < 4) continue;
      const spread = Math.min(lengths[3], w / 2, h / 2);
      ctx.strokeStyle = color;
      ctx.lineWidth = spread;
      ctx.strokeRect(x + spread / 2, y + spread / 2, w - spread, h - spread);
    }
  }
  for (const [side, bx, by, bw, bh] of [
    ["top", x, y, w, null], ["bottom", x, null, w, null], ["left", x, y, null, h], ["right", null, y, null, h],
  ]) {
    const width = parseFloat(style.getPropertyValue(`border-${side}-width`)) || 0;
    if (!width || style.getPropertyValue(`border-${side}-style`) === "none") continue;
    const color = style.getPropertyValue(`border-${side}-color`);
    if (transparent(color)) continue;
    ctx.fillStyle = color;
    ctx.fillRect(bx ?? x + w - width, by ?? y + h - width, bw ?? width, bh ?? width);
  }
  const outline = parseFloat(style.outlineWidth) || 0;
  if (outline && style.outlineStyle !== "none" && !transparent(style.outlineColor)) {
    const grow = (parseFloat(style.outlineOffset) || 0) + outline / 2;
    ctx.strokeStyle = style.outlineColor;
    ctx.lineWidth = outline;
    ctx.setLineDash(style.outlineStyle === "dashed" ? [outline * 2, outline] : []);
    ctx.strokeRect(x - grow, y - grow, w + 2 * grow, h + 2 * grow);
    ctx.setLineDash([]);
  }
}

function hatch(ctx, { left, top, width, height }) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.strokeStyle = "#cbd5e1";
  ctx.lineWidth = 2;
  for (let d = -height; d < width; d += 7) {
    ctx.beginPath();
    ctx.moveTo(left + d, top + height);
    ctx.lineTo(left + d + height, top);
    ctx.stroke();
  }
  ctx.restore();
}

/** A text node, word by word where the browser placed each word, in its element's font and colour. */
function paintText(ctx, node, style) {
  if (!node.nodeValue.trim() || !(parseFloat(style.fontSize) > 0) || transparent(style.color)) return;
  ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  ctx.fillStyle = style.color;
  ctx.textBaseline = "alphabetic";
  const range = document.createRange();
  for (const word of node.nodeValue.matchAll(/\S+/g)) {
    range.setStart(node, word.index);
    range.setEnd(node, word.index + word[0].length);
    const box = range.getClientRects()[0];
    if (!box?.width) continue;
    const metrics = ctx.measureText(word[0]);
    const ascent = metrics.fontBoundingBoxAscent;
    const baseline = box.top + (box.height - ascent - metrics.fontBoundingBoxDescent) / 2 + ascent;
    ctx.fillText(word[0], box.left, baseline);
  }
}

/** The text a form field shows (a number input's value, a menu's chosen option), in its content box. */
function paintField(ctx, el, style) {
  const text = el instanceof HTMLSelectElement ? el.selectedOptions[0]?.textContent ?? "" : el.value;
  if (!text) return;
  const box = contentBox(el, style);
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.width, box.height);
  ctx.clip();
  ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  ctx.fillStyle = style.color;
  ctx.textBaseline = "middle";
  ctx.fillText(text, box.x, box.y + box.height / 2);
  ctx.restore();
}

/** Draw an element and what it holds, in document order (later boxes over earlier ones, as the browser does). */
async function paint(ctx, el) {
  const style = getComputedStyle(el);
  if (style.display === "none" || el.classList?.contains("save-png") || el.classList?.contains("visually-hidden")) return;
  const visible = style.visibility !== "hidden";
  ctx.save();
  ctx.globalAlpha *= Number(style.opacity); // the conv page's cells not reached yet are faded
  if (visible && !(el instanceof SVGElement)) paintBox(ctx, el, style);
  if (el instanceof HTMLCanvasElement || el instanceof SVGSVGElement) {
    if (visible) await paintGraphic(ctx, el, style);
  } else if (visible && el.matches("input:not([type=checkbox], [type=radio], [type=range]), select")) {
    paintField(ctx, el, style);
  } else {
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE && visible) paintText(ctx, child, style);
      else if (child.nodeType === Node.ELEMENT_NODE) await paint(ctx, child);
    }
  }
  ctx.restore();
}

/** A canvas's pixels in its content box, or an SVG drawing over its extent. */
async function paintGraphic(ctx, el, style) {
  if (el instanceof HTMLCanvasElement) {
    const box = contentBox(el, style);
    ctx.imageSmoothingEnabled = el.width >= box.width; // upscaled heatmaps stay crisp, as on the page
    ctx.drawImage(el, box.x, box.y, box.width, box.height);
    return;
  }
  const extent = svgExtent(el);
  const width = extent.right - extent.left;
  const height = extent.bottom - extent.top;
  if (width > 0 && height > 0) ctx.drawImage(await svgImage(el, extent), extent.left, extent.top, width, height);
}

function toBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas could not be encoded as PNG"))), "image/png");
  });
}

/** A lone canvas on the page's background, scaled by a whole factor (a small heatmap's pixels stay sharp squares). */
function canvasPicture(source) {
  const factor = Math.max(1, Math.ceil(MIN_CANVAS_SIDE / Math.max(source.width, source.height)));
  const canvas = document.createElement("canvas");
  canvas.width = source.width * factor;
  canvas.height = source.height * factor;
  const ctx = canvas.getContext("2d");
  const background = getComputedStyle(source).backgroundColor;
  ctx.fillStyle = transparent(background) ? "#ffffff" : background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = factor < 4;
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** A PNG of the element as it is on screen now. */
export async function snapshot(el) {
  if (el instanceof HTMLCanvasElement) return toBlob(canvasPicture(el));
  const box = el.getBoundingClientRect();
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil((box.width + 2 * MARGIN) * SCALE);
  canvas.height = Math.ceil((box.height + 2 * MARGIN) * SCALE);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.scale(SCALE, SCALE);
  ctx.translate(MARGIN - box.left, MARGIN - box.top);
  await paint(ctx, el);
  return toBlob(canvas);
}

/** Offer a blob as a download named filename. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // time for the browser to fetch it
}

/**
 * A small "Save as PNG" button for a view, placed after `place` (the view's element unless given). target is the
 * element to save, or a function returning it (for views built later); name makes the file's name.
 */
export function addSaveButton(target, { name, label, place } = {}) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "save-png";
  button.dataset.testid = "save-png";
  button.dataset.view = name;
  button.textContent = "Save as PNG";
  if (label) button.setAttribute("aria-label", `Save ${label} as PNG`);
  button.addEventListener("click", async () => {
    const el = typeof target === "function" ? target() : target;
    if (!el) return;
    button.disabled = true;
    try {
      download(await snapshot(el), `backprop-lab-${name}.png`);
      button.title = "";
    } catch (error) {
      button.title = `Could not save: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
  (place ?? (typeof target === "function" ? null : target))?.after(button);
  return button;
}
