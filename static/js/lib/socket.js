// One websocket per page: the hello handshake, JSON and binary frames, reconnection, and latest-wins requests.
// No DOM here; the page controller decides what to show.

import { decodeFrame } from "./frames.js";
import { MSG, PROTOCOL_VERSION } from "./protocol.js";

const RETRY_MS = [250, 500, 1000, 2000, 5000];

export class Socket {
  /**
   * path: the endpoint, e.g. "/ws/lenet". handlers: onMessage(msg) for JSON, onFrame({header, arrays}) for
   * binary frames, onStatus(status, detail) with status "connecting" | "ready" | "closed", onError(error msg).
   */
  constructor(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.ready = false;
    this.inFlight = new Map(); // request type -> reply type, while an answer is awaited
    this.waiting = new Map(); // request type -> newest request held back until the answer arrives
    this.attempt = 0;
    this.stopped = false;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.ws.binaryType = "arraybuffer";
    this.status("connecting");
    this.ws.onopen = () => this.ws.send(JSON.stringify({ type: MSG.hello, version: PROTOCOL_VERSION }));
    this.ws.onmessage = (event) => this.receive(event.data);
    this.ws.onclose = () => this.closed();
  }

  receive(data) {
    if (data instanceof ArrayBuffer) {
      const frame = decodeFrame(data);
      this.answered(frame.header.type);
      this.handlers.onFrame?.(frame);
      return;
    }
    const msg = JSON.parse(data);
    if (msg.type === MSG.welcome) {
      this.ready = true;
      this.attempt = 0;
      this.status("ready", msg);
      for (const request of this.waiting.values()) this.request(request.msg, request.reply, request.requestType);
      this.waiting.clear();
      return;
    }
    if (msg.type === MSG.error) {
      if (msg.request) this.finish(msg.request);
      this.handlers.onError?.(msg);
      return;
    }
    this.answered(msg.type);
    this.handlers.onMessage?.(msg);
  }

  /** Send msg now (JSON object, or an ArrayBuffer binary frame); dropped with a status when not connected. */
  send(msg) {
    if (!this.ready) return false;
    this.ws.send(msg instanceof ArrayBuffer ? msg : JSON.stringify(msg));
    return true;
  }

  /**
   * Latest wins: send msg unless a request of its type still awaits its answer (a message of type reply);
   * then keep only this newest one and send it when the answer arrives. type is msg.type or, for a binary
   * frame, given as requestType. With now, msg goes at once all the same (the one held back is dropped): the
   * answer the user now waits for (a drawing at pen-up) need not wait for the one in flight; on the server it
   * replaces that one if it has not started yet.
   */
  request(msg, reply, requestType = msg.type, { now = false } = {}) {
    if (!this.ready || (this.inFlight.has(requestType) && !now)) {
      this.waiting.set(requestType, { msg, reply, requestType });
      return;
    }
    this.waiting.delete(requestType);
    this.inFlight.set(requestType, reply);
    this.send(msg);
  }

  answered(replyType) {
    for (const [requestType, reply] of this.inFlight) {
      if (reply === replyType) this.finish(requestType);
    }
  }

  finish(requestType) {
    this.inFlight.delete(requestType);
    const next = this.waiting.get(requestType);
    if (next) {
      this.waiting.delete(requestType);
      this.request(next.msg, next.reply, next.requestType);
    }
  }

  closed() {
    this.ready = false;
    this.inFlight.clear();
    if (this.stopped) return;
    const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
    this.status("closed", { retryInMs: delay });
    setTimeout(() => this.open(), delay);
  }

  status(state, detail) {
    this.handlers.onStatus?.(state, detail);
  }

  /** Close for good (no reconnection). */
  close() {
    this.stopped = true;
    this.ws.close();
  }
}
