// The conv page's controller: keeps the settings (mirrored in the URL), asks /ws/conv for the walkthrough plan,
// and plays it step by step through the views. Every number shown comes from the plan; this file only picks
// which numbers to show when (it never multiplies or sums a network value itself). Beside it: conv-settings.js
// (the settings), conv-client.js (the socket), conv-plan.js (the plan and its steps), conv-steps.js and
// conv-backward.js (what a step shows), conv-animation.js (the clock), conv-room.js (following a teacher).
// In a classroom room, while the teacher's question is open the step's own result stays hidden (predict, then
// reveal), as do the cells not reached yet (the page's "hide" setting, on by default in a room).

import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { ConvDirection } from "../../views/conv-direction.js";
import { ConvGrid } from "../../views/conv-grid.js";
import { ConvPlayer } from "../../views/conv-player.js";
import { ConvSettingsForm } from "../../views/conv-settings-form.js";
import { ConvStage } from "../../views/conv-stage.js";
import { Formula } from "../../views/formula.js";
import { LinkLine } from "../../views/link-line.js";
import { WindowSum } from "../../views/window-sum.js";
import { Animation } from "./conv-animation.js";
import { backwardSums, describeSelection } from "./conv-backward.js";
import { ConvClient } from "./conv-client.js";
import { formulaData, summaryLine } from "./conv-plan.js";
import { EXAMPLES } from "./conv-presets.js";
import { roomAdapter } from "./conv-room.js";
import { ConvSettings } from "./conv-settings.js";
import { describeStep, productsHeading } from "./conv-steps.js";

const $ = (id) => document.getElementById(id);
const settings = new ConvSettings((msg) => client.send(msg));
const { state, data } = settings;
let plan = null; // the Plan shown, with the conv_windows chunks streamed so far
let problem = null; // the sentence of the last refused request, or null
let selection = null; // backward: {kind: "dx", c, r, col} or {kind: "dw", f, c, i, j}
let asking = false; // a question of the room is open: the answer stays off the stage until it is revealed
const animation = new Animation(state, { total: () => stepCount(), show: () => renderStep(), end: () => stop() });

const views = {
  status: new ConnectionStatus($("conv-connection")),
  form: new ConvSettingsForm(document.querySelector(".conv-settings"), {
    examples: EXAMPLES,
    onExample: loadExample,
    onNumber: (name, value) => change(() => settings.setNumber(name, value), { typing: name }),
    onPadding: (mode) => change(() => settings.setPaddingMode(mode), { sync: false }),
    onStage2: (kind) => change(() => settings.setStage2(kind)),
    onInputPreset: (name) => change(() => settings.setInputPreset(name)),
    onKernelPreset: (name) => change(() => settings.setKernelPreset(name)),
    onReroll: () => change(() => settings.reroll(), { sync: false }),
    onCopyLink: () => settings.save(),
    toggle: $("conv-settings-toggle"),
  }),
  direction: new ConvDirection(document.querySelector(".conv-stage-panel"), {
    onMode: (mode) => state.mode !== mode && setMode(mode),
    onGradOnes: () => change(() => settings.setGrad(null), { sync: false }),
  }),
  player: new ConvPlayer(document.querySelector(".conv-player"), {
    announce: $("conv-announce"),
    onToggle: () => (animation.playing ? stop() : play()),
    onStep: (delta) => goTo(state.step + delta),
    onFirst: () => goTo(0),
    onLast: () => goTo(stepCount() - 1),
    onSpeed: (speed) => {
      state.speed = speed;
      if (!animation.playing) settings.save();
    },
    onHide: (checked) => {
      state.hide = checked ? 1 : 0;
      renderStep();
      settings.save();
    },
  }),
  stage: new ConvStage($("conv-stage"), {
    grid: (el, options) => new ConvGrid(el, options),
    sum: new WindowSum($("conv-sum")),
    link: new LinkLine($("conv-link")),
    onPaintInput: (c, r, col) => editInput(c, r, col, views.form.brush()),
    onEditInput: editInput,
    onInputClick: (c, r, col) => select({ kind: "dx", c, r, col }),
    onPaintKernel: (f, c, i, j) => editKernel(f, c, i, j, views.form.brush()),
    onEditKernel: editKernel,
    onKernelClick: (f, c, i, j) => select({ kind: "dw", f, c, i, j }),
    onBias: (f, value) => change(() => settings.setBias(f, value), { sync: false }),
    onOutputClick: (f, y, x) => clickOutput(1, f, y, x),
    onStage2Click: (f, y, x) => clickOutput(2, f, y, x),
  }),
  formula: new Formula($("conv-formula")),
};

const client = new ConvClient("/ws/conv", settings, {
  onStatus: (status) => {
    views.status.update(status);
    if (status === "ready") views.form.update({ limits: settings.limits });
  },
  onResolved: renderGrids,
  onPlan: (next) => {
    plan = next;
    problem = null;
    selection = null;
    syncControls({ keepFocused: true });
    rebuild();
    shared.replay();
  },
  onWindows: ({ row0, rows }) => {
    const step = currentStep();
    const shows = step && step.stage === 1 && (settings.backward ? row0 <= step.y : step.y >= row0 && step.y < row0 + rows);
    if (shows) renderStep();
    if (selection) renderSelection();
  },
  onProblem: showProblem,
  onFallback: () => syncControls(),
});

// ---------- steps and the animation ----------

const stepCount = () => plan?.stepCount() ?? 0;
const currentStep = () => plan?.stepAt(state.step, settings.backward) ?? null;

function goTo(i) {
  const total = stepCount();
  if (!total) return;
  state.step = Math.max(0, Math.min(total - 1, i));
  selection = null;
  stop();
  renderStep();
  settings.save();
}

function play() {
  if (!animation.start()) return;
  views.player.update({ playing: true });
  renderStep();
}

function stop() {
  if (!animation.stop()) return;
  views.player.update({ playing: false });
  renderStep();
  settings.save();
}

// ---------- rendering ----------

/** The plan whose numbers the views show: none while a refused request's problem stands. */
const shownPlan = () => (problem ? null : plan);

function renderInputs() {
  const pad = plan?.header.conv.p ?? state.p;
  if (data.input) views.stage.update({ inputs: { input: data.input, pad, backward: settings.backward, plan: shownPlan() } });
}

function renderKernels() {
  const { kernels, bias } = data;
  if (kernels) views.stage.update({ kernels: { kernels, bias, backward: settings.backward, plan: shownPlan() } });
}

/** The input and kernel grids, after the settings were resolved again. */
function renderGrids() {
  renderInputs();
  renderKernels();
}

/** Settings that cannot work: the engine's sentence, and no output (the last one's numbers would be stale). */
function showProblem(message) {
  problem = message;
  $("conv-problem").textContent = message;
  $("conv-problem").hidden = false;
  views.stage.update({ problem });
  views.formula.update(formulaData(plan, problem, state));
  showSummary();
  renderGrids();
  renderStep();
}

/** The notes under the strip: a preset's, a number corrected into range, the gradient's. */
function showNote() {
  $("conv-note").textContent = [data.note, data.corrected, plan?.header.grad.note].filter(Boolean).join(" ");
  $("conv-note").hidden = !$("conv-note").textContent;
}

/** The strip's line: the settings and the output size they give. */
function showSummary() {
  $("conv-summary").textContent = summaryLine(shownPlan(), problem, state);
}

/** Everything, after a new plan or a change of direction. */
function rebuild() {
  $("conv-problem").hidden = !problem;
  views.stage.update({ problem, sums: null }); // the last plan's backward sums do not fit the new one
  showNote();
  showSummary();
  renderGrids();
  if (plan) views.stage.update({ outputs: { plan, backward: settings.backward } });
  views.formula.update(formulaData(plan, problem, state));
  if (stepCount()) state.step = Math.min(state.step, stepCount() - 1);
  renderStep();
  settings.save();
}

/** The current step on the stage: its marks, products, sum and arrow, and its sentence (none without a plan). */
function renderStep() {
  const step = currentStep();
  const secret = asking && !settings.backward; // the step's result is the open question's answer
  const phase = secret ? "window" : animation.phase;
  const options = { phase, backward: settings.backward, channels: data.input?.length, asking: secret };
  const shown = shownPlan() && step ? describeStep(plan, data, step, options) : null;
  const sums = settings.backward && shown ? { sums: backwardSums(plan, step) } : {};
  views.stage.update({
    ...sums, phase, hide: state.hide || asking, marks: shown?.marks ?? [], filter: shown?.filter,
    products: { grids: shown?.products, heading: productsHeading(plan, step, settings.backward) },
    sum: shown?.sum ?? { lines: [] }, link: shown?.link ?? null,
  });
  views.player.update({ step: state.step, total: shownPlan() ? stepCount() : 0, announce: shown?.announce ?? "" });
  room.changed();
}

// ---------- backward: the sum behind a clicked cell ----------

function select(target) {
  if (!settings.backward || !plan || problem) return;
  stop();
  selection = target;
  renderSelection();
}

function renderSelection() {
  const shown = describeSelection(plan, selection, { n: state.n, channels: data.input.length });
  if (!shown) return views.stage.update({ marks: [] }); // a padding cell: no sum
  const products = { grids: null, heading: productsHeading(plan, currentStep(), settings.backward) };
  views.stage.update({ marks: shown.marks, sum: shown.sum, link: null, products });
  views.player.update({ announce: shown.announce });
  room.changed();
}

// ---------- edits and controls ----------

/**
 * Apply a change of settings (edit() returns false when nothing changed), show it in the controls (but the field
 * being typed into, unless sync is false), redraw what it changed at once (then), and ask for its plan.
 */
function change(edit, { sync = true, typing = null, then = null } = {}) {
  if (edit() === false) return;
  showNote();
  if (sync) syncControls({ typing });
  then?.();
  client.schedulePlan();
}

function editInput(c, r, col, value) {
  change(() => settings.paintInput(c, r, col, value), { then: renderInputs });
}

function editKernel(f, c, i, j, value) {
  change(() => settings.paintKernel(f, c, i, j, value), { then: renderKernels });
}

/**
 * A click on cell (f, y, x) of the output (stage 1) or of stage 2: the window goes there; backward, at the last
 * output, the gradient arriving there becomes 1 and the others 0.
 */
function clickOutput(stage, f, y, x) {
  if (!plan) return;
  const last = stage === 2 || !plan.header.stage2;
  if (settings.backward && last) return change(() => settings.setGrad([f, y, x]), { sync: false });
  goTo(plan.indexOf(stage, f, y, x, settings.backward));
}

/** Show the state in the controls: the form (but a field being typed into), the player, the direction. */
function syncControls(options = {}) {
  views.form.update({ settings: state, ...options });
  views.player.update({ speed: state.speed, hide: state.hide });
  views.direction.update({ mode: state.mode });
}

function loadExample(name) {
  if (!EXAMPLES[name]) return;
  stop();
  problem = null;
  change(() => settings.loadExample(name));
}

function setMode(mode) {
  stop();
  settings.setMode(mode);
  selection = null;
  syncControls();
  views.stage.relayout();
  rebuild();
}

// In a classroom room: the teacher's step, phase, hidden cells and clicked cell reach the students' pages live.
const shared = roomAdapter({
  read: () => ({ step: state.step, phase: animation.phase, playing: animation.playing, hide: state.hide, selection }),
  apply: ({ step, phase, playing, hide, selection: picked }) => {
    animation.stop();
    state.step = plan ? Math.min(step, Math.max(0, stepCount() - 1)) : step;
    state.hide = hide;
    animation.phase = phase;
    selection = picked;
    views.player.update({ playing: false, hide: state.hide });
    if (!plan) return; // the plan's arrival shows it (rebuild keeps state.step)
    renderStep();
    if (selection && settings.backward) renderSelection();
    if (!playing) settings.save();
  },
});
room.share(shared);
room.on(ROOM.joined, (message) => ask(message.question));
room.on(ROOM.question, (message) => ask(message.question));

/** The room's question (or null): while it is open the step's answer and the cells not reached yet are hidden. */
function ask(question) {
  const open = Boolean(question?.open);
  if (open === asking) return;
  asking = open;
  $("conv-stage").classList.toggle("is-asking", asking);
  renderStep();
}

addSaveButton($("conv-stage"), { name: "conv-walkthrough", label: "the walkthrough" });
syncControls();
if (settings.resolve()) renderGrids();
views.formula.update(formulaData(plan, problem, state));
showSummary();
