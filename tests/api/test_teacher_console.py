"""The teacher's console for a discussion, through the real app on both backends (SQLite and a real Redis): pausing
the class, results hidden until the reveal (the distribution reaches only the teacher's private screen), and
moderating the gallery (hiding and restoring drawings, approving them before they appear)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api import test_rooms
from tests.api.test_rooms import digit_canvas, open_room, receive

client, connect = test_rooms.client, test_rooms.connect  # the rooms' fixtures: a client on each backend, sockets


def until(ws, kind: str) -> list[dict]:
    """Every message a socket gets up to and with the first of this type."""
    seen = [ws.receive_json()]
    while seen[-1]["type"] != kind:
        seen.append(ws.receive_json())
    return seen


def round_trip(teacher, *others) -> list[list[dict]]:
    """What each socket got before the teacher's harmless `names` (an event to all) reached it, so that what the
    room published earlier is all in."""
    teacher.send_json({"type": "names", "visible": False})
    return [until(ws, "names") for ws in (teacher, *others)]


def test_a_students_socket_can_neither_pause_nor_moderate_nor_change_its_screen(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    student, joined = connect(client, room["code"], private=True)  # private means nothing for a student
    assert joined["role"] == "student" and "private" not in joined
    for message in (
        {"type": "pause", "on": True, "message": "eyes up"},
        {"type": "screen", "private": True},
        {"type": "hide", "id": 1},
        {"type": "approve", "first": False},
        {"type": "approve", "id": 1},
        {"type": "snapshots", "items": [{"id": 1}]},
        {"type": "snapshot", "index": 0},
    ):
        student.send_json(message)
        error = receive(student, "error")
        assert error["code"] == "forbidden" and error["request"] == message["type"], error


def test_a_pause_dims_every_student_and_refuses_their_changes_until_resumed(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    ana, _ = connect(client, code)
    teacher.send_json({"type": "ask", "prompt": "Which digit?", "kind": "digit"})
    receive(ana, "question")
    teacher.send_json({"type": "pause", "on": True, "message": "Look at conv1's kernels"})
    for ws in (teacher, ana):
        assert receive(ws, "paused")["paused"] == {"message": "Look at conv1's kernels"}
    late, joined = connect(client, code)
    assert joined["paused"] == {"message": "Look at conv1's kernels"}
    for message in (
        {"type": "answer", "question": 1, "value": "3"},
        {"type": "submit", "canvas": digit_canvas()},
        {"type": "tag", "id": 1, "tag": 3},
    ):
        ana.send_json(message)
        error = receive(ana, "error")
        assert error["code"] == "paused" and error["request"] == message["type"], error
        assert "paused" in error["message"]
    teacher.send_json({"type": "submit", "canvas": digit_canvas()})  # the teacher is not paused
    assert receive(teacher, "submitted")["submission"]["id"] == 1
    teacher.send_json({"type": "pause", "on": False})
    assert receive(late, "paused")["paused"] is None
    ana.send_json({"type": "answer", "question": 1, "value": "3"})
    assert receive(ana, "answered")["value"] == "3"
    teacher.send_json({"type": "pause", "on": True})
    assert receive(ana, "paused")["paused"]["message"]  # a pause without a message has a default one


def test_the_distribution_reaches_only_the_teachers_private_screen_until_the_reveal(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    projector, joined = connect(client, code, key=room["key"])
    assert joined["private"] is False
    phone, joined = connect(client, code, key=room["key"], private=True)
    assert joined["private"] is True
    students = [connect(client, code)[0] for _ in range(3)]
    phone.send_json({"type": "ask", "prompt": "Which digit?", "kind": "digit"})
    for ws in students:
        receive(ws, "question")
    seen: list[list[dict]] = [[] for _ in students]
    for ws, value, mine in zip(students, "447", seen, strict=True):
        ws.send_json({"type": "answer", "question": 1, "value": value})
        mine += until(ws, "answered")
    phones, projectors, *others = round_trip(phone, projector, *students)
    assert [m for m in phones if m["type"] == "answers"][-1] == {
        "type": "answers",
        "question": 1,
        "counts": {"4": 2, "7": 1},
        "total": 3,
    }
    for got in (projectors, *(mine + more for mine, more in zip(seen, others, strict=True))):
        answers = [m for m in got if m["type"] == "answers"]
        assert answers[-1] == {"type": "answers", "question": 1, "total": 3}  # the count, no more
        assert all("counts" not in m for m in answers)
    _, joined = connect(client, code, key=room["key"])  # a projected screen joining late: the count again
    assert joined["answers"] == {"total": 3}
    _, joined = connect(client, code)
    assert joined["answers"] == {"total": 3}
    _, joined = connect(client, code, key=room["key"], private=True)
    assert joined["answers"] == {"counts": {"4": 2, "7": 1}, "total": 3}
    projector.send_json({"type": "screen", "private": True})  # the projector becomes the teacher's own screen
    assert receive(projector, "joined")["answers"]["counts"] == {"4": 2, "7": 1}
    projector.send_json({"type": "screen", "private": False})
    assert receive(projector, "joined")["answers"] == {"total": 3}
    phone.send_json({"type": "reveal", "answer": "4"})
    for ws in (projector, *students):  # the reveal shows everyone the distribution
        question = receive(ws, "question")["question"]
        assert question["open"] is False and question["counts"] == {"4": 2, "7": 1}


def test_a_hidden_drawing_leaves_the_class_and_comes_back_when_restored(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    projector, _ = connect(client, code, key=room["key"])
    phone, _ = connect(client, code, key=room["key"], private=True)
    ana, _ = connect(client, code, name="Ana")
    bo, _ = connect(client, code, name="Bo")
    for ws in (ana, bo):
        ws.send_json({"type": "submit", "canvas": digit_canvas(), "tag": 1})
        receive(ws, "submitted")
    phone.send_json({"type": "show", "id": 1})
    assert receive(bo, "show")["submission"]["id"] == 1
    phone.send_json({"type": "hide", "id": 1})
    got = {}
    for name, ws in (("projector", projector), ("phone", phone), ("ana", ana), ("bo", bo)):
        got[name] = until(ws, "hidden") + until(ws, "show")
        assert {"type": "hidden", "id": 1, "hidden": True, "visible": False} in got[name]
        assert got[name][-1]["submission"] is None  # the drawing shown to everyone goes too
    after = {name: messages[[m["type"] for m in messages].index("hidden") :] for name, messages in got.items()}
    assert [m["submission"]["hidden"] for m in after["phone"] if m["type"] == "submission"] == [True]  # kept, marked
    later = round_trip(phone, projector)[1]
    assert all(m["type"] != "submission" for m in after["projector"] + later)  # the projector gets nothing of it
    _, joined = connect(client, code, key=room["key"])
    assert [item["id"] for item in joined["gallery"]] == [2]
    _, joined = connect(client, code, key=room["key"], private=True)
    assert [(item["id"], item.get("hidden")) for item in joined["gallery"]] == [(1, True), (2, None)]
    phone.send_json({"type": "show", "id": 1})
    assert receive(phone, "error")["code"] == "impossible"
    phone.send_json({"type": "hide", "id": 1, "hidden": False})  # restored
    assert receive(bo, "hidden") == {"type": "hidden", "id": 1, "hidden": False, "visible": True}
    assert receive(projector, "submission")["submission"]["id"] == 1
    _, joined = connect(client, code, key=room["key"])
    assert [item["id"] for item in joined["gallery"]] == [1, 2]


def test_drawings_wait_for_approval_when_the_teacher_asks(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    code = room["code"]
    projector, _ = connect(client, code, key=room["key"])
    phone, _ = connect(client, code, key=room["key"], private=True)
    ana, _ = connect(client, code)
    phone.send_json({"type": "approve", "first": True})
    assert receive(projector, "approve_first")["on"] is True
    ana.send_json({"type": "submit", "canvas": digit_canvas()})
    assert receive(ana, "submitted")["submission"]["pending"] is True  # the student knows it waits
    assert receive(phone, "submission")["submission"]["pending"] is True
    assert all(m["type"] != "submission" for m in round_trip(phone, projector)[1])
    phone.send_json({"type": "show", "id": 1})
    assert receive(phone, "error")["code"] == "impossible"
    phone.send_json({"type": "approve", "id": 1})
    assert receive(ana, "hidden") == {"type": "hidden", "id": 1, "hidden": False, "visible": True}
    assert receive(projector, "submission")["submission"]["pending"] is False
    phone.send_json({"type": "approve"})
    assert receive(phone, "error")["code"] == "bad_value"
    phone.send_json({"type": "approve", "first": False})
    assert receive(phone, "approve_first")["on"] is False
    ana.send_json({"type": "submit", "canvas": digit_canvas()})
    assert "pending" not in receive(ana, "submitted")["submission"]
    assert receive(projector, "submission")["submission"]["id"] == 2


def test_snapshots_are_shown_one_at_a_time_with_names_hidden_by_default(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"], private=True)
    ana, _ = connect(client, code, name="Ana")
    bo, _ = connect(client, code, name="Bo")
    for ws, kind in ((ana, "one"), (bo, "zero"), (ana, "zero")):
        ws.send_json({"type": "submit", "canvas": digit_canvas(kind)})
        receive(ws, "submitted")
    teacher.send_json({"type": "snapshot", "index": 0})
    assert receive(teacher, "error")["code"] == "impossible"  # nothing picked yet
    teacher.send_json({"type": "snapshots", "items": [{"id": 3, "caption": "a closed loop"}, {"id": 1}]})
    assert receive(teacher, "snapshots")["items"] == [{"id": 3, "caption": "a closed loop"}, {"id": 1, "caption": ""}]
    teacher.send_json({"type": "snapshot", "index": 0})
    for ws in (teacher, ana, bo):
        shown = receive(ws, "snapshot")["snapshot"]
        assert (shown["index"], shown["count"], shown["caption"]) == (0, 2, "a closed loop")
        assert shown["submission"]["id"] == 3 and shown["submission"]["author"] == ""  # names hidden by default
        assert "member" not in shown["submission"] and "name" not in shown["submission"]
    _, joined = connect(client, code)
    assert joined["snapshot"]["submission"]["id"] == 3 and "snapshots" not in joined  # the list is the teacher's
    teacher.send_json({"type": "snapshots", "items": [{"id": 3, "caption": "a closed loop"}, {"id": 1}], "names": True})
    assert receive(bo, "snapshot")["snapshot"]["submission"]["author"] == "Ana"  # shown again, with the name
    teacher.send_json({"type": "snapshot", "index": 1})
    assert receive(bo, "snapshot")["snapshot"]["submission"]["id"] == 1
    teacher.send_json({"type": "snapshot", "index": 2})
    assert receive(teacher, "error")["code"] == "impossible"
    teacher.send_json({"type": "snapshots", "items": [{"id": 2}, {"id": 2}]})
    assert receive(teacher, "error")["code"] == "bad_value"
    teacher.send_json({"type": "hide", "id": 1})  # the drawing on screen is hidden: the snapshot goes
    while (snapshot := receive(ana, "snapshot")["snapshot"]) is not None:
        assert snapshot["submission"]["id"] in (1, 3)  # the ones shown before
    teacher.send_json({"type": "snapshots", "items": [{"id": 1}]})
    assert receive(teacher, "error")["code"] == "impossible"  # a hidden drawing cannot be picked
    _, joined = connect(client, code, key=room["key"])
    assert joined["snapshots"]["names"] is True and joined["snapshot"] is None


def test_the_export_holds_the_questions_answers_distributions_and_snapshots(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"], private=True)
    ana, _ = connect(client, code, name="=HYPERLINK(1)")  # a formula as a name
    bo, _ = connect(client, code, name="Bo")
    teacher.send_json({"type": "ask", "prompt": "-1 + 1 = ?", "kind": "number"})
    for ws, value in ((ana, "0"), (bo, "2")):
        receive(ws, "question")
        ws.send_json({"type": "answer", "question": 1, "value": value})
        receive(ws, "answered")
    teacher.send_json({"type": "reveal", "answer": "0"})
    receive(bo, "question")
    teacher.send_json({"type": "ask", "prompt": "Which pooling?", "kind": "choice", "choices": ["max", "sum"]})
    receive(bo, "question")
    bo.send_json({"type": "answer", "question": 2, "value": "max"})
    receive(bo, "answered")
    for ws in (ana, bo):
        ws.send_json({"type": "submit", "canvas": digit_canvas()})
        receive(ws, "submitted")
    teacher.send_json({"type": "snapshots", "items": [{"id": 2, "caption": "=SUM(A1)"}, {"id": 1}]})
    receive(teacher, "snapshots")
    response = client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": room["key"]})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    questions = json.loads(archive.read("questions.json"))
    assert [(q["id"], q["prompt"], q.get("answer"), q["counts"], q["total"]) for q in questions] == [
        (1, "-1 + 1 = ?", "0", {"0": 1, "2": 1}, 2),
        (2, "Which pooling?", None, {"max": 1}, 1),  # never revealed
    ]
    assert sorted(map(tuple, (a.values() for a in questions[0]["answers"]))) == [("=HYPERLINK(1)", "0"), ("Bo", "2")]
    rows = list(csv.reader(io.StringIO(archive.read("questions.csv").decode())))
    assert rows == [
        ["question", "prompt", "kind", "correct_answer", "value", "count", "correct"],
        ["1", "'-1 + 1 = ?", "number", "0", "0", "1", "True"],  # every text cell neutralised, the prompt too
        ["1", "'-1 + 1 = ?", "number", "0", "2", "1", "False"],
        ["2", "Which pooling?", "choice", "", "max", "1", ""],
    ]
    answers = list(csv.reader(io.StringIO(archive.read("answers.csv").decode())))
    assert sorted(answers[1:]) == [["1", "'=HYPERLINK(1)", "0"], ["1", "Bo", "2"], ["2", "Bo", "max"]]
    snapshots = list(csv.DictReader(io.StringIO(archive.read("snapshots.csv").decode())))
    assert [(s["order"], s["id"], s["caption"], s["author"]) for s in snapshots] == [
        ("1", "2", "'=SUM(A1)", "Bo"),
        ("2", "1", "", "'=HYPERLINK(1)"),
    ]
    assert all(s["file"] in archive.namelist() for s in snapshots)
    assert json.loads(archive.read("snapshots.json"))[0]["caption"] == "=SUM(A1)"
