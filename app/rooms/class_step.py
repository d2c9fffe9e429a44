"""A room's class step: its own LeNet-5 takes one SGD step on the class's tagged drawings, and every screen hears it.

The room's weights live in the store, not in a process: as float64 values packed in one text (~660 kB) under the
record WEIGHTS, and the last step's answer (and the last HISTORY steps' numbers, for the export) under LAST
(records numbered below 0 are a room's own, see session.py).
So with rooms in Redis and several workers, the worker that gets the request computes the step once, writes the new
weights, and publishes the result, which every worker's listeners pass on; the next step, on any worker, starts from
the weights written; a restart (SQLite, Redis) keeps them. No record: the shared weights, which are never written.
Room fields are read on every message, so these large values stay out of them.
"""

from __future__ import annotations

import json
import time
import weakref

import anyio
import numpy as np

from app.nn import Sequential
from app.rooms.pixels import drawing
from app.rooms.store import RoomStore
from app.services.class_step import ClassStep, Params, class_step, pack, unpack, weights_of
from app.services.lenet import PARAMETER_LAYERS
from app.settings import Settings
from app.wire.class_step import StepMode

WEIGHTS = -10  # "weights" -> the room's LeNet-5 packed (class_step.pack); "" or no record: the shared weights
LAST = -11  # "step" -> the last class step as JSON; "count" -> steps since the shared weights; "history" -> HISTORY
HISTORY = 20  # the last class steps' numbers kept for the export (`summary`), resets included
STRIP = 16  # drawings of the ranked strip sent with their pixels (the largest shares)
SCREEN_DIGITS = 4  # significant digits of the numbers every screen gets (the REST answer keeps them all)
SCREEN_ROW = (  # a drawing's row as every screen gets it
    "id",
    "label",
    "loss_before",
    "loss_after",
    "grad_norm",
    "share",
    "prediction_before",
    "prediction_after",
    "p_before",
    "p_after",
)
ROW_NUMBERS = ("id", "label", "loss_before", "loss_after", "grad_norm", "share")  # a drawing's row in `history`
# One class step of a room at a time in this process, so a double click makes two steps, not one step twice.
LOCKS: weakref.WeakValueDictionary[str, anyio.Lock] = weakref.WeakValueDictionary()


class NothingTagged(Exception):
    """A class step asked for while no drawing the class may see carries an "I meant" tag."""


class StepRefused(Exception):
    """A class step that cannot run as asked (a learning rate over the room's limit)."""


def tagged(gallery: list[dict], limit: int, ids: list[int] | None = None) -> list[dict]:
    """The drawings of a class step: of the class's drawings (the caller leaves out removed, hidden, pending ones),
    those with a tag (and in the teacher's selection `ids`, when given), the newest `limit` of them, oldest first."""
    chosen = None if ids is None else set(ids)
    return [item for item in gallery if item.get("tag") is not None and (chosen is None or item["id"] in chosen)][
        -limit:
    ]


async def room_weights(store: RoomStore, code: str, shared: Sequential) -> tuple[Params, int]:
    """The room's LeNet-5 weights (float64) and how many class steps made them from the shared ones."""
    packed = (await store.answers(code, WEIGHTS)).get("weights", "")
    count = int((await store.answers(code, LAST)).get("count", "0"))
    return (unpack(packed) if packed else weights_of(shared)), count if packed else 0


async def run(
    store: RoomStore,
    code: str,
    gallery: list[dict],
    shared: Sequential,
    settings: Settings,
    compute: anyio.CapacityLimiter,
    lr: float,
    mode: StepMode,
    names: bool,
    ids: list[int] | None = None,
) -> dict:
    """Run a class step of room `code` on the class's drawings `gallery` (those in `ids`, the teacher's selection,
    when given), keep its weights and answer, and publish it to every screen; the answer (ClassStepResult's
    fields). NothingTagged, StepRefused when it cannot run."""
    if lr > settings.room_batch_max_lr:
        raise StepRefused(f"the learning rate is at most {settings.room_batch_max_lr:g} in a class step")
    batch = tagged(gallery, settings.room_batch_max_drawings, ids)
    if not batch:
        where = "the class's gallery" if ids is None else "the selection"
        raise NothingTagged(f"no drawing in {where} says which digit it meant: tag some, then step")
    images = np.stack([drawing(item) for item in batch]).astype(np.float64) / 255
    labels = np.array([item["tag"] for item in batch])
    lock = LOCKS.setdefault(code, anyio.Lock())
    async with lock:
        params, count = await room_weights(store, code, shared)
        step = await anyio.to_thread.run_sync(class_step, params, images, labels, lr, mode, limiter=compute)
        answer = result(step, batch, count + 1)
        await store.answer(code, WEIGHTS, "weights", await anyio.to_thread.run_sync(pack, step.params_after))
        await store.answer(code, LAST, "step", json.dumps(answer))
        await store.answer(code, LAST, "count", str(count + 1))
        kept = [*await history(store, code), summary(answer)][-HISTORY:]
        await store.answer(code, LAST, "history", json.dumps(kept))
    await publish(store, code, shown(answer, {item["id"]: item.get("name", "") for item in batch} if names else None))
    return answer


async def reset(store: RoomStore, code: str) -> None:
    """The room's LeNet-5 goes back to the shared weights; every screen hears it."""
    await store.answer(code, WEIGHTS, "weights", "")
    await store.answer(code, LAST, "step", "")
    await store.answer(code, LAST, "count", "0")
    await publish(store, code, None)


async def last(store: RoomStore, code: str) -> dict | None:
    """The room's last class step (ClassStepResult's fields), or None when there was none since the last reset."""
    text = (await store.answers(code, LAST)).get("step", "")
    return json.loads(text) if text else None


async def history(store: RoomStore, code: str) -> list[dict]:
    """The room's last HISTORY class steps' numbers (`summary`), oldest first: what the export keeps."""
    text = (await store.answers(code, LAST)).get("history", "")
    return json.loads(text) if text else []


def summary(answer: dict) -> dict:
    """A class step's numbers without its pictures (no conv1 kernels, no strip of pixels), stamped with the time."""
    rows = [{key: row[key] for key in ROW_NUMBERS} for row in answer["per_submission"]]
    kept = {key: answer[key] for key in ("step", "mode", "lr", "loss_before", "loss_after", "mean_grad_norm", "moved")}
    return {**kept, "at": round(time.time(), 3), "per_submission": rows}


async def last_shown(store: RoomStore, code: str) -> dict | None:
    """The room's last class step as every screen gets it (anonymous), for a member who joins; None when none."""
    answer = await last(store, code)
    return None if answer is None else shown(answer)


async def publish(store: RoomStore, code: str, answer: dict | None) -> None:
    """Send the class step (None: the reset) to every screen of the room, on every process."""
    message = {"type": "class_step", "step": answer, "at": time.time()}
    await store.publish(code, {"message": message, "key": "class_step", "to": "all"})


def shown(answer: dict, authors: dict[int, str] | None = None) -> dict:
    """The class step as every screen gets it, a fraction of the REST answer's size (300 drawings: ~50 kB instead of
    ~150 kB, sent to every socket): per drawing only what the page draws (no per-layer norms), every number to
    SCREEN_DIGITS significant digits, and each drawing's author only when the teacher shows names (`authors`)."""
    rows = [
        {key: row[key] for key in SCREEN_ROW} | {"author": (authors or {}).get(row["id"], "")}
        for row in answer["per_submission"]
    ]
    return {key: rounded(value) for key, value in {**answer, "per_submission": rows}.items()}


def rounded(value: object) -> object:
    """value with every float in it to SCREEN_DIGITS significant digits (lists and dicts walked)."""
    if isinstance(value, float):
        return float(f"{value:.{SCREEN_DIGITS}g}")
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def result(step: ClassStep, batch: list[dict], count: int) -> dict:
    """A class step's answer: per drawing, per layer, conv1's kernels and the strip of the largest shares."""
    grads, before, after = step.grads, step.before, step.after
    shares = grads.shares
    rows = [
        {
            "id": item["id"],
            "label": int(step.labels[i]),
            "loss_before": float(before.losses[i]),
            "loss_after": float(after.losses[i]),
            "grad_norm": float(grads.total_norms[i]),
            "layer_norms": {layer: float(grads.norms[i, j]) for j, layer in enumerate(PARAMETER_LAYERS)},
            "share": float(shares[i]),
            "prediction_before": int(before.predictions[i]),
            "prediction_after": int(after.predictions[i]),
            "p_before": float(before.p_label[i]),
            "p_after": float(after.p_label[i]),
            "author": "",
        }
        for i, item in enumerate(batch)
    ]
    mean = grads.mean
    kernels = {
        "before": step.params_before["conv1.w"][:, 0],
        "after": step.params_after["conv1.w"][:, 0],
    }
    kernels["delta"] = kernels["after"] - kernels["before"]
    ranked = np.argsort(-shares, kind="stable")[:STRIP]
    return {
        "step": count,
        "mode": step.mode,
        "submissions": [item["id"] for item in batch],
        "lr": step.lr,
        "loss_before": float(before.losses.mean()),
        "loss_after": float(after.losses.mean()),
        "per_submission": rows,
        "mean_grad_norm": {
            layer: float(np.sqrt((mean[f"{layer}.w"] ** 2).sum() + (mean[f"{layer}.b"] ** 2).sum()))
            for layer in PARAMETER_LAYERS
        },
        "moved": step.moved(),
        "conv1": {name: value.tolist() for name, value in kernels.items()},
        "strip": [
            {
                "id": batch[i]["id"],
                "share": float(shares[i]),
                "pixels": batch[i]["pixels"],
                "layer_norms": rows[i]["layer_norms"],
            }
            for i in ranked.tolist()
        ],
    }
