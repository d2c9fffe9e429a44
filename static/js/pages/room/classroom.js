// The classroom page: open a room (teacher) or join one with its code (student); then the teacher's dashboard
// (the join code, link and QR code to project, students connected, the private teacher link, export, end) or a
// student's waiting screen until the teacher shows something to follow. The teacher link
// /classroom?room=CODE#key=KEY enters as teacher, and the key leaves the address bar at once.

import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { download } from "../../lib/snapshot.js";
import { joinRoom, openRoom, sentence } from "./room-actions.js";

const page = document.getElementById("classroom");
const part = (name) => page.querySelector(`[data-testid=${name}]`);
const ui = {
  open: part("room-open"), openError: part("room-open-error"),
  joinForm: part("room-join-form"), joinCode: part("room-join-code"), joinName: part("room-join-name"),
  joinButton: part("room-join"), joinError: part("room-join-error"),
  code: part("room-code"), joinUrl: part("room-join-url"), qr: part("room-qr"), students: part("room-students"),
  studentsLabel: part("room-students-label"), teacherLink: part("room-teacher-link"),
  copyLink: part("room-copy-teacher-link"), exportButton: part("room-export"), exportStatus: part("room-export-status"),
  end: part("room-end"), endBox: part("room-end-confirm-box"), endConfirm: part("room-end-confirm"),
  endCancel: part("room-end-cancel"), studentCode: part("room-student-code"), waiting: part("room-waiting"),
};
const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/; // addresses only this computer reaches
let board = null; // the teacher's dashboard: {code, join_url}, once known

/** Which screen this tab shows: "none" (open or join), "teacher" (the dashboard) or "student" (waiting). */
function mode() {
  if (!room.active) return "none";
  return room.membership.key ? "teacher" : "student";
}

function render() {
  const shown = mode();
  page.dataset.state = shown;
  for (const el of page.querySelectorAll("[data-show]")) el.hidden = el.dataset.show !== shown;
  if (shown === "none") board = null;
  if (shown === "student") {
    ui.studentCode.textContent = room.membership.code;
    ui.waiting.textContent = room.membership.following === false
      ? "You are exploring on your own. Follow the teacher again to see what your teacher shows."
      : room.view ? "Your teacher is on this page." : "Waiting for your teacher…";
  }
  if (shown === "teacher") showBoard();
}

/** The dashboard's code, links and QR code; the join link comes from the server (its public address). */
function showBoard() {
  const { code, key } = room.membership;
  ui.code.textContent = code;
  if (!board || board.code !== code) return;
  ui.joinUrl.href = board.join_url;
  ui.joinUrl.textContent = board.join_url.replace(/^https?:\/\//, "");
  part("room-loopback").hidden = !LOOPBACK.test(new URL(board.join_url).hostname);
  const qr = `/api/rooms/${code}/qr.svg`;
  if (ui.qr.getAttribute("src") !== qr) ui.qr.src = qr;
  ui.teacherLink.value = `${new URL(board.join_url).origin}/classroom?room=${code}#key=${key}`;
}

function showStudents(count) {
  ui.students.textContent = String(count);
  ui.studentsLabel.textContent = count === 1 ? "student connected" : "students connected";
}

/** The room's join link from the server, once the teacher is in (a reload or the teacher link knows only the code). */
async function loadBoard() {
  const { code } = room.membership;
  const response = await fetch(`/api/rooms/${encodeURIComponent(code)}`);
  if (!response.ok) return; // the room is gone: the room's own refusal says so
  const info = await response.json();
  board = { code, join_url: info.join_url };
  showStudents(info.students);
  render();
}

function problem(el, text) {
  el.hidden = !text;
  el.textContent = text ? sentence(text) : "";
}

// ---- opening and joining ----

ui.open.addEventListener("click", async () => {
  ui.open.disabled = true;
  const result = await openRoom();
  ui.open.disabled = false;
  problem(ui.openError, result.ok ? null : result.message);
  if (!result.ok) return;
  board = { code: result.opened.code, join_url: result.opened.join_url };
  showStudents(0);
  room.start();
  render();
});

ui.joinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  ui.joinButton.disabled = true;
  const result = await joinRoom(ui.joinCode.value, ui.joinName.value);
  ui.joinButton.disabled = false;
  problem(ui.joinError, result.ok ? null : result.message);
  if (!result.ok) {
    ui.joinCode.focus();
    return;
  }
  room.start();
  render();
});

// ---- the teacher's dashboard ----

ui.copyLink.addEventListener("click", async () => {
  ui.teacherLink.select();
  try {
    await navigator.clipboard.writeText(ui.teacherLink.value);
    ui.copyLink.textContent = "Copied";
  } catch {
    ui.copyLink.textContent = "Selected: copy it with Ctrl+C";
  }
});

ui.exportButton.addEventListener("click", async () => {
  ui.exportStatus.textContent = "Preparing the zip…";
  try {
    const { blob, filename } = await room.exportGallery();
    download(blob, filename);
    ui.exportStatus.textContent = `Saved ${filename} (the class's drawings as PNGs, and a CSV).`;
  } catch (error) {
    ui.exportStatus.textContent = `The gallery could not be exported: ${error.message}`;
  }
});

function confirmEnd(asking) {
  ui.endBox.hidden = !asking;
  ui.end.hidden = asking;
  (asking ? ui.endCancel : ui.end).focus();
}

ui.end.addEventListener("click", () => confirmEnd(true));
ui.endCancel.addEventListener("click", () => confirmEnd(false));
ui.endConfirm.addEventListener("click", () => {
  confirmEnd(false);
  room.send({ type: ROOM.end });
});

// ---- the room's events ----

room.on(ROOM.joined, (message) => {
  if (message.role === "teacher") {
    showStudents(message.students);
    if (!board || board.code !== message.code) loadBoard();
  }
  render();
});
room.on(ROOM.students, ({ count }) => showStudents(count));
room.on(ROOM.view, render);
room.on("following", render);
room.on("left", render);
room.on("refused", (error) => {
  if (!error.message) return;
  problem(ui.joinError, error.message);
});

// ---- arriving: the teacher link, a join link (/join/CODE), or this tab's room ----

const params = new URLSearchParams(location.search);
const key = new URLSearchParams(location.hash.slice(1)).get("key");
if (params.get("room") && key) {
  if (room.active) room.leave();
  room.enter({ code: params.get("room"), key });
  history.replaceState(null, "", location.pathname); // the key leaves the address bar (and the history) at once
}
render();
if (page.dataset.joinCode && mode() === "none") {
  // A phone opens the join card at the top, its Join button in view (a focused field would bring up the keyboard
  // over it); elsewhere the name field takes the focus, ready for a name or Enter.
  if (matchMedia("(pointer: coarse)").matches) document.getElementById("classroom-join").scrollIntoView({ block: "start" });
  else ui.joinName.focus();
} else if (mode() === "none" && params.get("room")) {
  ui.joinCode.value = params.get("room");
}
