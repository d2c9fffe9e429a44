"""Classroom rooms through the real app, on both backends (this process's memory and a real Redis): opening and
looking up rooms, permissions, follow mode, questions, the gallery and its export, expiry and reconnects."""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.services.images import decode_image
from app.settings import Settings
from app.wire.protocol import PROTOCOL_VERSION


def make_client(redis_url: str, **overrides) -> TestClient:
    return TestClient(create_app(Settings(redis_url=redis_url, **overrides)))


@pytest.fixture
def client(room_backend: str) -> Iterator[TestClient]:
    with make_client(room_backend) as test_client:
        yield test_client


def open_room(client: TestClient) -> dict:
    response = client.post("/api/rooms")
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def connect() -> Iterator[Callable[..., tuple]]:
    """connect(client, code, **join): a websocket joined to the room (teacher with key=..., student otherwise)
    and its joined message (or error); every socket is closed at the test's end, before its app stops."""
    with ExitStack() as stack:

        def join(client: TestClient, code: str, **fields) -> tuple:
            ws = stack.enter_context(client.websocket_connect("/ws/room"))
            ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
            assert ws.receive_json()["type"] == "welcome"
            ws.send_json({"type": "join", "code": code, **fields})
            return ws, receive(ws, "joined", "error")

        yield join


def receive(ws, *types: str) -> dict:
    """The next message of one of these types (other events, e.g. student counts, may come first)."""
    for _ in range(50):
        message = ws.receive_json()
        if message["type"] in types:
            return message
    raise AssertionError(f"no {types} message")


def digit_canvas(kind: str = "one") -> list[list[int]]:
    """A 140×140 ink canvas with a digit-like stroke: a vertical bar ("one") or a ring ("zero")."""
    canvas = np.zeros((140, 140))
    if kind == "one":
        canvas[25:115, 64:76] = 255
    else:
        y, x = np.mgrid[:140, :140]
        radius = np.hypot((y - 70) / 45, (x - 70) / 30)
        canvas[(radius > 0.8) & (radius < 1.1)] = 255
    return canvas.astype(int).tolist()


def test_opening_a_room_gives_a_code_links_and_a_qr_code(client: TestClient) -> None:
    room = open_room(client)
    code, key = room["code"], room["key"]
    assert len(code) == 6 and len(key) >= 32
    assert room["join_url"] == f"http://testserver/join/{code}"
    assert room["teacher_url"] == f"http://testserver/classroom?room={code}#key={key}"  # the key stays in the fragment
    info = client.get(f"/api/rooms/{code.lower()}").json()
    assert info == {"code": code, "join_url": room["join_url"], "students": 0}
    assert key not in json.dumps(info)
    qr = client.get(room["qr_url"])
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<svg") and "<path" in qr.text
    page = client.get(f"/join/{code.lower()}")
    assert page.status_code == 200 and code in page.text


def test_the_qr_code_holds_the_join_link() -> None:
    import segno

    with TestClient(create_app(Settings(public_url="https://lab.example.edu/"))) as client:
        room = open_room(client)
        assert room["join_url"] == f"https://lab.example.edu/join/{room['code']}"
        expected = io.BytesIO()
        segno.make(room["join_url"], error="m").save(
            expected, kind="svg", xmldecl=False, scale=8, border=2, dark="#000", light="#fff"
        )
        svg = client.get(room["qr_url"]).text
        assert svg == expected.getvalue().decode() and 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_wrong_codes_get_a_clear_answer(client: TestClient, connect: Callable[..., tuple]) -> None:
    for code in ("ZZZZZZ", "hello!", ""):
        response = client.get(f"/api/rooms/{code}") if code else client.get("/api/rooms/%20")
        assert response.status_code == 404
        assert response.json()["code"] == "room_not_found"
        assert "check the code" in response.json()["message"]
    ws, error = connect(client, "ZZZZZZ")
    assert error["code"] == "room_not_found" and "ZZZZZZ" in error["message"]


def test_follow_mode_mirrors_the_teachers_view_live_and_for_latecomers(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    teacher, joined = connect(client, room["code"], key=room["key"])
    assert joined["role"] == "teacher" and joined["gallery"] == [] and joined["view"] is None
    student, joined = connect(client, room["code"].lower(), name="Ada")
    assert joined["role"] == "student" and joined["students"] == 1 and "gallery" not in joined
    assert receive(teacher, "students")["count"] == 1
    view = {"type": "view", "page": "/conv", "query": "?k=3&s=2", "anchor": "", "state": {"step": 4}}
    teacher.send_json(view)
    seen = receive(student, "view")
    assert {k: seen[k] for k in ("page", "query", "anchor", "state")} == {
        k: view[k] for k in ("page", "query", "anchor", "state")
    }
    latecomer, joined = connect(client, room["code"])
    assert joined["view"]["state"] == {"step": 4} and joined["view"]["page"] == "/conv"
    assert joined["students"] == 2


def test_only_the_teacher_drives_the_room(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    student, _ = connect(client, room["code"])
    for message in (
        {"type": "view", "page": "/conv", "query": "", "state": {}},
        {"type": "ask", "prompt": "which digit?"},
        {"type": "reveal"},
        {"type": "dismiss"},
        {"type": "show", "id": 1},
        {"type": "names", "visible": True},
        {"type": "end"},
    ):
        student.send_json(message)
        error = receive(student, "error")
        assert error["code"] == "forbidden" and error["request"] == message["type"], error
    outsider, error = connect(client, room["code"], key="not-the-key-" + "x" * 20)
    assert error["code"] == "forbidden" and "teacher link" in error["message"]
    assert client.get(f"/api/rooms/{room['code']}/export.zip").status_code == 403
    response = client.get(f"/api/rooms/{room['code']}/export.zip", headers={"X-Teacher-Key": room["key"][:-1] + "?"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # the room still works for everyone after all that
    student.send_json({"type": "submit", "canvas": digit_canvas()})
    assert receive(student, "submitted")["submission"]["id"] == 1


def test_messages_before_joining_say_to_join_first(client: TestClient) -> None:
    with client.websocket_connect("/ws/room") as ws:
        ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        ws.receive_json()
        ws.send_json({"type": "answer", "question": 1, "value": "3"})
        assert receive(ws, "error")["code"] == "not_joined"


def test_questions_collect_answers_and_reveal_the_distribution(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    teacher, _ = connect(client, room["code"], key=room["key"], private=True)  # the teacher's phone
    students = [connect(client, room["code"])[0] for _ in range(3)]
    teacher.send_json({"type": "ask", "prompt": "What number lands in this output cell?", "kind": "number"})
    question = receive(students[0], "question")["question"]
    assert question == {
        "id": 1,
        "prompt": "What number lands in this output cell?",
        "kind": "number",
        "choices": [],
        "open": True,
    }
    for ws, value in zip(students, ["4", "4.0", "-2.5"], strict=True):
        ws.send_json({"type": "answer", "question": 1, "value": value})
        assert receive(ws, "answered")["value"] in ("4", "-2.5")
    students[2].send_json({"type": "answer", "question": 1, "value": "4"})  # changes their mind
    receive(students[2], "answered")
    students[0].send_json({"type": "answer", "question": 1, "value": "four"})
    assert receive(students[0], "error")["code"] == "bad_value"
    counts = None
    for _ in range(20):
        counts = receive(teacher, "answers")
        if counts["total"] == 3 and counts["counts"] == {"4": 3}:
            break
    assert counts["counts"] == {"4": 3} and counts["total"] == 3
    teacher.send_json({"type": "reveal", "answer": "4"})
    revealed = receive(students[1], "question")
    while revealed["question"]["open"]:
        revealed = receive(students[1], "question")
    assert revealed["question"]["answer"] == "4" and revealed["question"]["counts"] == {"4": 3}
    students[1].send_json({"type": "answer", "question": 1, "value": "5"})
    assert receive(students[1], "error")["code"] == "impossible"  # answering closed with the reveal
    teacher.send_json({"type": "ask", "prompt": "Pooling keeps the…", "kind": "choice", "choices": ["max", "sum"]})
    while receive(students[0], "question")["question"]["id"] != 2:
        pass
    students[0].send_json({"type": "answer", "question": 2, "value": "mean"})
    assert receive(students[0], "error")["code"] == "bad_value"
    teacher.send_json({"type": "ask", "prompt": "?", "kind": "choice", "choices": ["only one"]})
    assert receive(teacher, "error")["code"] == "bad_value"
    teacher.send_json({"type": "dismiss"})
    while receive(students[0], "question")["question"] is not None:
        pass


def test_the_gallery_predicts_tags_shows_and_exports(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    ada, _ = connect(client, code, name="Ada")
    bob, _ = connect(client, code)
    ada.send_json({"type": "submit", "canvas": digit_canvas("one"), "tag": 1})
    mine = receive(ada, "submitted")["submission"]
    expected = client.post(
        "/api/predict",
        content=json.dumps({"image": pixels(mine).tolist()}),
        headers={"content-type": "application/json"},
    ).json()
    assert mine["prediction"] == expected["prediction"] == 1
    assert mine["confidence"] == pytest.approx(max(expected["probabilities"]), abs=1e-4)
    event = receive(teacher, "submission")["submission"]
    assert event["id"] == 1 and event["author"] == "Ada" and event["prediction"] == 1 and event["tag"] == 1
    assert "member" not in event
    bob.send_json({"type": "submit", "canvas": digit_canvas("zero")})
    bobs = receive(bob, "submitted")["submission"]
    assert bobs["id"] == 2
    bob.send_json({"type": "tag", "id": 1, "tag": 7})  # not Bob's drawing
    assert receive(bob, "error")["code"] == "impossible"
    bob.send_json({"type": "tag", "id": 2, "tag": 0})
    assert receive(bob, "submitted")["submission"]["tag"] == 0
    bob.send_json({"type": "submit", "canvas": [[0] * 10] * 10})
    assert "nothing is drawn" in receive(bob, "error")["message"]

    teacher.send_json({"type": "show", "id": 1})
    shown = receive(bob, "show")["submission"]
    assert shown["id"] == 1 and shown["author"] == "" and shown["pixels"] == mine["pixels"]  # names hidden by default
    teacher.send_json({"type": "names", "visible": True})
    assert receive(bob, "names")["visible"] is True
    teacher.send_json({"type": "show", "id": 1})
    assert receive(bob, "show")["submission"]["author"] == "Ada"
    teacher.send_json({"type": "show", "id": 99})
    assert receive(teacher, "error")["code"] == "impossible"

    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": room["key"]}).content)
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("submissions.csv").decode())))
    assert [(row["id"], row["author"], row["tag"], row["prediction"]) for row in rows] == [
        ("1", "Ada", "1", "1"),
        ("2", "", "0", str(bobs["prediction"])),
    ]
    assert float(rows[0]["confidence"]) == mine["confidence"]
    assert sum(float(rows[0][f"p{d}"]) for d in range(10)) == pytest.approx(1, abs=1e-3)
    image = decode_image(archive.read(rows[0]["file"]), 10**6, 28)
    assert np.array_equal(image.reshape(28, 28), pixels(mine, scale=255))


def pixels(submission: dict, scale: float = 1 / 255) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(submission["pixels"]), np.uint8).reshape(28, 28)
    return raw if scale == 255 else raw * scale


def test_a_teachers_reconnect_restores_control_and_the_gallery(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    teacher, _ = connect(client, room["code"], key=room["key"])
    student, joined = connect(client, room["code"])
    member = joined["member"]
    student.send_json({"type": "submit", "canvas": digit_canvas(), "tag": 1})
    receive(student, "submitted")
    teacher.close()
    teacher, joined = connect(client, room["code"], key=room["key"])
    assert joined["role"] == "teacher" and [item["id"] for item in joined["gallery"]] == [1]
    teacher.send_json({"type": "view", "page": "/lenet", "query": "", "state": {}})
    assert receive(student, "view")["page"] == "/lenet"
    student, joined = connect(client, room["code"], member=member)  # the same tab after a reload
    assert joined["member"] == member and [item["id"] for item in joined["mine"]] == [1]


def test_ending_a_room_tells_everyone_and_the_code_then_says_expired(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    teacher, _ = connect(client, room["code"], key=room["key"])
    student, _ = connect(client, room["code"])
    teacher.send_json({"type": "end"})
    assert "ended" in receive(student, "ended")["message"]
    response = client.get(f"/api/rooms/{room['code']}")
    assert response.status_code == 404 and response.json()["code"] == "room_expired"
    late, error = connect(client, room["code"])
    assert error["code"] == "room_expired" and "new code" in error["message"]


def test_idle_rooms_expire(room_backend: str) -> None:
    with make_client(room_backend, room_idle_minutes=1.5 / 60) as client:
        room = open_room(client)
        assert client.get(f"/api/rooms/{room['code']}").status_code == 200
        time.sleep(2.6)
        response = client.get(f"/api/rooms/{room['code']}")
        assert response.status_code == 404 and response.json()["code"] == "room_expired"


def test_the_room_cap_is_kept(room_backend: str) -> None:
    with make_client(room_backend, max_rooms=1) as client:
        if room_backend:
            client.app.state.rooms.redis  # noqa: B018 - the Redis store counts rooms across processes
        before = client.post("/api/rooms")
        if before.status_code == 201:
            refused = client.post("/api/rooms")
            assert refused.status_code == 503 and refused.json()["code"] == "too_many_rooms"
        else:
            assert before.json()["code"] == "too_many_rooms"  # other tests' rooms on the shared Redis count too


def test_the_teacher_key_never_reaches_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture, connect: Callable[..., tuple]
) -> None:
    caplog.set_level(logging.DEBUG)
    room = open_room(client)
    teacher, _ = connect(client, room["code"], key=room["key"])
    wrong, _ = connect(client, room["code"], key=room["key"][::-1])
    client.get(f"/api/rooms/{room['code']}/export.zip", headers={"X-Teacher-Key": room["key"]})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ws_open" in logged  # the log did record the connections
    assert room["key"] not in logged and room["key"][::-1] not in logged


@pytest.fixture
def two_processes(redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on one Redis, as two server processes (or machines) would be."""
    with make_client(redis_url) as first, make_client(redis_url) as second:
        yield first, second


def test_two_server_processes_share_rooms_through_redis(
    two_processes: tuple[TestClient, TestClient], connect: Callable[..., tuple]
) -> None:
    first, second = two_processes
    room = open_room(first)
    teacher, _ = connect(first, room["code"], key=room["key"])
    student, joined = connect(second, room["code"])
    assert joined["role"] == "student"
    teacher.send_json({"type": "view", "page": "/xor", "query": "?lr=2", "anchor": "#derivation", "state": {}})
    seen = receive(student, "view")
    assert (seen["page"], seen["query"], seen["anchor"]) == ("/xor", "?lr=2", "#derivation")
    student.send_json({"type": "submit", "canvas": digit_canvas(), "tag": 1})
    receive(student, "submitted")
    assert receive(teacher, "submission")["submission"]["prediction"] == 1
    assert second.get(f"/api/rooms/{room['code']}").json()["students"] == 1


def test_one_address_cannot_open_rooms_without_end(room_backend: str) -> None:
    with make_client(room_backend, room_opens_per_hour=3) as client:
        answers = [client.post("/api/rooms") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
        assert answers[-1].json()["code"] == "too_many_rooms" and "hour" in answers[-1].json()["message"]


def test_names_are_normalised_unique_and_never_invisible(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    first, joined = connect(client, code, name="  Ａｎａ  ")  # full-width letters are the same name
    assert joined["name"] == "Ana"
    member = joined["member"]
    second, joined = connect(client, code, name="ana")
    assert joined["name"] == "ana (2)"
    third, joined = connect(client, code, name="Ana")
    assert joined["name"] == "Ana (3)"
    first.close()
    _, joined = connect(client, code, name="Ana", member=member)
    assert joined["name"] == "Ana"  # a member keeps its name when it rejoins (and nobody takes it meanwhile)
    for hidden in ("An\u202ea", "A\u200bna", "Ana\u2066", "\u3164", "Ana\u0007", "<b>Ana</b>"):
        _, error = connect(client, code, name=hidden)
        assert error["type"] == "error" and error["code"] == "bad_value", error
        assert "name" in error["message"] and "character" in error["message"]
    third.send_json({"type": "submit", "canvas": digit_canvas("one")})
    assert receive(teacher, "submission")["submission"]["author"] == "Ana (3)"


def test_the_csv_shows_formula_like_names_as_text(client: TestClient, connect: Callable[..., tuple]) -> None:
    room = open_room(client)
    names = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "Ada"]
    for name in names:
        student, _ = connect(client, room["code"], name=name)
        student.send_json({"type": "submit", "canvas": digit_canvas("one")})
        receive(student, "submitted")
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{room['code']}/export.zip", headers={"X-Teacher-Key": room["key"]}).content)
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("submissions.csv").decode())))
    assert [row["author"] for row in rows] == ["'" + name for name in names[:4]] + ["Ada"]
    assert all(float(row["p1"]) >= 0 for row in rows)  # numbers stay numbers


@pytest.fixture
def app_with(room_backend: str) -> Iterator[Callable[..., TestClient]]:
    """app_with(**settings): a client of an app with these settings on the test's backend, stopped at the test's end
    (after the sockets `connect` opened, when asked for before `connect`)."""
    with ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(make_client(room_backend, **overrides))


def vote_total(teacher) -> int:
    """The teacher's latest answer count, once the answers stop coming."""
    total = receive(teacher, "answers")["total"]
    teacher.send_json({"type": "names", "visible": False})  # a round trip: every earlier answers event is in
    while (message := receive(teacher, "answers", "names"))["type"] == "answers":
        total = message["total"]
    return total


def test_a_tab_stays_one_member_and_votes_once_however_many_sockets_it_opens(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    first, joined = connect(client, code)
    member = joined["member"]
    teacher.send_json({"type": "ask", "prompt": "Which digit?", "kind": "digit"})
    receive(first, "question")
    sockets = [first] + [connect(client, code, member=member)[0] for _ in range(4)]  # the same tab, reconnecting
    for ws, value in zip(sockets, "12345", strict=True):
        ws.send_json({"type": "answer", "question": 1, "value": value})
        assert receive(ws, "answered")["value"] == value
    assert vote_total(teacher) == 1  # one member, one vote: the last one
    forged, joined = connect(client, code, member="m" + "0" * 24)  # an id this room never issued
    assert joined["type"] == "joined" and joined["member"] not in ("m" + "0" * 24, member)
    assert joined["mine"] == [] and joined["answered"] is None


def test_one_address_cannot_mint_members_to_vote_many_times(
    app_with: Callable[..., TestClient], connect: Callable[..., tuple]
) -> None:
    client = app_with(room_joins_per_minute=3)
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    teacher.send_json({"type": "ask", "prompt": "Which digit?", "kind": "digit"})
    joins = [connect(client, code) for _ in range(25)]
    members = [(ws, joined) for ws, joined in joins if joined["type"] == "joined"]
    refused = [joined for _, joined in joins if joined["type"] == "error"]
    assert len(members) == 3 and len(refused) == 22
    assert {error["code"] for error in refused} == {"too_many_attempts"}
    assert re.search(r"try again in \d+ s", refused[0]["message"])
    for ws, _ in members:
        ws.send_json({"type": "answer", "question": 1, "value": "7"})
        receive(ws, "answered")
    for ws, _ in joins[len(members) :]:
        ws.send_json({"type": "answer", "question": 1, "value": "7"})
        assert receive(ws, "error")["code"] == "not_joined"
    assert vote_total(teacher) == 3
    # members the room issued still rejoin, and the teacher still gets in
    _, joined = connect(client, code, member=members[0][1]["member"])
    assert joined["type"] == "joined" and joined["answered"] == "7"
    assert connect(client, code, key=room["key"])[1]["role"] == "teacher"


def test_drawings_are_capped_per_member_and_per_address(
    app_with: Callable[..., TestClient], connect: Callable[..., tuple]
) -> None:
    client = app_with(room_max_drawings_per_member=2, room_max_drawings_per_address=3)
    room = open_room(client)
    ada, joined = connect(client, room["code"])
    ada.send_json({"type": "submit", "canvas": digit_canvas()})
    receive(ada, "submitted")
    ada.send_json({"type": "submit", "canvas": [[0] * 10] * 10})
    assert "nothing is drawn" in receive(ada, "error")["message"]
    ada.send_json({"type": "submit", "canvas": digit_canvas()})
    receive(ada, "submitted")  # the empty drawing did not count
    ada.send_json({"type": "submit", "canvas": digit_canvas()})
    error = receive(ada, "error")
    assert error["code"] == "too_many_drawings" and "you have sent 2 drawings" in error["message"]
    _, joined = connect(client, room["code"], member=joined["member"])  # a new socket of the same tab
    bob, _ = connect(client, room["code"])
    bob.send_json({"type": "submit", "canvas": digit_canvas()})
    receive(bob, "submitted")
    bob.send_json({"type": "submit", "canvas": digit_canvas()})
    error = receive(bob, "error")
    assert error["code"] == "too_many_drawings" and "your address has sent 3" in error["message"]
    assert client.app.state.rooms is not None
    gallery = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{room['code']}/export.zip", headers={"X-Teacher-Key": room["key"]}).content)
    )
    assert len([name for name in gallery.namelist() if name.endswith(".png")]) == 3


def test_the_teacher_removes_a_students_drawings_from_every_screen_and_the_export(
    app_with: Callable[..., TestClient], connect: Callable[..., tuple]
) -> None:
    client = app_with(room_max_submissions=4)
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    spammer, joined = connect(client, code, name="Spam")
    spam_member = joined["member"]
    ada, _ = connect(client, code, name="Ada")
    for ws in (spammer, spammer, ada, spammer):
        ws.send_json({"type": "submit", "canvas": digit_canvas()})
        receive(ws, "submitted")
    spammer.send_json({"type": "submit", "canvas": digit_canvas()})
    assert receive(spammer, "error")["code"] == "room_full"
    teacher.send_json({"type": "show", "id": 2})
    assert receive(ada, "show")["submission"]["id"] == 2
    ada.send_json({"type": "remove", "id": 1})
    assert receive(ada, "error")["code"] == "forbidden"
    teacher.send_json({"type": "remove", "id": 2})  # every drawing of the student who sent drawing 2
    for ws in (teacher, ada, spammer):
        assert receive(ws, "removed")["ids"] == [1, 2, 4]
        assert receive(ws, "show")["submission"] is None
    teacher.send_json({"type": "remove", "id": 1})
    assert receive(teacher, "error")["code"] == "impossible"
    teacher.send_json({"type": "show", "id": 4})
    assert receive(teacher, "error")["code"] == "impossible"
    spammer.send_json({"type": "tag", "id": 1, "tag": 3})
    assert receive(spammer, "error")["code"] == "impossible"
    _, joined = connect(client, code, key=room["key"])
    assert [item["id"] for item in joined["gallery"]] == [3] and joined["shown"] is None
    _, joined = connect(client, code, member=spam_member)
    assert joined["mine"] == []
    ada.send_json({"type": "submit", "canvas": digit_canvas()})  # the gallery has room again
    assert receive(ada, "submitted")["submission"]["id"] == 5
    ada.send_json({"type": "remove", "id": 5})
    assert receive(ada, "error")["code"] == "forbidden"
    teacher.send_json({"type": "remove", "id": 5, "all": False})  # this drawing only
    assert receive(ada, "removed")["ids"] == [5]
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": room["key"]}).content)
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("submissions.csv").decode())))
    assert [(row["id"], row["author"]) for row in rows] == [("3", "Ada")]
    assert [name for name in archive.namelist() if name.endswith(".png")] == [rows[0]["file"]]


def test_wrong_codes_are_throttled_per_address_on_rest_and_websocket_alike(
    app_with: Callable[..., TestClient], connect: Callable[..., tuple]
) -> None:
    client = app_with(room_wrong_codes_per_minute=4)
    room = open_room(client)
    code = room["code"]
    ada, joined = connect(client, code)
    member = joined["member"]
    assert client.get("/api/rooms/ZZZZZZ").status_code == 404
    assert connect(client, "ZZZZZY")[1]["code"] == "room_not_found"
    assert client.get("/api/rooms/ZZZZZX/qr.svg").status_code == 404
    assert connect(client, code, key="not-the-key")[1]["code"] == "forbidden"  # a wrong teacher key counts too
    for path in ("/api/rooms/ZZZZZW", f"/api/rooms/{code}", f"/api/rooms/{code}/qr.svg"):
        response = client.get(path)  # right or wrong, the address must wait now
        assert response.status_code == 429, path
        body = response.json()
        assert body["code"] == "too_many_attempts" and re.search(r"try again in \d+ s", body["message"])
        assert 1 <= int(response.headers["Retry-After"]) <= 15
    for fields in ({}, {"member": "m" + "1" * 24}, {"key": "not-the-key"}):
        _, error = connect(client, code, **fields)
        assert error["code"] == "too_many_attempts" and "try again in" in error["message"], fields
    # what holds a secret of the room still gets in: the teacher's key, a member id the room issued
    assert connect(client, code, key=room["key"])[1]["role"] == "teacher"
    assert connect(client, code, member=member)[1]["member"] == member
    export = client.get(f"/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": room["key"]})
    assert export.status_code == 200
    assert client.get(f"/api/rooms/{code}/export.zip").status_code == 429


def test_wrong_codes_may_be_tried_again_once_the_address_has_waited(app_with: Callable[..., TestClient]) -> None:
    client = app_with(room_wrong_codes_per_minute=60)
    limits = client.app.state.room_limits
    answers = [client.get("/api/rooms/ZZZZZZ").status_code for _ in range(61)]
    assert answers == [404] * 60 + [429]
    stamp = limits.failures.buckets["testclient"][1]
    limits.failures.buckets["testclient"] = (0.0, stamp - 1.5)  # as if 1.5 s had passed: one more try
    assert [client.get("/api/rooms/ZZZZZZ").status_code for _ in range(2)] == [404, 429]


def test_drawings_sent_at_once_from_many_sockets_cannot_pass_a_cap_together(
    app_with: Callable[..., TestClient], connect: Callable[..., tuple]
) -> None:
    client = app_with(room_max_drawings_per_member=3)
    room = open_room(client)
    first, joined = connect(client, room["code"])
    sockets = [first] + [connect(client, room["code"], member=joined["member"])[0] for _ in range(7)]
    for ws in sockets:  # all sent before any is answered: every one passes the check made before LeNet reads it
        ws.send_json({"type": "submit", "canvas": digit_canvas()})
    answers = [receive(ws, "submitted", "error") for ws in sockets]
    accepted = [answer for answer in answers if answer["type"] == "submitted"]
    assert 1 <= len(accepted) <= 3
    assert {answer["code"] for answer in answers if answer["type"] == "error"} == {"too_many_drawings"}
    for _ in range(3 - len(accepted)):  # a claim refused at once was given back: the member may still send the rest
        first.send_json({"type": "submit", "canvas": digit_canvas()})
        receive(first, "submitted")
    first.send_json({"type": "submit", "canvas": digit_canvas()})
    assert receive(first, "error")["code"] == "too_many_drawings"
    archive = client.get(f"/api/rooms/{room['code']}/export.zip", headers={"X-Teacher-Key": room["key"]}).content
    assert len([name for name in zipfile.ZipFile(io.BytesIO(archive)).namelist() if name.endswith(".png")]) == 3
