"""The /lenet input-gradient panel's answers on /ws/lenet: `input_gradient` → a `gradient_faces` frame (saliency,
gradient × input, FGSM one-shot, its smallest flipping ε and the iterated attack), `dream` → a `dreamt` frame.

Numbers that matter are exact in the JSON header; the 28×28 pictures travel as u8 with their range
(app/wire/frames.py). docs/protocol/lenet.md describes both frames.

What does not depend on ε (the smallest flipping ε, a batch of 100 images, and the iterated attack) is kept for the
last drawing each connection's weights answered, so moving the ε slider costs four forward passes and two
backward passes of one image.
"""

from __future__ import annotations

import hashlib
import time
from weakref import WeakKeyDictionary

import numpy as np

from app.nn import Sequential
from app.services.input_gradients import (
    Adversarial,
    NoSuchMap,
    Objective,
    dream,
    fgsm,
    iterated_fgsm,
    normalised,
    saliency,
    smallest_flip,
)
from app.services.lenet import LeNetSession, prepare
from app.settings import Settings
from app.wire.frames import pack_frame
from app.wire.lenet import Dreaming, InputGradient, LenetMessage
from app.wire.limits import check_canvas
from app.wire.protocol import Problem


def gradient_answer(session: LeNetSession, message: LenetMessage, settings: Settings) -> bytes | None:
    """The frame answering an `input_gradient` or `dream` request on this connection's weights; None for the other
    messages of /ws/lenet."""
    if isinstance(message, InputGradient):
        check_canvas(message.canvas, settings)
        return gradient_faces_frame(session, message)
    if isinstance(message, Dreaming):
        check_canvas(message.canvas, settings)
        return dreamt_frame(session, message)
    return None


# a connection's weights -> (drawing, label, lessons taken), the smallest flipping ε and the iterated attack for them
EPSILON_FREE: WeakKeyDictionary[Sequential, tuple[tuple, float | None, Adversarial]] = WeakKeyDictionary()


def epsilon_free(session: LeNetSession, image: np.ndarray, label: int | None) -> tuple[float | None, Adversarial]:
    """The smallest one-shot ε that flips the reading and the iterated attack, for this drawing on this connection's
    weights: computed once per drawing, label and lesson (teaching changes the weights in place)."""
    key = (hashlib.sha256(image.tobytes()).digest(), label, session.taught_steps)
    kept = EPSILON_FREE.get(session.model)
    if kept is not None and kept[0] == key:
        return kept[1], kept[2]
    smallest, iterated = smallest_flip(session.model, image, label), iterated_fgsm(session.model, image, label)
    EPSILON_FREE[session.model] = (key, smallest, iterated)
    return smallest, iterated


def adversarial_fields(adversarial: Adversarial) -> dict:
    """What an adversarial image did, for the header: its ε, steps, the class whose loss rose, the new reading."""
    return {
        "label": adversarial.label,
        "epsilon": adversarial.epsilon,
        "steps": adversarial.steps,
        "prediction": adversarial.prediction,
        "probabilities": adversarial.probabilities.tolist(),
    }


def gradient_faces_frame(session: LeNetSession, message: InputGradient) -> bytes:
    """The `gradient_faces` frame for the drawing: empty (no arrays) when nothing is drawn.

    Arrays, each (1, 28, 28) u8: input, saliency and times_input (normalised to [−1, 1], their scales in the header),
    adversarial and perturbation (x' − x, one-shot at ε), iterated and iterated_perturbation.
    """
    started = time.perf_counter()
    prepared = prepare(message.canvas, message.preprocess)
    fields: dict = {"type": "gradient_faces", "seq": message.seq, **session.state, "preprocess": prepared.mode}
    if prepared.image is None:
        fields |= {"empty": True, "server_ms": round((time.perf_counter() - started) * 1e3, 3)}
        return pack_frame(fields, {})
    image = prepared.image
    faces = saliency(session.model, image, message.target)
    attack = fgsm(session.model, image, message.epsilon, message.label)
    smallest, iterated = epsilon_free(session, image, message.label)
    gradient, scale = normalised(faces.gradient)
    times_input, times_input_scale = normalised(faces.times_input)
    fields |= {
        "empty": False,
        "prediction": attack.prediction,
        "probabilities": attack.before.tolist(),
        "saliency": {
            "target": faces.target,
            "score": faces.score,
            "scale": scale,
            "times_input_scale": times_input_scale,
        },
        "fgsm": adversarial_fields(attack.one_shot) | {"smallest_epsilon": smallest},
        "iterated": adversarial_fields(iterated),
        "server_ms": round((time.perf_counter() - started) * 1e3, 3),
    }
    arrays = {
        "input": image,
        "saliency": gradient,
        "times_input": times_input,
        "adversarial": attack.one_shot.image,
        "perturbation": attack.one_shot.perturbation,
        "iterated": iterated.image,
        "iterated_perturbation": iterated.perturbation,
    }
    arrays = {name: values.reshape(1, 28, 28) for name, values in arrays.items()}
    return pack_frame(fields, arrays, u8=frozenset(arrays))


def dreamt_frame(session: LeNetSession, message: Dreaming) -> bytes:
    """The `dreamt` frame: the ascent's snapshots as a `frames` array (F, 28, 28) u8 (one range per snapshot), the
    objective's value at each and what LeNet reads in the last."""
    started = time.perf_counter()
    start = None
    if message.start == "drawing":
        start = prepare(message.canvas, message.preprocess).image
        if start is None:
            raise Problem("impossible", "draw a digit before dreaming from it, or start from blank paper")
    if message.map is None:
        objective = Objective(target=message.target)
    else:
        objective = Objective(stage=message.map.stage, channel=message.map.channel)
    try:
        result = dream(session.model, objective, start)
    except NoSuchMap as exc:
        raise Problem("bad_value", str(exc)) from None
    fields = {
        "type": "dreamt",
        **session.state,
        "objective": {
            "target": None if objective.stage else objective.target,
            "stage": objective.stage,
            "channel": objective.channel if objective.stage else None,
            "label": objective.label,
        },
        "start": message.start,
        "steps": result.steps,
        "values": result.values,
        "prediction": result.prediction,
        "probabilities": result.probabilities.tolist(),
        "server_ms": round((time.perf_counter() - started) * 1e3, 3),
    }
    return pack_frame(fields, {"frames": result.frames}, u8=frozenset({"frames"}))
