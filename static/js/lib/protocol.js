// The message types of the websocket protocol, mirroring app/server/protocol.py and app/server/schemas/.
// docs/protocol.md describes every message.

export const PROTOCOL_VERSION = 1;

export const MSG = Object.freeze({
  hello: "hello",
  welcome: "welcome",
  error: "error",
});

// Page messages: each page's block lists its request and reply types.
export const LENET = Object.freeze({});

export const CONV = Object.freeze({});

export const XOR = Object.freeze({});
