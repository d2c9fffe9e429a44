// The message types of the websocket protocol, mirroring app/server/protocol.py and app/server/schemas/.
// docs/protocol.md describes every message.

export const PROTOCOL_VERSION = 1;

export const MSG = Object.freeze({
  hello: "hello",
  welcome: "welcome",
  error: "error",
});

// Page messages: each page's block lists its request and reply types.
// /ws/lenet (docs/protocol/lenet.md).
export const LENET = Object.freeze({
  draw: "draw", // request (latest wins): binary frame, header + "canvas" ink levels; answered by a prediction
  teach: "teach", // request: binary frame like draw, plus label, steps, lr; answered by taught then model
  reset: "reset", // request: back to the shared weights; answered by model
  describe: "describe", // request: answered by model
  prediction: "prediction", // reply: binary frame, probabilities in the header, every stage's maps
  model: "model", // reply: binary frame, stages, receptive fields and weights
  taught: "taught", // reply: what a lesson did
  input_gradient: "input_gradient", // request (latest wins): binary frame like draw plus epsilon, target, label, seq
  gradient_faces: "gradient_faces", // reply: binary frame, saliency, gradient × input, FGSM and the iterated attack
  dream: "dream", // request: binary frame like draw plus target or map, start; answered by dreamt
  dreamt: "dreamt", // reply: binary frame, the ascent's snapshots and the objective at each
  backward: "backward", // request (latest wins): binary frame like draw plus label, stage, weight; reply: binary frame
  take_step: "take_step", // request: binary frame like draw plus label, lr; answered by stepped then model
  stepped: "stepped", // reply: what one SGD step did, the kernels that moved most
});

export const CONV = Object.freeze({
  plan: "conv_plan", // request (latest wins) and the reply's first binary frame
  windows: "conv_windows", // reply: binary frames with the per-window numbers, in chunks of output rows
  asset: "conv_asset", // request and reply: a shipped MNIST digit or LeNet's conv1 kernels
});

// The pages on the recitation's small networks: /ws/neuron, /ws/xor and /ws/why-backprop (docs/protocol/xor.md).
export const XOR = Object.freeze({
  neuron: "neuron", // /ws/neuron request (latest wins): w1, w2, b, g
  neuronSurface: "neuron_surface", // reply: binary frame, h over the input plane
  reset: "xor_reset", // /ws/xor requests
  config: "xor_config", // latest wins
  run: "xor_run",
  pause: "xor_pause",
  step: "xor_step",
  derive: "xor_derive", // latest wins
  state: "xor_state", // reply: binary frame, one model's training state
  derivation: "xor_derivation", // reply: the derivation for one example and the gradient check
  whySlide: "why_slide", // /ws/why-backprop request and reply
  whyCounts: "why_counts", // request (latest wins) and reply
  whyTime: "why_time", // request (latest wins), answered by a stream of why_timing
  whyTiming: "why_timing",
});

// The kernels page: /ws/kernels (docs/protocol/kernels.md).
export const KERNELS = Object.freeze({
  dataset: "kernels_dataset", // request (latest wins): a named point set, size, noise, seed
  add: "kernels_add", // request: a point x1, x2 of class label
  remove: "kernels_remove", // request: the point at index
  feature: "kernels_feature", // request (latest wins): the feature map φ and its degree
  svm: "kernels_svm", // request (latest wins): kernel, C, gamma, degree, coef0
  train: "kernels_train", // request: the 2-2-1 network again from seed
  state: "kernels_state", // reply: binary frame, the points, φ's plane and the kernel SVM
  net: "kernels_net", // reply (streamed): binary frame, the network learning the points
});

// The classroom: /ws/room (docs/protocol/room.md).
export const ROOM = Object.freeze({
  join: "join", // request: code, and the teacher's key or the member id of an earlier join; answered by joined
  view: "view", // teacher request (latest wins) and event to students: page, query, anchor, live state
  ask: "ask", // teacher request: prompt, kind (digit | number | choice), choices
  answer: "answer", // student request (latest wins): question id, value; answered by answered
  reveal: "reveal", // teacher request: close the question with the answer
  dismiss: "dismiss", // teacher request: take the question away
  submit: "submit", // request: binary frame like LeNet's draw plus tag; answered by submitted
  tag: "tag", // request: id, tag
  show: "show", // teacher request and event: one submission for everyone (null: none)
  remove: "remove", // teacher request: id, all (every drawing of its author); answered by the event removed
  removed: "removed", // event: ids of drawings taken off every screen
  names: "names", // teacher request and event: students see names or not
  end: "end", // teacher request: close the room; everyone gets ended
  batch: "batch", // teacher request: lr, mode (batch | each): a class step of the room's LeNet-5; everyone gets class_step
  batch_reset: "batch_reset", // teacher request: the room's LeNet-5 back to the shared weights; everyone gets class_step
  class_step: "class_step", // event: the last class step (null after a reset), as GET /api/rooms/{code}/batch answers
  joined: "joined", // reply: role, code, member, and the room's state now
  question: "question", // event: the open (or revealed) question, or null
  answers: "answers", // teacher event: counts of the answers so far
  answered: "answered", // reply: this member's answer as counted
  submission: "submission", // teacher event: a gallery drawing (new or retagged)
  submitted: "submitted", // reply: the sender's own drawing with LeNet's prediction
  students: "students", // event: students connected
  ended: "ended", // event: the room is closed
  screen: "screen", // teacher request: private (the teacher's own screen) or projected; answered by joined
  pause: "pause", // teacher request: on, message ("eyes up")
  paused: "paused", // event: {message} while the class is paused, or null
  hide: "hide", // teacher request: id, hidden (false restores)
  hidden: "hidden", // event: id, hidden, visible (whether the class may see it now)
  approve: "approve", // teacher request: first (drawings wait for approval) and/or id (let it appear)
  approveFirst: "approve_first", // teacher event: on
  snapshots: "snapshots", // teacher request and teacher event: items [{id, caption}] in order, names
  snapshot: "snapshot", // teacher request: index (or null); event to all: {index, count, caption, submission} or null
  xor_class_run: "xor_class_run", // student request (latest wins): seed, lr, points [[step, loss]] of her /xor run
  xor_run_kept: "xor_run_kept", // reply: seed, final, verdict (solved | stuck | learning) of her run as kept
  xor_run: "xor_run", // teacher event: a student's run {id, seed, lr, points, final, steps, verdict, author}
  xor_histogram: "xor_histogram", // teacher event: histogram {edges, counts} of the final losses, count
  xor_compare: "xor_compare", // teacher request: ids (≤ 4 runs); event to all: compare {runs} side by side, or null
});
