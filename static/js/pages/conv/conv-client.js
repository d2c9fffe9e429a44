// The conv page's conversation with /ws/conv, without the DOM: asking for a plan soon after the settings change
// (latest wins: one request in flight, only the newest held back), the plan and its streamed conv_windows chunks,
// the assets the settings asked for, and the errors. It tells the controller what happened through handlers.

import { CONV } from "../../lib/protocol.js";
import { Socket } from "../../lib/socket.js";
import { Plan } from "./conv-plan.js";

const PLAN_DELAY_MS = 60;

export class ConvClient {
  /**
   * settings: the page's ConvSettings. handlers: onStatus(status), onResolved() (the settings' input and kernels
   * were made again), onPlan(plan), onWindows(header) (a chunk of the current plan arrived), onProblem(message),
   * onFallback() (an asset cannot come: the settings went back to the slide's input or kernel).
   */
  constructor(path, settings, handlers) {
    this.settings = settings;
    this.handlers = handlers;
    this.plan = null;
    this.inFlight = null;
    this.queued = null;
    this.timer = null;
    this.socket = new Socket(path, {
      onFrame: (frame) => this.onFrame(frame),
      onMessage: (msg) => this.onMessage(msg),
      onError: (error) => this.onError(error),
      onStatus: (status, detail) => this.onStatus(status, detail),
    });
  }

  send(msg) {
    return this.socket.send(msg);
  }

  /** Ask for a new plan soon: the settings are resolved then, and the request sent when none is in flight. */
  schedulePlan() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const ready = this.settings.resolve();
      this.handlers.onResolved();
      if (!ready) return;
      this.queued = this.settings.planRequest();
      this.sendQueued();
    }, PLAN_DELAY_MS);
  }

  sendQueued() {
    if (this.inFlight || !this.queued || !this.socket.ready) return;
    this.inFlight = this.queued;
    this.queued = null;
    this.socket.send(this.inFlight);
  }

  onStatus(status, detail) {
    if (status === "ready") {
      this.settings.connected(detail?.limits ?? {});
      this.inFlight = null;
    }
    this.handlers.onStatus(status);
    if (status === "ready") this.schedulePlan();
  }

  onFrame({ header, arrays }) {
    if (header.type === CONV.plan) {
      this.inFlight = null;
      this.plan = new Plan(header, arrays);
      this.settings.planArrived(header);
      this.handlers.onPlan(this.plan);
      this.sendQueued();
    } else if (header.type === CONV.windows && this.plan?.add(header, arrays)) {
      this.handlers.onWindows(header);
    }
  }

  onMessage(msg) {
    if (msg.type !== CONV.asset) return;
    this.settings.receiveAsset(msg);
    this.schedulePlan();
  }

  onError(error) {
    this.handlers.onProblem(error.message);
    if (error.request === CONV.asset) {
      this.settings.assetRefused();
      this.handlers.onFallback();
      this.schedulePlan();
    } else if (error.request === CONV.plan) {
      this.inFlight = null;
      this.settings.planRefused();
      this.sendQueued();
    }
  }
}
