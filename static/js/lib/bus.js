// A tiny event bus, so views never import each other: the page controller wires them through it.

export class Bus {
  constructor() {
    this.target = new EventTarget();
  }

  /** Call listener(detail) whenever name is emitted; returns a function that stops listening. */
  on(name, listener) {
    const wrapped = (event) => listener(event.detail);
    this.target.addEventListener(name, wrapped);
    return () => this.target.removeEventListener(name, wrapped);
  }

  emit(name, detail) {
    this.target.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
