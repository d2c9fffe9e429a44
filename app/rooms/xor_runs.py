"""XOR across the class: each student's 2-2-1 network run on /xor, kept in the room and overlaid on the teacher's
screens (the recitation's "how many layers" question, answered by the class's own seeds).

A run is kept as one answer record, RUNS, by member (latest wins), so every backend keeps it and a worker reads what
another wrote. The server judges each run from its curve (solved, stuck on a plateau, still learning) and bins the
final losses; only the teacher's screens hear runs (anonymous ids; the author's name when the teacher shows names),
so a student never reads another's run, until the teacher shows the class some side by side (`compare`: a stuck
one beside a solved one).
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from app.rooms.store import RoomStore
from app.services.xor import PLATEAU_DROP, PLATEAU_SPAN
from app.wire.xor_class import XorClassRun

RUNS = -12  # member -> the member's last run as JSON (records numbered below 0 are a room's own, see session.py)
SOLVED_LOSS = 0.05  # a final mean loss below this: every point is well on its side of ŷ = ½
PLATEAU_LOSS = 0.26  # a plateau at or under this (the 0.17 and 0.25 local minima) is stuck, not a slow start
BIN = 0.02  # width of the histogram's bins of final losses
BINS = 15  # bins from 0 to 0.30; the last one also holds every final loss above


class UnknownRun(Exception):
    """A run id that names no student's run in the room."""


def run_id(member: str) -> str:
    """A run's id on the teacher's screen: a digest of its member id, which it does not reveal."""
    return hashlib.sha256(member.encode()).hexdigest()[:10]


def verdict(points: list[tuple[int, float]], lr: float) -> str:
    """ "solved", "stuck" (not solved, and the loss fell by less than PLATEAU_DROP of itself over the last
    PLATEAU_SPAN / lr steps, at a plateau under PLATEAU_LOSS: what the /xor trainer calls stuck) or "learning"."""
    step, final = points[-1]
    if final < SOLVED_LOSS:
        return "solved"
    before = [loss for at, loss in points if at <= step - PLATEAU_SPAN / lr]
    if before and final <= PLATEAU_LOSS and before[-1] - final < PLATEAU_DROP * before[-1]:
        return "stuck"
    return "learning"


def histogram(finals: list[float]) -> dict:
    """The final losses binned: {"edges": BINS + 1 numbers, "counts": BINS counts}; the last bin holds every loss
    from its left edge up."""
    edges = np.round(np.arange(BINS + 1) * BIN, 6)
    index = np.minimum((np.asarray(finals, dtype=np.float64) / BIN).astype(int), BINS - 1)
    return {"edges": edges.tolist(), "counts": np.bincount(index, minlength=BINS).tolist()}


def kept_run(message: XorClassRun, name: str) -> dict:
    """A run as the room keeps it."""
    points = [[step, loss] for step, loss in message.points]
    final = points[-1][1]
    return {
        "seed": message.seed,
        "lr": message.lr,
        "points": points,
        "final": final,
        "steps": points[-1][0],
        "verdict": verdict(message.points, message.lr),
        "name": name,
        "at": round(time.time(), 3),
    }


def for_teacher(member: str, run: dict, names: bool) -> dict:
    """A run as the teacher's screens get it: an anonymous id, the author only when the teacher shows names."""
    shown = {key: value for key, value in run.items() if key != "name"}
    return {**shown, "id": run_id(member), "author": run["name"] if names else ""}


async def runs(store: RoomStore, code: str) -> dict[str, dict]:
    """Every student's last run, by member."""
    return {member: json.loads(text) for member, text in (await store.answers(code, RUNS)).items()}


async def summary(store: RoomStore, code: str, names: bool) -> dict:
    """The class's runs as a teacher's screen gets them on joining: {"runs": [...], "histogram": ...}."""
    kept = await runs(store, code)
    shown = [for_teacher(member, run, names) for member, run in kept.items()]
    return {"runs": shown, "histogram": histogram([run["final"] for run in kept.values()])}


async def keep(store: RoomStore, code: str, member: str, message: XorClassRun, name: str, names: bool) -> dict:
    """Keep a student's run (replacing her last) and send it, then the class's new histogram of final losses, to
    the teacher's screens; the run as kept."""
    run = kept_run(message, name)
    written = await store.answer(code, RUNS, member, json.dumps(run))
    finals = [json.loads(text)["final"] for text in written.values()]
    event = {"type": "xor_run", "run": for_teacher(member, run, names)}
    await store.publish(code, {"message": event, "key": f"xor_run:{run_id(member)}", "to": "teacher"})
    bins = {"type": "xor_histogram", "histogram": histogram(finals), "count": len(finals)}
    await store.publish(code, {"message": bins, "key": "xor_histogram", "to": "teacher"})
    return run


async def compare(store: RoomStore, code: str, ids: list[str], names: bool) -> dict | None:
    """Show everyone the runs `ids` side by side, in order (none: take the comparison away); keeps it in the room's
    field `xor_compare` for those who join later. UnknownRun when an id names no run."""
    if len(set(ids)) < len(ids):
        raise UnknownRun("each run can be compared once")
    by_id = {run_id(member): (member, run) for member, run in (await runs(store, code)).items()}
    missing = [rid for rid in ids if rid not in by_id]
    if missing:
        raise UnknownRun(f"there is no run {missing[0]} in this room; pick one from the class's runs")
    shown = {"runs": [for_teacher(*by_id[rid], names) for rid in ids]} if ids else None
    await store.update(code, {"xor_compare": shown})
    await store.publish(code, {"message": {"type": "xor_compare", "compare": shown}, "key": "xor_compare", "to": "all"})
    return shown
