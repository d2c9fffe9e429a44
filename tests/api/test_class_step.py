"""The class step through the real app, on both room backends (SQLite and a real Redis): POST and GET
/api/rooms/{code}/batch with the teacher key, the numbers against the service on the same drawings, the room's own
weights carried from step to step and reset, every screen hearing it, and a student's socket refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.rooms.class_step import shown
from app.services.class_step import class_step, weights_of
from tests.api import test_rooms
from tests.api.test_rooms import open_room, receive

client, connect, two_processes = test_rooms.client, test_rooms.connect, test_rooms.two_processes  # fixtures

LR = 0.05
ANSWER_FIELDS = {"submissions", "lr", "loss_before", "loss_after", "per_submission", "mean_grad_norm"}


def add_drawing(client: TestClient, code: str, image: np.ndarray, tag: int | None, **fields: object) -> int:
    """Put a 28×28 uint8 drawing in the room's gallery as a student's submission would be kept; its id."""
    submission = {
        "member": "m" + "0" * 24,
        "name": "Ana",
        "at": 0.0,
        "tag": tag,
        "prediction": 0,
        "confidence": 1.0,
        "probabilities": [0.1] * 10,
        "pixels": base64.b64encode(image.astype(np.uint8).tobytes()).decode(),
        **fields,
    }
    store = client.app.state.rooms  # type: ignore[attr-defined]
    return client.portal.call(store.add_submission, code, submission)  # type: ignore[union-attr]


def post(client: TestClient, code: str, key: str | None, body: object) -> httpx.Response:
    headers = {"X-Teacher-Key": key} if key is not None else {}
    return client.post(f"/api/rooms/{code}/batch", headers=headers, json=body)


@pytest.fixture
def class_room(client: TestClient, mnist: Mnist) -> tuple[dict, list[int], np.ndarray, np.ndarray]:
    """A room whose gallery holds six tagged test digits, an 8 tagged 3, an untagged digit and tagged ones removed,
    hidden or waiting for approval; the room, the ids of the class step's drawings, their images (N, 28, 28) in
    [0, 1] and tags."""
    room = open_room(client)
    code = room["code"]
    images, tags, ids = [], [], []
    for i in range(6):
        ids.append(add_drawing(client, code, mnist.test_images[i], int(mnist.test_labels[i])))
        images.append(mnist.test_images[i])
        tags.append(int(mnist.test_labels[i]))
    eight = mnist.test_images[int(np.flatnonzero(mnist.test_labels == 8)[0])]
    ids.append(add_drawing(client, code, eight, 3))
    images.append(eight)
    tags.append(3)
    add_drawing(client, code, mnist.test_images[10], None)
    add_drawing(client, code, mnist.test_images[11], 1, removed=True)
    add_drawing(client, code, mnist.test_images[12], 9, hidden=True)  # hidden by the teacher
    add_drawing(client, code, mnist.test_images[13], 0, pending=True)  # waiting for the teacher's approval
    return room, ids, np.stack(images).astype(np.float64) / 255, np.array(tags)


def test_posting_a_class_step_answers_the_services_numbers_and_get_repeats_them(
    client: TestClient, class_room: tuple, connect: Callable[..., tuple]
) -> None:
    room, ids, images, tags = class_room
    code, key = room["code"], room["key"]
    student, _ = connect(client, code)
    response = post(client, code, key, {"lr": LR})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) >= ANSWER_FIELDS and answer["submissions"] == ids and answer["lr"] == LR
    expected = class_step(weights_of(load_lenet5()[0]), images, tags, LR)
    rows = answer["per_submission"]
    assert [row["id"] for row in rows] == ids and [row["label"] for row in rows] == tags.tolist()
    np.testing.assert_allclose([row["loss_before"] for row in rows], expected.before.losses, rtol=1e-9)
    np.testing.assert_allclose([row["loss_after"] for row in rows], expected.after.losses, rtol=1e-9)
    np.testing.assert_allclose([row["grad_norm"] for row in rows], expected.grads.total_norms, rtol=1e-9)
    assert answer["loss_before"] == pytest.approx(expected.before.losses.mean())
    assert set(answer["mean_grad_norm"]) == {"conv1", "conv2", "fc1", "fc2", "fc3"}
    assert max(rows, key=lambda row: row["grad_norm"])["id"] == ids[-1]  # the 8 tagged 3
    assert answer["strip"][0]["id"] == ids[-1] and np.array(answer["conv1"]["delta"]).shape == (6, 5, 5)
    heard = receive(student, "class_step")["step"]
    assert heard["submissions"] == ids and all(row["author"] == "" for row in heard["per_submission"])  # no names
    for row, seen in zip(rows, heard["per_submission"], strict=True):  # every screen: 4 significant digits, no layers
        assert set(seen) == set(row) - {"layer_norms"}
        assert all(seen[key] == pytest.approx(row[key], rel=5e-4, abs=1e-300) for key in seen if key != "author")
    again = client.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key})
    assert again.status_code == 200 and again.json() == answer


def test_the_rooms_weights_carry_on_from_step_to_step_until_reset(
    client: TestClient, class_room: tuple, connect: Callable[..., tuple]
) -> None:
    room, _, _, _ = class_room
    code, key = room["code"], room["key"]
    first = post(client, code, key, {"lr": LR}).json()
    second = post(client, code, key, {"lr": LR, "mode": "each"}).json()
    assert second["step"] == 2 and second["mode"] == "each"
    assert second["loss_before"] == pytest.approx(first["loss_after"], rel=1e-12)
    teacher, _ = connect(client, code, key=key)
    teacher.send_json({"type": "batch_reset"})
    assert receive(teacher, "class_step")["step"] is None
    assert client.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).status_code == 409
    teacher.send_json({"type": "batch", "lr": LR})
    third = receive(teacher, "class_step")["step"]
    assert third["step"] == 1 and third["loss_before"] == pytest.approx(first["loss_before"], rel=5e-4)  # 4 digits
    exact = client.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).json()
    assert exact["loss_before"] == pytest.approx(first["loss_before"], rel=1e-12)  # the shared weights again
    teacher.send_json({"type": "names", "visible": True})
    teacher.send_json({"type": "batch", "lr": LR})
    named = receive(teacher, "class_step")["step"]
    assert {row["author"] for row in named["per_submission"]} == {"Ana"}  # names only once the teacher shows them
    assert client.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).json()["step"] == 2


def test_only_the_teacher_runs_or_reads_class_steps(
    client: TestClient, class_room: tuple, connect: Callable[..., tuple]
) -> None:
    room, _, _, _ = class_room
    code, key = room["code"], room["key"]
    for wrong in (None, "", key[:-1] + "?"):
        response = post(client, code, wrong, {"lr": LR})
        assert response.status_code == 403 and response.json()["code"] == "forbidden", response.text
        headers = {"X-Teacher-Key": wrong} if wrong is not None else {}
        assert client.get(f"/api/rooms/{code}/batch", headers=headers).status_code == 403
    assert post(client, "ZZZZZZ", key, {"lr": LR}).status_code == 404
    student, _ = connect(client, code)
    for message in ({"type": "batch", "lr": LR}, {"type": "batch_reset"}):
        student.send_json(message)
        error = receive(student, "error")
        assert error["code"] == "forbidden" and error["request"] == message["type"], error
    assert client.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).status_code == 409


def test_a_class_step_needs_tagged_drawings_and_a_learning_rate_in_range(
    client: TestClient, connect: Callable[..., tuple], mnist: Mnist
) -> None:
    room = open_room(client)
    code, key = room["code"], room["key"]
    add_drawing(client, code, mnist.test_images[0], None)
    response = post(client, code, key, {"lr": LR})
    assert response.status_code == 409 and response.json()["code"] == "nothing_tagged"
    add_drawing(client, code, mnist.test_images[1], 2)
    for body in ({"lr": 0}, {"lr": -1}, {"lr": "fast"}, {}, {"lr": 2.0}, {"lr": LR, "mode": "adam"}):
        response = post(client, code, key, body)
        assert response.status_code == 422, (body, response.text)
    teacher, _ = connect(client, code, key=key)
    teacher.send_json({"type": "batch", "lr": 2.0})
    assert receive(teacher, "error")["code"] == "bad_value"
    assert post(client, code, key, {"lr": LR}).status_code == 200


def test_the_teacher_may_step_on_a_selection_of_the_tagged_drawings(
    client: TestClient, class_room: tuple, connect: Callable[..., tuple]
) -> None:
    room, ids, images, tags = class_room
    code, key = room["code"], room["key"]
    chosen = [ids[0], ids[-1], 8, 9, 10]  # 8: untagged, 9: removed, 10: hidden — never in a step
    answer = post(client, code, key, {"lr": LR, "ids": chosen}).json()
    assert answer["submissions"] == [ids[0], ids[-1]]
    expected = class_step(weights_of(load_lenet5()[0]), images[[0, -1]], tags[[0, -1]], LR)
    np.testing.assert_allclose([row["grad_norm"] for row in answer["per_submission"]], expected.grads.total_norms)
    response = post(client, code, key, {"lr": LR, "ids": [8, 9]})
    assert response.status_code == 409 and "the selection" in response.json()["message"]
    teacher, _ = connect(client, code, key=key)
    teacher.send_json({"type": "batch", "lr": LR, "ids": [ids[1]]})
    assert receive(teacher, "class_step")["step"]["submissions"] == [ids[1]]


def test_a_step_computed_by_one_process_reaches_the_other_and_the_next_starts_from_its_weights(
    two_processes: tuple[TestClient, TestClient], connect: Callable[..., tuple], mnist: Mnist
) -> None:
    first, second = two_processes
    room = open_room(first)
    code, key = room["code"], room["key"]
    for i in range(4):
        add_drawing(first, code, mnist.test_images[i], int(mnist.test_labels[i]))
    student, _ = connect(second, code)
    answer = post(first, code, key, {"lr": LR}).json()
    assert receive(student, "class_step")["step"] == shown(answer)  # computed once, on the first process
    assert second.get(f"/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).json() == answer
    again = post(second, code, key, {"lr": LR}).json()
    assert again["step"] == 2 and again["loss_before"] == pytest.approx(answer["loss_after"], rel=1e-12)


def test_both_endpoints_are_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    batch = paths["/api/rooms/{code}/batch"]
    assert {"get", "post"} <= set(batch)
    assert {"403", "404", "409"} <= set(batch["post"]["responses"])
    assert json.dumps(batch["post"]).count("X-Teacher-Key") >= 1 or "x-teacher-key" in json.dumps(batch["post"])
