// Opening and joining a classroom room, shared by the home page and the classroom page (one way to do each):
// POST /api/rooms opens one as its teacher; a code is checked with GET /api/rooms/{code} before joining, so a
// wrong or expired code gets the server's sentence at once. Entering a room leaves this tab's previous one.

import { room } from "../../lib/room.js";

const NAME_LIMIT = 24; // the server's limit on a student's name (app/server/schemas/room.py)

/** The server's sentence from a refused request, or a generic one. */
async function refusal(response, fallback) {
  try {
    const body = await response.json();
    if (body.message) return body.message;
  } catch {
    // not JSON: the fallback says it
  }
  return fallback;
}

/** Open a new room as its teacher: {ok: true, opened} (the POST's answer) or {ok: false, message}. */
export async function openRoom() {
  let response;
  try {
    response = await fetch("/api/rooms", { method: "POST" });
  } catch {
    return { ok: false, message: "The server could not be reached; check the connection and try again." };
  }
  if (!response.ok) return { ok: false, message: await refusal(response, `The server refused (HTTP ${response.status}).`) };
  const opened = await response.json();
  if (room.active) room.leave();
  room.enter({ code: opened.code, key: opened.key });
  return { ok: true, opened };
}

/** A join code as the server reads it: upper case, no spaces or dashes. */
export function normalCode(text) {
  return text.replace(/[\s-]/g, "").toUpperCase();
}

/** Whether a code opens a room: {ok: true, info: {code, join_url, students}} or {ok: false, message}. */
export async function lookUp(text) {
  const code = normalCode(text);
  if (!code) return { ok: false, message: "Type the code your teacher shows." };
  if (!/^[A-Z0-9]{1,16}$/.test(code)) return { ok: false, message: `there is no room ${code}; check the code on the board` };
  let response;
  try {
    response = await fetch(`/api/rooms/${encodeURIComponent(code)}`);
  } catch {
    return { ok: false, message: "The server could not be reached; check the connection and try again." };
  }
  if (!response.ok) return { ok: false, message: await refusal(response, `there is no room ${code}; check the code on the board`) };
  return { ok: true, info: await response.json() };
}

/** A name a student may give (shown to the teacher only): no control characters or angle brackets, 24 at most. */
export function cleanName(text) {
  return text.replace(/[\u0000-\u001f\u007f<>]/g, "").trim().slice(0, NAME_LIMIT);
}

/** Join a room as a student after checking its code: {ok: true, info} or {ok: false, message}. */
export async function joinRoom(text, name = "") {
  const found = await lookUp(text);
  if (!found.ok) return found;
  if (room.active) room.leave();
  room.enter({ code: found.info.code, name: cleanName(name) });
  return found;
}

/** A sentence starting with a capital letter (the server's start in lower case). */
export function sentence(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
