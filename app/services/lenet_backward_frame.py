"""The `backward` frame of /ws/lenet: what the /lenet page's Backward mode draws at one step of the backward pass.

A step is a stage of BACKWARD_STAGES (fc3 → … → input). The frame holds δ for every stage reached so far (the strip
draws them where the activations were), and for the stage just reached what its way there shows: the ReLU mask and
∂l/∂z, the max-pooling winners δ was routed to, the parameter gradients the crossed layer gave, counted. With a
weight to drill into, that weight's window-by-window terms and running sum, the engine's value and the finite
difference. docs/protocol/lenet.md describes the layout.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from app.nn import Conv2D, Sequential
from app.services.lenet import STAGES, Prepared
from app.services.lenet_backward import BACKWARD_STAGES, FD_EPSILON, Backward, Drill, left_of, multiply_adds
from app.wire.frames import pack_frame

KINDS = {stage.name: stage.kind for stage in STAGES}


def reached(stage: str) -> tuple[str, ...]:
    """The stages δ has reached when the page shows `stage`: fc3 up to it, in the order δ flows."""
    return BACKWARD_STAGES[: BACKWARD_STAGES.index(stage) + 1]


def step_details(result: Backward, stage: str) -> dict:
    """The numbers of one step: the layer δ crossed to reach `stage`, the gradients it gave, the ReLU mask's and
    the routing's counts, the largest |δ|."""
    delta = result.deltas[stage]
    details: dict = {
        "stage": stage,
        "kind": KINDS[stage],
        "shape": list(delta.shape),
        "largest": float(np.abs(delta).max()),
        "nonzero": int(np.count_nonzero(delta)),
        "through": None,
        "gradients": [],
        "relu": None,
        "routing": None,
    }
    if stage != "fc3":
        right = BACKWARD_STAGES[BACKWARD_STAGES.index(stage) - 1]
        details["through"] = {"stage": right, "kind": KINDS[right]}
        if KINDS[right] in ("conv", "dense"):
            details["gradients"] = [
                {"parameter": name, "shape": list(grad.shape), "norm": float(np.linalg.norm(grad))}
                for name in (f"{right}.w", f"{right}.b")
                for grad in [result.gradients[name]]
            ]
    if stage in result.masks:
        mask = result.masks[stage]
        details["relu"] = {
            "units": int(mask.size),
            "active": int(mask.sum()),
            "passing": int(np.count_nonzero(result.z_deltas[stage])),
        }
    if stage in result.routed:
        routed = result.routed[stage]
        details["routing"] = {
            "cells": int(routed.size),
            "windows": int(routed.sum()),
            "window": int(routed.size // routed.sum()),
        }
    return details


def stamped(result: Backward, conv: str, stage: str) -> tuple[dict, dict[str, np.ndarray]]:
    """One kernel stamped back through `conv` to `stage`: the map f of ∂l/∂z with the largest |value|, the map c of
    δ at `stage` with the largest |value|, and kernel w[f, c] flipped (the full convolution's kernel), (K, K)."""
    z, delta = result.z_deltas[conv], result.deltas[stage]
    f = int(np.abs(z).reshape(len(z), -1).max(axis=1).argmax())
    c = int(np.abs(delta).reshape(len(delta), -1).max(axis=1).argmax())
    kernel = result.model.layer(conv).params["w"][f, c]
    return {"map": f, "channel": c}, {"stamp.zdelta": z[f], "stamp.kernel": kernel[::-1, ::-1]}


def drill_fields(model: Sequential, drill: Drill) -> dict:
    """The drill-down's header: the weight, the three numbers, whether they agree, and where its terms sit (for a
    conv weight: the map it reads, the tap and the stride, so term (y, x) reads row s·y + i − p, col s·x + j − p)."""
    name, key = drill.parameter.split(".")
    layer = model.layer(name)
    fields = {
        "parameter": drill.parameter,
        "index": list(drill.index),
        "weight": drill.weight,
        "engine": drill.engine,
        "finite_difference": drill.finite_difference,
        "sum": drill.sum,
        "agree": drill.agree,
        "note": drill.note,
        "epsilon": FD_EPSILON,
        "terms": int(drill.terms.size),
        "nonzero": int(np.count_nonzero(drill.terms)),
        "layer": name,
        "kind": "conv" if isinstance(layer, Conv2D) else "dense",
        "reads": left_of(name).name,
        "layout": None,
    }
    if isinstance(layer, Conv2D):
        g = layer.geometry
        tap = drill.index[2:] if key == "w" else (0, 0)
        fields["layout"] = {
            "map": drill.index[0],
            "channel": drill.index[1] if key == "w" else None,
            "tap": list(tap),
            "stride": g.s,
            "padding": g.p,
            "kernel": g.k,
            "out": list(drill.terms.shape),
        }
    return fields


def backward_frame(prepared: Prepared, result: Backward | None, stage: str, drill: Drill | None, header: dict) -> bytes:
    """The binary `backward` frame for one step (empty when nothing is drawn).

    Arrays: "delta.<stage>" for every stage reached (u8, a range per map); for the stage just reached
    "mask.<stage>" and "zdelta.<stage>" after a ReLU, "routed.<stage>" before a max pooling (u8); with a drill,
    "drill.inputs", "drill.deltas", "drill.terms", "drill.running" (f32, the terms in reading order) and
    "drill.map" (the map the weight reads, f32); after crossing a convolution, "stamp.zdelta" and "stamp.kernel" (f32,
    see stamped()).
    """
    fields = {
        "type": "backward",
        **header,
        "stage": stage,
        "reached": list(reached(stage)),
        "preprocess": prepared.mode,
        "empty": result is None,
        "label": None,
        "loss": None,
        "prediction": None,
        "probabilities": None,
        "grad_scores": None,
        "step": None,
        "work": None,
        "drill": None,
    }
    if result is None:
        return pack_frame(fields, {})
    fields |= {
        "label": result.label,
        "loss": result.loss,
        "prediction": result.prediction,
        "probabilities": result.probabilities.tolist(),
        "grad_scores": result.grad_scores.tolist(),
        "step": step_details(result, stage),
        "work": [asdict(work) for work in multiply_adds(result.model)],
    }
    arrays = {f"delta.{name}": result.deltas[name] for name in reached(stage)}
    if stage in result.masks:
        arrays |= {f"mask.{stage}": result.masks[stage], f"zdelta.{stage}": result.z_deltas[stage]}
    if stage in result.routed:
        arrays[f"routed.{stage}"] = result.routed[stage]
    u8 = frozenset(arrays)
    through = fields["step"]["through"]
    if through is not None and through["kind"] == "conv":
        fields["step"]["stamp"], stamp = stamped(result, through["stage"], stage)
        arrays |= stamp
    if drill is not None:
        fields["drill"] = drill_fields(result.model, drill)
        arrays |= {
            "drill.inputs": drill.inputs,
            "drill.deltas": drill.deltas,
            "drill.terms": drill.terms,
            "drill.running": drill.running,
        }
        layout = fields["drill"]["layout"]
        if layout is not None and layout["channel"] is not None:
            arrays["drill.map"] = result.activations[fields["drill"]["reads"]][layout["channel"]]
    return pack_frame(fields, arrays, u8=u8)
