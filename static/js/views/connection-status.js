// Shows the state of the page's websocket in words ("Connected", "Reconnecting…"), for people and screen readers.

const WORDS = { connecting: "Connecting…", ready: "Connected", closed: "Connection lost, reconnecting…" };

export class ConnectionStatus {
  constructor(el) {
    this.el = el;
    this.el.setAttribute("role", "status");
    this.update("connecting");
  }

  update(state) {
    this.el.dataset.state = state;
    this.el.textContent = WORDS[state] ?? state;
  }

  destroy() {
    this.el.textContent = "";
  }
}
