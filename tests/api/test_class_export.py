"""The export after class through the real app on both backends: the zip gains the last class steps' numbers (CSV and
JSON, the history capped) and the students' XOR runs with their final losses, every text cell neutralised."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable

import numpy as np
from fastapi.testclient import TestClient

from app.rooms.class_step import HISTORY
from app.services.lenet import PARAMETER_LAYERS
from tests.api import test_rooms
from tests.api.test_class_step import LR, add_drawing, post
from tests.api.test_rooms import open_room, receive
from tests.api.test_xor_class import run_of

client, connect = test_rooms.client, test_rooms.connect  # the rooms' fixtures: a client on each backend, sockets


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_the_zip_has_the_class_steps_numbers_and_the_xor_runs(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code, key = room["code"], room["key"]
    image = np.zeros((28, 28))
    image[4:24, 12:16] = 255
    add_drawing(client, code, image, 1)
    add_drawing(client, code, image, 7)
    steps = [post(client, code, key, {"lr": LR}).json() for _ in range(2)]
    ana, _ = connect(client, code, name="=cmd|' /C calc'!A0")
    ana.send_json(run_of(5))
    receive(ana, "xor_run_kept")
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": key}).content)
    )

    table = rows(archive, "class_steps.csv")
    assert [int(row["step"]) for row in table] == [1, 2]
    for row, step in zip(table, steps, strict=True):
        assert float(row["loss_before"]) == step["loss_before"] and float(row["loss_after"]) == step["loss_after"]
        assert int(row["drawings"]) == 2 and row["mode"] == "batch" and float(row["lr"]) == LR
        for layer in PARAMETER_LAYERS:
            assert float(row[f"mean_grad_norm_{layer}"]) == step["mean_grad_norm"][layer]
    drawings = rows(archive, "class_step_drawings.csv")
    assert len(drawings) == 4 and {row["label"] for row in drawings} == {"1", "7"}
    assert [float(row["grad_norm"]) for row in drawings[:2]] == [r["grad_norm"] for r in steps[0]["per_submission"]]
    kept = json.loads(archive.read("class_steps.json"))
    assert [step["loss_after"] for step in kept] == [step["loss_after"] for step in steps]

    runs = rows(archive, "xor_runs.csv")
    assert len(runs) == 1 and runs[0]["seed"] == "5" and runs[0]["verdict"] == "stuck"
    assert abs(float(runs[0]["final_loss"]) - 1 / 6) < 0.01
    assert runs[0]["author"] == "'=cmd|' /C calc'!A0"  # a formula-like name stays text
    assert len(json.loads(archive.read("xor_runs.json"))[0]["points"]) == 200


def test_the_history_keeps_the_last_steps_across_a_reset(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    code, key = room["code"], room["key"]
    add_drawing(client, code, np.full((28, 28), 200), 3)
    teacher, _ = connect(client, code, key=room["key"])
    for _ in range(HISTORY + 2):
        assert post(client, code, key, {"lr": LR}).status_code == 200
    teacher.send_json({"type": "batch_reset"})
    receive(teacher, "class_step")
    post(client, code, key, {"lr": LR})
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": key}).content)
    )
    steps = [int(row["step"]) for row in rows(archive, "class_steps.csv")]
    assert steps == [*range(4, HISTORY + 3), 1]  # the newest HISTORY, the step after the reset counted from 1
