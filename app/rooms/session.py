"""One connection to a room: its role (teacher or student), its answers to each message, and its outbox.

The teacher drives: what the teacher's page shows (`view`), questions, which submission everyone looks at.
Students follow, answer questions and send drawings to the gallery. Every change is published through the
store, so members on other processes see it too; each connection keeps the events meant for it in its own
latest-wins outbox (outbox.py), which `feed` sends, so a broadcast never waits on a slow student.

A member is a student's tab: the server issues its id at the first join (a limited number a minute per client
address, lookup.RoomLimits) and keeps it in the room's records, so a reconnecting tab that presents it stays the
same member, while an id the room never issued makes a new one. Answers count once per member and drawings
count against their member and address (settings room_max_drawings_per_*); the teacher can remove them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import numpy as np

from app.models.lenet import CLASSES
from app.models.shared import SharedModel
from app.nn import Sequential
from app.rooms import class_step as class_steps
from app.rooms import xor_runs
from app.rooms.codes import address_key, new_member, secret_matches
from app.rooms.lookup import RoomLimits, RoomMissing, TooManyAttempts, expired, find_room
from app.rooms.outbox import Outbox
from app.rooms.store import RoomStore, StoreUnavailable
from app.services.lenet import prepare, read, weight_sharing_copy
from app.settings import Settings
from app.wire.class_step import Batch, BatchReset
from app.wire.lenet import Preprocessing
from app.wire.limits import check_canvas
from app.wire.protocol import Problem, Sender
from app.wire.room import (
    MAX_NAME,
    PAUSABLE,
    TEACHER_ONLY,
    Answer,
    Approve,
    Ask,
    Dismiss,
    End,
    Hide,
    Join,
    Names,
    Pause,
    Remove,
    Reveal,
    RoomRequest,
    Screen,
    Show,
    Snapshot,
    Snapshots,
    Submit,
    Tag,
    View,
    name_key,
)
from app.wire.xor_class import XorClassRun, XorCompare

OUTBOX_CAPACITY = 256
HEARTBEAT_S = 30.0  # how often a connection tells the store it is still here (below store.ONLINE_S)
# A room's records of a value per member are kept as the "answers" to questions numbered 0 and below (questions
# are numbered from 1): the store's one record that it writes and reads back at once, on every backend.
NAMES = 0  # member -> the name it took
MEMBERS = -1  # member -> the address_key it joined from: the ids this room issued
DRAWINGS = -2  # one entry per drawing sent: a claim id -> "member address_key" ("" for a claim given back)
MAX_NAME_TRIES = 100


def envelope(message: dict, key: str, to: str = "all") -> dict:
    """An event as published: the message, the outbox key it replaces, and who gets it: "all", "teacher" or
    "student" (the teacher's own screen is where a view comes from, so views go to students only), "private" (the
    teacher's screens marked private: the teacher link on a phone) or "public" (everyone else)."""
    return {"message": message, "key": key, "to": to}


def kept(gallery: list[dict]) -> list[dict]:
    """The submissions the teacher has not removed: what the teacher's private screen, and the export, shows."""
    return [item for item in gallery if not item.get("removed")]


def in_class(submission: dict) -> bool:
    """Whether the class may see a drawing: not removed, not hidden by the teacher, not waiting for approval. The
    projected gallery, the drawing shown, snapshots and class steps take only these."""
    return not (submission.get("removed") or submission.get("hidden") or submission.get("pending"))


def public(submission: dict, names: bool) -> dict:
    """A submission as every student may see it: no member id, the name only when the teacher shares names."""
    shown = {k: v for k, v in submission.items() if k not in ("member", "name")}
    shown["author"] = submission.get("name", "") if names else ""
    return shown


def for_teacher(submission: dict) -> dict:
    """A submission as the teacher sees it: the name the student gave, no member id."""
    shown = {k: v for k, v in submission.items() if k not in ("member", "name")}
    shown["author"] = submission.get("name", "")
    return shown


def reply(message: dict) -> str:
    """A reply to the sender alone, as JSON text."""
    return json.dumps(message)


def counts(answers: dict[str, str]) -> dict:
    """How many members gave each answer."""
    tally: dict[str, int] = {}
    for value in answers.values():
        tally[value] = tally.get(value, 0) + 1
    return {"counts": tally, "total": len(answers)}


def answer_events(question: int, answers: dict[str, str]) -> list[dict]:
    """The `answers` events of an open question: the distribution to the teacher's private screens, only how many
    answered to everyone else (the projected screen, students), so results stay hidden until the reveal."""
    tally = counts(answers)
    return [
        envelope({"type": "answers", "question": question, **tally}, "answers", "private"),
        envelope({"type": "answers", "question": question, "total": tally["total"]}, "answers", "public"),
    ]


@dataclass(frozen=True)
class RoomServices:
    """What every connection to a room shares: the store, the settings, LeNet, the compute threads, the paths of
    the pages a teacher's view may show, and the process's per-address throttles."""

    store: RoomStore
    settings: Settings
    lenet: SharedModel
    compute: anyio.CapacityLimiter
    pages: frozenset[str]
    limits: RoomLimits


class RoomSession:
    """One websocket's membership of one room."""

    def __init__(self, services: RoomServices, address: str) -> None:
        self.services, self.store, self.settings = services, services.store, services.settings
        self.address = address  # the client's address, which the throttles and the caps count
        self.outbox = Outbox(OUTBOX_CAPACITY)
        self.connection = new_member()
        self.code: str | None = None
        self.role: str | None = None
        self.member = ""
        self.name = ""
        self.private = False  # a teacher's own screen (not projected): sees distributions and moderation
        self.rejoined = False
        self.stop: Callable[[], Awaitable[None]] | None = None
        self.joined = anyio.Event()

    @property
    def room_code(self) -> str:
        """The code of the room this connection joined (everything but a join runs after joining)."""
        if self.code is None:
            raise Problem("not_joined", 'join a room first: send {"type": "join", "code": "…"}')
        return self.code

    # ---- the connection's lifetime ----

    async def feed(self, link: Sender) -> str:
        """Send this connection's room events as they come, and keep the room alive while it is connected."""
        await self.joined.wait()
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_S):  # cheaper than anyio's scope, at every event of a class
                    key, text = await self.outbox.take()
            except TimeoutError:
                # While the store does not answer (it logs that once), the connection stays and the next beat tries.
                with contextlib.suppress(StoreUnavailable):
                    await self.store.touch(self.room_code)
                    if self.role == "student":
                        await self.store.online(self.room_code, self.connection, True)
                continue
            if self.outbox.lost:
                await link.close(1013, "too far behind the room; reconnect to catch up")
                return "outbox overflow"
            await link.send(text)
            if key == "ended":
                await link.close(1000, "the room has ended")
                return "room ended"

    async def leave(self) -> None:
        """Stop listening and count this student out."""
        if self.stop is not None:
            await self.stop()
        if self.code is not None and self.role == "student":
            # A store that does not answer keeps counting this student until store.ONLINE_S passes.
            with contextlib.suppress(StoreUnavailable):
                await self.count_students(await self.store.online(self.room_code, self.connection, False))

    async def count_students(self, count: int) -> None:
        """Tell the room how many students are connected, after this one came or went."""
        await self.store.publish(self.room_code, envelope({"type": "students", "count": count}, "students"))

    def deliver(self, event: dict, text: str) -> None:
        """Store listener: queue an event meant for this connection."""
        private = self.role == "teacher" and self.private
        to = event["to"]
        if to == "all" or to == self.role or (to == "private" and private) or (to == "public" and not private):
            self.outbox.put(event["key"], text)

    # ---- messages ----

    async def handle(self, message: RoomRequest) -> list[str]:
        """Answer one message; while the store does not answer, `unavailable` (the connection stays, and a join that
        failed halfway is undone so the client can send it again)."""
        try:
            return await self.respond(message)
        except StoreUnavailable as exc:
            if isinstance(message, Join) and not self.joined.is_set():
                await self.undo_join()
            raise Problem("unavailable", str(exc)) from None

    async def undo_join(self) -> None:
        """Forget a join the store failed to complete: no room, no listener."""
        if self.stop is not None:
            await self.stop()
        self.code, self.role, self.stop = None, None, None

    async def respond(self, message: RoomRequest) -> list[str]:
        """Answer one message (most answers reach the client as events through the outbox)."""
        if isinstance(message, Join):
            return await self.join(message)
        if self.code is None:
            raise Problem("not_joined", 'join a room first: send {"type": "join", "code": "…"}')
        room = await self.store.room(self.room_code)
        if room is None:
            missing = expired(self.code)
            raise Problem(missing.code, str(missing))
        if message.type in TEACHER_ONLY and self.role != "teacher":
            raise Problem("forbidden", f"only the teacher of room {self.code} can send {message.type}")
        if message.type in PAUSABLE and self.role == "student" and room.get("paused"):
            raise Problem("paused", "your teacher has paused the class (eyes up!); try again once it resumes")
        handler = getattr(self, f"on_{message.type}")
        return await handler(message, room)

    async def join(self, message: Join) -> list[str]:
        if self.code is not None:
            raise Problem("impossible", f"this connection is already in room {self.code}; open another to switch")
        limits = self.services.limits
        try:
            code, room = await find_room(self.store, message.code, limits, self.address, self.admits(message))
        except (RoomMissing, TooManyAttempts) as missing:
            raise Problem(missing.code, str(missing)) from None
        if message.key is not None and not secret_matches(message.key, room["teacher"]):
            limits.failures.take(self.address)
            raise Problem("forbidden", f"this is not the teacher link of room {code}; join with the code instead")
        role = "teacher" if message.key is not None else "student"
        self.private = role == "teacher" and message.private
        self.member, self.rejoined = await self.membership(code, message.member, role)
        self.name = await self.claim_name(code, message.name or "")
        self.code, self.role = code, role
        self.stop = await self.store.listen(code, self.deliver)
        await self.store.touch(code)
        if self.role == "student":
            await self.count_students(await self.store.online(code, self.connection, True))
        self.outbox.first("joined", json.dumps(await self.welcome(room)))
        self.joined.set()
        return []

    def admits(self, message: Join) -> Callable[[str, dict], Awaitable[bool]]:
        """Whether the join holds a secret of the room it names (the teacher's key, a member id the room issued):
        such a join gets in even from an address that tried too many wrong codes."""

        async def holds_secret(code: str, room: dict) -> bool:
            if message.key is not None:
                return secret_matches(message.key, room["teacher"])
            return message.member is not None and message.member in await self.store.answers(code, MEMBERS)

        return holds_secret

    async def membership(self, code: str, presented: str | None, role: str) -> tuple[str, bool]:
        """This tab's member id and whether it is one the room issued before (a rejoin). A new student member
        counts against the address's joins a minute, so a script cannot mint members to vote many times."""
        if presented is not None and presented in await self.store.answers(code, MEMBERS):
            return presented, True
        if role == "student":
            try:
                self.services.limits.check_newcomer(self.address)
            except TooManyAttempts as refused:
                raise Problem(refused.code, str(refused)) from None
        member = new_member()
        await self.store.answer(code, MEMBERS, member, address_key(self.address))
        return member, False

    async def claim_name(self, code: str, wanted: str) -> str:
        """The name this member goes by in the room: the one it asked for, or, when another member of the room
        took that name (case aside), the first free of "Ana (2)", "Ana (3)"... A member keeps its name when it
        rejoins, and a name stays taken while the room lives, so nobody can pass for a student who left."""
        if not wanted:
            return ""
        taken = await self.store.answers(code, NAMES)
        for _ in range(MAX_NAME_TRIES):
            name = free_name(wanted, {name_key(other) for member, other in taken.items() if member != self.member})
            # Writing and reading back is one step of the store, so of two members claiming a name at once the
            # one that wrote second sees the other, and takes the next free one.
            taken = await self.store.answer(code, NAMES, self.member, name)
            if not any(member != self.member and name_key(other) == name_key(name) for member, other in taken.items()):
                return name
        raise Problem("impossible", f"too many members of room {code} are called {wanted!r}; add an initial")

    async def welcome(self, room: dict) -> dict:
        """The `joined` message: the room's state now, as this member may see it."""
        question = room.get("question")
        joined = {
            "type": "joined",
            "role": self.role,
            "code": self.code,
            "member": self.member,
            "name": self.name,
            "idle_minutes": self.settings.room_idle_minutes,
            "view": room.get("view"),
            "question": question,
            "shown": room.get("shown"),
            "names": room.get("names", False),
            "students": await self.store.students(self.room_code),
            "paused": room.get("paused"),
            "approve_first": room.get("approve_first", False),
            "snapshot": room.get("snapshot"),
            "class_step": await class_steps.last_shown(self.store, self.room_code),
            "xor_compare": room.get("xor_compare"),
        }
        if question is not None and question["open"]:
            tally = counts(await self.store.answers(self.room_code, question["id"]))
            joined["answers"] = tally if self.role == "teacher" and self.private else {"total": tally["total"]}
        if self.role == "teacher":
            joined["private"] = self.private
            joined["snapshots"] = room.get("snapshots", {"items": [], "names": False})
            gallery = kept(await self.store.submissions(self.room_code))
            joined["gallery"] = [for_teacher(item) for item in gallery if self.private or in_class(item)]
            joined["xor_runs"] = await xor_runs.summary(self.store, self.room_code, room.get("names", False))
        else:
            # Only a tab that joined before can have sent drawings: a new student does not read the whole gallery.
            gallery = kept(await self.store.submissions(self.room_code)) if self.rejoined else []
            joined["mine"] = [public(item, True) for item in gallery if item.get("member") == self.member]
            if question is not None:
                joined["answered"] = (await self.store.answers(self.room_code, question["id"])).get(self.member)
        return joined

    async def on_view(self, message: View, room: dict) -> list[str]:
        pages = self.services.pages
        if message.page not in pages:
            raise Problem("bad_value", f"page {message.page!r} is not one of {', '.join(sorted(pages))}")
        if message.query and not message.query.startswith("?"):
            raise Problem("bad_value", "query must be empty or start with '?'")
        if message.anchor and not message.anchor.startswith("#"):
            raise Problem("bad_value", "anchor must be empty or start with '#'")
        view = {
            "page": message.page,
            "query": message.query,
            "anchor": message.anchor,
            "state": message.state,
            "at": time.time(),
        }
        size = len(json.dumps(view))
        if size > self.settings.room_max_view_bytes:
            raise Problem(
                "too_large", f"a view of {size} bytes is over the limit of {self.settings.room_max_view_bytes}"
            )
        await self.store.update(self.room_code, {"view": view})
        await self.store.publish(self.room_code, envelope({"type": "view", **view}, "view", "student"))
        return []

    async def on_ask(self, message: Ask, room: dict) -> list[str]:
        if message.kind == "choice" and len(message.choices) < 2:
            raise Problem("bad_value", "a multiple-choice question needs 2 to 6 choices")
        if message.kind != "choice" and message.choices:
            raise Problem("bad_value", f"a {message.kind} question has no choices")
        question = {
            "id": room.get("asked", 0) + 1,
            "prompt": message.prompt,
            "kind": message.kind,
            "choices": message.choices,
            "open": True,
        }
        asked = [*room.get("questions", []), {k: question[k] for k in ("id", "prompt", "kind", "choices")}]
        await self.store.update(self.room_code, {"question": question, "asked": question["id"], "questions": asked})
        await self.store.publish(self.room_code, envelope({"type": "question", "question": question}, "question"))
        for event in answer_events(question["id"], {}):
            await self.store.publish(self.room_code, event)
        return []

    async def on_answer(self, message: Answer, room: dict) -> list[str]:
        question = room.get("question")
        if question is None or question["id"] != message.question or not question["open"]:
            raise Problem("impossible", "this question is closed; wait for the next one")
        value = answer_value(question, message.value)
        answers = await self.store.answer(self.room_code, question["id"], self.member, value)
        for event in answer_events(question["id"], answers):
            await self.store.publish(self.room_code, event)
        return [reply({"type": "answered", "question": question["id"], "value": value})]

    async def on_reveal(self, message: Reveal, room: dict) -> list[str]:
        question = room.get("question")
        if question is None:
            raise Problem("impossible", "there is no question to reveal; ask one first")
        answer = answer_value(question, message.answer) if message.answer is not None else None
        question = {
            **question,
            "open": False,
            "answer": answer,
            **counts(await self.store.answers(self.room_code, question["id"])),
        }
        asked = [
            {**item, "answer": answer, "revealed": True} if item["id"] == question["id"] else item
            for item in room.get("questions", [])
        ]
        await self.store.update(self.room_code, {"question": question, "questions": asked})
        await self.store.publish(self.room_code, envelope({"type": "question", "question": question}, "question"))
        return []

    async def on_dismiss(self, message: Dismiss, room: dict) -> list[str]:
        await self.store.update(self.room_code, {"question": None})
        await self.store.publish(self.room_code, envelope({"type": "question", "question": None}, "question"))
        return []

    async def on_submit(self, message: Submit, room: dict) -> list[str]:
        limit = self.settings.room_max_submissions
        if await self.store.gallery_size(self.room_code) - room.get("removed", 0) >= limit:
            raise Problem(
                "room_full", f"the gallery holds {limit} drawings, its limit; the teacher can open a new room"
            )
        self.check_drawings(await self.store.answers(self.room_code, DRAWINGS))
        check_canvas(message.canvas, self.settings)
        lenet = self.services.lenet
        if lenet.model is None:
            raise Problem("unavailable", lenet.error or "LeNet-5 is not loaded")
        image, probabilities = await anyio.to_thread.run_sync(
            classify, lenet.model, message.canvas, message.preprocess, limiter=self.services.compute
        )
        await self.claim_drawing()
        prediction = int(np.argmax(probabilities))
        submission = {
            "member": self.member,
            "name": self.name,
            "at": round(time.time(), 3),
            "tag": message.tag,
            "prediction": prediction,
            "confidence": round(float(probabilities[prediction]), 4),
            "probabilities": [round(float(p), 4) for p in probabilities],
            "pixels": base64.b64encode(np.rint(image * 255).astype(np.uint8).tobytes()).decode(),
        }
        if room.get("approve_first") and self.role == "student":
            submission["pending"] = True
        sid = await self.store.add_submission(self.room_code, submission)
        submission["id"] = sid
        await self.publish_submission(submission)
        return [reply({"type": "submitted", "submission": public(submission, True)})]

    async def publish_submission(self, submission: dict) -> None:
        """Tell the teacher's screens of a new or changed drawing: every one when the class may see it, only the
        private ones while it is hidden or waits for approval (the projected screen never gets it)."""
        to = "teacher" if in_class(submission) else "private"
        event = {"type": "submission", "submission": for_teacher(submission)}
        await self.store.publish(self.room_code, envelope(event, f"submission:{submission['id']}", to))

    def check_drawings(self, claims: dict[str, str]) -> None:
        """Problem too_many_drawings when this member, or its address, has sent as many drawings as it may."""
        mine, here = self.member, address_key(self.address)
        senders = [value.split(" ") for value in claims.values() if value]
        per_member = self.settings.room_max_drawings_per_member
        per_address = self.settings.room_max_drawings_per_address
        if sum(member == mine for member, _ in senders) >= per_member:
            raise Problem("too_many_drawings", f"you have sent {per_member} drawings to this room, the most one may")
        if sum(address == here for _, address in senders) >= per_address:
            raise Problem(
                "too_many_drawings", f"your address has sent {per_address} drawings to this room, the most one may"
            )

    async def claim_drawing(self) -> None:
        """Count one more drawing of this member and address, or Problem when that is one too many. The claim is
        written and every claim read back in one step of the store, so of drawings sent at once from many sockets
        none passes the caps; a claim over them is given back."""
        claim = new_member()
        claims = await self.store.answer(self.room_code, DRAWINGS, claim, f"{self.member} {address_key(self.address)}")
        try:
            self.check_drawings({other: value for other, value in claims.items() if other != claim})
        except Problem:
            await self.store.answer(self.room_code, DRAWINGS, claim, "")
            raise

    async def on_tag(self, message: Tag, room: dict) -> list[str]:
        found = await self.store.submission(self.room_code, message.id)
        if found is not None and found.get("removed"):
            found = None
        if found is None or (found["member"] != self.member and self.role != "teacher"):
            raise Problem("impossible", f"there is no drawing {message.id} of yours in this room")
        submission = await self.store.update_submission(self.room_code, message.id, {"tag": message.tag})
        if submission is None:  # the room ended meanwhile
            raise Problem("impossible", f"there is no drawing {message.id} of yours in this room")
        await self.publish_submission(submission)
        return [reply({"type": "submitted", "submission": public(submission, True)})]

    async def on_show(self, message: Show, room: dict) -> list[str]:
        shown = None
        if message.id is not None:
            found = await self.store.submission(self.room_code, message.id)
            if found is None or found.get("removed"):
                raise Problem("impossible", f"there is no drawing {message.id} in this room's gallery")
            if not in_class(found):
                raise Problem("impossible", f"drawing {message.id} is hidden or waits for approval; let it in first")
            shown = public(found, room.get("names", False))
        await self.store.update(self.room_code, {"shown": shown})
        await self.store.publish(self.room_code, envelope({"type": "show", "submission": shown}, "show"))
        return []

    async def on_remove(self, message: Remove, room: dict) -> list[str]:
        """Take a drawing, or every drawing of its author, off every screen and out of the export. They stay in the
        store marked removed (and still count against their author's caps); the gallery has room for as many more."""
        found = await self.store.submission(self.room_code, message.id)
        if found is None or found.get("removed"):
            raise Problem("impossible", f"there is no drawing {message.id} in this room's gallery")
        gallery = await self.store.submissions(self.room_code) if message.all else [found]
        ids = [
            item["id"] for item in kept(gallery) if item["id"] == message.id or item.get("member") == found["member"]
        ]
        for sid in ids:
            await self.store.update_submission(self.room_code, sid, {"removed": True})
        fields: dict = {"removed": room.get("removed", 0) + len(ids)}
        shown = room.get("shown")
        if shown is not None and shown["id"] in ids:
            fields["shown"] = None
        await self.store.update(self.room_code, fields)
        await self.store.publish(self.room_code, envelope({"type": "removed", "ids": ids}, f"removed:{ids[0]}"))
        if "shown" in fields:
            await self.store.publish(self.room_code, envelope({"type": "show", "submission": None}, "show"))
        return []

    async def on_screen(self, message: Screen, room: dict) -> list[str]:
        """This teacher screen becomes private (the teacher's phone) or projected; the room's state as it may now
        see it comes back as `joined`."""
        self.private = message.private
        return [reply(await self.welcome(room))]

    async def on_pause(self, message: Pause, room: dict) -> list[str]:
        """Pause the class ("eyes up") with the teacher's message, or resume it."""
        paused = {"message": message.message or "Eyes up: look at the board."} if message.on else None
        await self.store.update(self.room_code, {"paused": paused})
        await self.store.publish(self.room_code, envelope({"type": "paused", "paused": paused}, "paused"))
        return []

    async def on_hide(self, message: Hide, room: dict) -> list[str]:
        """Hide a drawing from the class (the projected gallery, the drawing shown, snapshots, class steps), or bring
        it back; it stays in the store and the export, restorable, unlike `remove`."""
        found = await self.store.submission(self.room_code, message.id)
        if found is None or found.get("removed"):
            raise Problem("impossible", f"there is no drawing {message.id} in this room's gallery")
        submission = await self.store.update_submission(self.room_code, message.id, {"hidden": message.hidden})
        if submission is None:  # the room ended meanwhile
            raise Problem("impossible", f"there is no drawing {message.id} in this room's gallery")
        await self.withdraw(submission, room)
        return []

    async def on_approve(self, message: Approve, room: dict) -> list[str]:
        """Switch "approve before it appears" on or off, or let one waiting drawing appear."""
        if message.first is not None:
            await self.store.update(self.room_code, {"approve_first": message.first})
            event = {"type": "approve_first", "on": message.first}
            await self.store.publish(self.room_code, envelope(event, "approve_first", "teacher"))
        if message.id is not None:
            found = await self.store.submission(self.room_code, message.id)
            if found is None or found.get("removed"):
                raise Problem("impossible", f"there is no drawing {message.id} in this room's gallery")
            submission = await self.store.update_submission(self.room_code, message.id, {"pending": False})
            if submission is not None:
                await self.withdraw(submission, room)
        if message.first is None and message.id is None:
            raise Problem("bad_value", "say which drawing to approve (id) or whether drawings wait (first)")
        return []

    async def withdraw(self, submission: dict, room: dict) -> None:
        """After a drawing was hidden, restored or approved: every screen hears `hidden` (the projected gallery and
        a student's own list follow it), the teacher's screens get the drawing as it now is, and a drawing shown to
        everyone that the class may no longer see stops being shown."""
        sid, seen = submission["id"], in_class(submission)
        event = {"type": "hidden", "id": sid, "hidden": bool(submission.get("hidden")), "visible": seen}
        await self.store.publish(self.room_code, envelope(event, f"hidden:{sid}"))
        await self.publish_submission(submission)
        shown = room.get("shown")
        if not seen and shown is not None and shown["id"] == sid:
            await self.store.update(self.room_code, {"shown": None})
            await self.store.publish(self.room_code, envelope({"type": "show", "submission": None}, "show"))
        snapshot = room.get("snapshot")
        if not seen and snapshot is not None and snapshot["submission"]["id"] == sid:
            await self.put_snapshot(None)

    async def on_snapshots(self, message: Snapshots, room: dict) -> list[str]:
        """Keep the teacher's ordered pick of drawings for a discussion (captions, names shown or not); a snapshot on
        screen is shown again as the new list has it at its place, or taken away when the list is shorter."""
        ids = [item.id for item in message.items]
        if len(set(ids)) < len(ids):
            raise Problem("bad_value", "each drawing can be in the snapshots once")
        for sid in ids:
            found = await self.store.submission(self.room_code, sid)
            if found is None or not in_class(found):
                raise Problem("impossible", f"there is no drawing {sid} the class may see in this room's gallery")
        snapshots = {"items": [item.model_dump() for item in message.items], "names": message.names}
        await self.store.update(self.room_code, {"snapshots": snapshots})
        await self.store.publish(self.room_code, envelope({"type": "snapshots", **snapshots}, "snapshots", "teacher"))
        shown = room.get("snapshot")
        if shown is not None:
            index = shown["index"] if shown["index"] < len(ids) else None
            await self.put_snapshot(None if index is None else await self.snapshot_at(snapshots, index))
        return []

    async def on_snapshot(self, message: Snapshot, room: dict) -> list[str]:
        """Show everyone one snapshot of the sequence (its drawing, caption, place; the author only when names are
        shown), or none."""
        snapshots = room.get("snapshots", {"items": [], "names": False})
        if message.index is not None and message.index >= len(snapshots["items"]):
            count = len(snapshots["items"])
            raise Problem("impossible", f"the snapshots hold {count} drawing(s); pick one to show first")
        await self.put_snapshot(None if message.index is None else await self.snapshot_at(snapshots, message.index))
        return []

    async def snapshot_at(self, snapshots: dict, index: int) -> dict:
        """The snapshot at `index` as everyone sees it: {index, count, caption, submission}."""
        item = snapshots["items"][index]
        found = await self.store.submission(self.room_code, item["id"])
        if found is None or not in_class(found):
            raise Problem("impossible", f"drawing {item['id']} is no longer one the class may see; pick another")
        submission = public(found, snapshots["names"])
        return {"index": index, "count": len(snapshots["items"]), "caption": item["caption"], "submission": submission}

    async def put_snapshot(self, snapshot: dict | None) -> None:
        """Keep the snapshot shown (or none) in the room and send it to every screen."""
        await self.store.update(self.room_code, {"snapshot": snapshot})
        await self.store.publish(self.room_code, envelope({"type": "snapshot", "snapshot": snapshot}, "snapshot"))

    async def on_batch(self, message: Batch, room: dict) -> list[str]:
        """A class step of the room's LeNet-5 on the tagged drawings the class may see; every screen hears it."""
        lenet = self.services.lenet
        if lenet.model is None:
            raise Problem("unavailable", lenet.error or "LeNet-5 is not loaded")
        gallery = [item for item in await self.store.submissions(self.room_code) if in_class(item)]
        try:
            await class_steps.run(
                self.store,
                self.room_code,
                gallery,
                lenet.model,
                self.settings,
                self.services.compute,
                message.lr,
                message.mode,
                room.get("names", False),
                message.ids,
            )
        except class_steps.NothingTagged as exc:
            raise Problem("impossible", str(exc)) from None
        except class_steps.StepRefused as exc:
            raise Problem("bad_value", str(exc)) from None
        return []

    async def on_batch_reset(self, message: BatchReset, room: dict) -> list[str]:
        """The room's LeNet-5 goes back to the shared weights."""
        await class_steps.reset(self.store, self.room_code)
        return []

    async def on_xor_class_run(self, message: XorClassRun, room: dict) -> list[str]:
        """A student's XOR run to the room (her last one wins); the teacher's screens overlay it. She hears back
        how the server judged it."""
        if self.role != "student":
            raise Problem("forbidden", "only a student's runs go to the class's overlay")
        run = await xor_runs.keep(self.store, self.room_code, self.member, message, self.name, room.get("names", False))
        kept = {"type": "xor_run_kept", "seed": run["seed"], "final": run["final"], "verdict": run["verdict"]}
        return [reply(kept)]

    async def on_xor_compare(self, message: XorCompare, room: dict) -> list[str]:
        """Show everyone some students' XOR runs side by side (a stuck one beside a solved one), or none."""
        try:
            await xor_runs.compare(self.store, self.room_code, message.ids, room.get("names", False))
        except xor_runs.UnknownRun as exc:
            raise Problem("impossible", str(exc)) from None
        return []

    async def on_names(self, message: Names, room: dict) -> list[str]:
        await self.store.update(self.room_code, {"names": message.visible})
        await self.store.publish(self.room_code, envelope({"type": "names", "visible": message.visible}, "names"))
        return []

    async def on_end(self, message: End, room: dict) -> list[str]:
        await self.store.delete(self.room_code)
        await self.store.publish(
            self.room_code, envelope({"type": "ended", "message": f"the teacher ended room {self.code}"}, "ended")
        )
        return []


def free_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or when its key is taken the first of "wanted (2)", "wanted (3)"... that is not (within MAX_NAME
    characters: a long name is shortened before its number)."""
    name, number = wanted, 1
    while name_key(name) in taken:
        number += 1
        suffix = f" ({number})"
        name = wanted[: MAX_NAME - len(suffix)].rstrip() + suffix
    return name


def answer_value(question: dict, value: str) -> str:
    """An answer in its one canonical form (so "7" and "7.0" count together), or a Problem saying what fits."""
    value = value.strip()
    if question["kind"] == "digit":
        if value not in {str(d) for d in range(CLASSES)}:
            raise Problem("bad_value", "the answer is one digit, 0 to 9")
        return value
    if question["kind"] == "number":
        try:
            number = float(value)
        except ValueError:
            raise Problem("bad_value", f"{value!r} is not a number") from None
        if not np.isfinite(number):
            raise Problem("bad_value", "the answer must be a finite number")
        return f"{number:.6g}"
    if value not in question["choices"]:
        raise Problem("bad_value", f"pick one of: {', '.join(question['choices'])}")
    return value


def classify(model: Sequential, canvas: np.ndarray, mode: Preprocessing) -> tuple[np.ndarray, np.ndarray]:
    """LeNet's 28×28 input for a drawing and its ten probabilities; an empty drawing is a Problem."""
    prepared = prepare(canvas, mode)
    if prepared.image is None:
        raise Problem("impossible", "nothing is drawn: draw a digit before sending it to the class")
    reading = read(weight_sharing_copy(model), prepared.image)
    return prepared.image, reading.probabilities
