// The conv page's settings panel: the numbers (k, s, p, d, stage 2's k₂ s₂ p₂, n, C, F, the digit), the padding
// shortcuts, the menus of examples, stage 2, inputs and kernels, New random, the brush, and Copy link. It shows a
// settings object and reports each change; what a change does is the controller's business. In presentation mode the
// panel is a drawer over the stage, opened and closed by the stage's Settings button (and Escape, and its own
// Close button), so the grids keep the screen.

const NUMBER_INPUTS = { k: "conv-k", s: "conv-s", p: "conv-p", d: "conv-d", k2: "conv-k2", s2: "conv-s2", p2: "conv-p2",
  n: "conv-n", c: "conv-c", f: "conv-f", digit: "conv-digit" };
const LIMITS = { k: "max_kernel", k2: "max_kernel", s: "max_stride", s2: "max_stride", d: "max_stride",
  p: "max_padding", p2: "max_padding", n: "max_size", c: "max_channels", f: "max_filters" };

export class ConvSettingsForm {
  /**
   * options: examples {name: {label}}, onExample(name), onNumber(name, integer or null), onPadding("valid" |
   * "same" | "full"), onStage2(kind), onInputPreset(name), onKernelPreset(name), onReroll(), onCopyLink() (before
   * the address is copied: the URL must hold the settings), toggle (the button that opens and closes the drawer).
   */
  constructor(el, options) {
    this.el = el;
    const $ = (id) => el.querySelector(`#${id}`);
    this.$ = $;
    this.toggle = options.toggle;
    this.toggle.addEventListener("click", () => this.open(!this.isOpen()));
    $("conv-settings-close").addEventListener("click", () => this.open(false));
    el.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.isOpen()) return;
      event.stopPropagation();
      this.open(false);
    });
    const example = $("conv-example");
    for (const [name, { label }] of Object.entries(options.examples)) example.add(new Option(label, name));
    example.addEventListener("change", () => {
      options.onExample(example.value);
      example.value = "";
    });
    for (const [name, id] of Object.entries(NUMBER_INPUTS)) {
      $(id).addEventListener("input", () => options.onNumber(name, this.readNumber(id)));
      $(id).addEventListener("change", () => options.onNumber(name, this.readNumber(id)));
    }
    for (const button of el.querySelectorAll("[data-padding]")) {
      button.addEventListener("click", () => options.onPadding(button.dataset.padding));
    }
    $("conv-stage2").addEventListener("change", () => options.onStage2($("conv-stage2").value));
    $("conv-input-preset").addEventListener("change", () => options.onInputPreset($("conv-input-preset").value));
    $("conv-kernel-preset").addEventListener("change", () => options.onKernelPreset($("conv-kernel-preset").value));
    $("conv-reroll").addEventListener("click", () => options.onReroll());
    $("conv-copy-link").addEventListener("click", async () => {
      options.onCopyLink();
      try {
        await navigator.clipboard.writeText(location.href);
        $("conv-copy-status").textContent = "Link copied.";
      } catch {
        $("conv-copy-status").textContent = "Copy the address bar: it holds these settings.";
      }
    });
  }

  isOpen() {
    return this.el.classList.contains("is-open");
  }

  /** Open the drawer (the focus goes to its first control) or close it (the focus goes back to its button). */
  open(on) {
    const moving = this.el.contains(document.activeElement) || document.activeElement === this.toggle;
    this.el.classList.toggle("is-open", on);
    this.toggle.setAttribute("aria-expanded", String(on));
    if (on) this.$("conv-example").focus();
    else if (moving) this.toggle.focus();
  }

  /** An integer typed into a field, or null. */
  readNumber(id) {
    const value = Number(this.$(id).value);
    return this.$(id).value !== "" && Number.isInteger(value) ? value : null;
  }

  /** The brush: the value a click or drag paints into the grids. */
  brush() {
    return Number(this.$("conv-brush").value) || 0;
  }

  /**
   * data: settings (the state to show), typing (a setting being typed into: its field is left alone) or
   * keepFocused (leave alone the field that has the focus); limits (the server's, as the fields' max).
   */
  update({ settings, typing = null, keepFocused = false, limits }) {
    if (limits) for (const [name, key] of Object.entries(LIMITS)) if (limits[key]) this.$(NUMBER_INPUTS[name]).max = limits[key];
    if (!settings) return;
    const $ = this.$;
    const skip = keepFocused ? document.activeElement?.id : NUMBER_INPUTS[typing];
    for (const [name, id] of Object.entries(NUMBER_INPUTS)) {
      if (id !== skip) $(id).value = settings[name];
    }
    $("conv-stage2").value = settings.stage2;
    $("conv-input-preset").value = settings.input;
    $("conv-kernel-preset").value = settings.kernel;
    for (const id of ["conv-k2", "conv-s2", "conv-p2"]) $(id).disabled = settings.stage2 === "none";
    $("conv-digit-label").hidden = settings.input !== "mnist";
    $("conv-reroll").hidden = settings.input !== "random";
  }

  destroy() {}
}
