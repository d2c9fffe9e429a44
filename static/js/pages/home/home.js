// The home page's classroom controls: open a room (then the teacher's dashboard on /classroom) or join one with
// its code (then /classroom, where the student waits for the teacher). The same actions as the classroom page.

import { joinRoom, openRoom, sentence } from "../room/room-actions.js";

const part = (name) => document.querySelector(`[data-testid=${name}]`);

function problem(el, text) {
  el.hidden = !text;
  el.textContent = text ? sentence(text) : "";
}

part("home-open-room").addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  const result = await openRoom();
  part("home-open-room").disabled = false;
  problem(part("home-open-error"), result.ok ? null : result.message);
  if (result.ok) location.assign("/classroom");
});

part("home-join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = part("home-join");
  button.disabled = true;
  const result = await joinRoom(part("home-join-code").value);
  button.disabled = false;
  problem(part("home-join-error"), result.ok ? null : result.message);
  if (result.ok) location.assign("/classroom");
  else part("home-join-code").focus();
});
