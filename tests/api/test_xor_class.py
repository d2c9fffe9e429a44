"""XOR across the class through the real app on both backends (SQLite and a real Redis): two students' runs reach
the teacher's screen with the server's verdicts and histogram, a student never reads another's run, and bad runs are
refused with typed errors while the socket stays usable."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from app.rooms.xor_runs import verdict
from app.services.xor import Trainer
from tests.api import test_rooms
from tests.api.test_rooms import open_room, receive

client, connect = test_rooms.client, test_rooms.connect  # the rooms' fixtures: a client on each backend, sockets
STEPS = 3000


def run_of(seed: int) -> dict:
    """The xor_class_run a student's /xor page sends after STEPS steps of seed's run: 200 points of its curve."""
    losses = Trainer("network", STEPS, seed=seed).train(STEPS)
    picked = sorted({round(i * (STEPS - 1) / 199) for i in range(200)})
    return {"type": "xor_class_run", "seed": seed, "lr": 2.0, "points": [[i + 1, losses[i]] for i in picked]}


def test_the_verdict_follows_the_xor_trainer_seed_5_sticks_at_a_sixth_seed_0_solves() -> None:
    stuck, solved = run_of(5), run_of(0)
    assert verdict([tuple(p) for p in stuck["points"]], 2.0) == "stuck"
    assert abs(stuck["points"][-1][1] - 1 / 6) < 0.01
    assert verdict([tuple(p) for p in solved["points"]], 2.0) == "solved"
    assert verdict([(0, 0.26), (10, 0.25)], 2.0) == "learning"  # the saddle at the start is no plateau yet


def test_two_students_runs_reach_the_teacher_and_no_other_student(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    ana, _ = connect(client, code, name="Ana")
    ben, _ = connect(client, code, name="Ben")
    ana.send_json(run_of(5))
    assert receive(ana, "xor_run_kept")["verdict"] == "stuck"
    ben.send_json(run_of(0))
    assert receive(ben, "xor_run_kept")["verdict"] == "solved"
    runs = {}
    while len(runs) < 2:
        event = receive(teacher, "xor_run")
        runs[event["run"]["seed"]] = event["run"]
    assert runs[5]["verdict"] == "stuck" and runs[0]["verdict"] == "solved"
    assert runs[5]["author"] == "" and len(runs[5]["points"]) == 200  # names hidden unless the teacher shows them
    assert runs[5]["id"] != runs[0]["id"]
    _, joined = connect(client, code, key=room["key"])
    histogram = joined["xor_runs"]["histogram"]
    assert sum(histogram["counts"]) == 2 and histogram["counts"][0] == 1 and histogram["counts"][8] == 1
    assert {run["seed"] for run in joined["xor_runs"]["runs"]} == {0, 5}
    ana.send_json(run_of(1))  # her latest run wins
    assert receive(ana, "xor_run_kept")["verdict"] == "solved"
    _, joined = connect(client, code, key=room["key"])
    assert {run["seed"] for run in joined["xor_runs"]["runs"]} == {0, 1}
    # A student hears only her own verdicts: no run of another reaches her, nor any in her joined message.
    teacher.send_json({"type": "names", "visible": True})
    for ws in (ana, ben):
        seen = [ws.receive_json()]
        while seen[-1]["type"] != "names":
            seen.append(ws.receive_json())
        assert not [message for message in seen if message["type"] in ("xor_run", "xor_histogram")], seen
    _, joined = connect(client, code)
    assert "xor_runs" not in joined


def test_bad_runs_are_refused_with_typed_errors_and_the_socket_stays(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    teacher, _ = connect(client, room["code"], key=room["key"])
    ana, _ = connect(client, room["code"])
    good = run_of(0)
    for bad, code in (
        ({**good, "points": [[1, 0.2]] * 2}, "bad_value"),  # steps must increase
        ({**good, "points": [[1, 1.5]]}, "bad_message"),  # a loss over 1
        ({**good, "points": [[i, 0.2] for i in range(201)]}, "bad_message"),  # over 200 points
        ({**good, "points": []}, "bad_message"),
        ({**good, "seed": -1}, "bad_message"),
        ({**good, "lr": 0}, "bad_message"),
    ):
        ana.send_json(bad)
        error = receive(ana, "error")
        assert error["code"] == code and error["request"] == "xor_class_run" and error["message"], (bad, error)
    ana.send_text('{"type": "xor_class_run", "seed": 1, "lr": 2, "points": [[1, NaN]]}')
    assert receive(ana, "error")["code"] == "bad_value"
    teacher.send_json(good)
    assert receive(teacher, "error")["code"] == "forbidden"
    teacher.send_json({"type": "pause", "on": True})
    receive(ana, "paused")
    ana.send_json(good)
    assert receive(ana, "error")["code"] == "paused"
    teacher.send_json({"type": "pause", "on": False})
    receive(ana, "paused")
    ana.send_json(good)
    assert receive(ana, "xor_run_kept")["verdict"] == "solved"


def test_the_teacher_shows_everyone_a_stuck_run_beside_a_solved_one(
    client: TestClient, connect: Callable[..., tuple]
) -> None:
    room = open_room(client)
    code = room["code"]
    teacher, _ = connect(client, code, key=room["key"])
    ana, _ = connect(client, code, name="Ana")
    ben, _ = connect(client, code, name="Ben")
    ana.send_json(run_of(5))
    ben.send_json(run_of(0))
    ids = {}
    while len(ids) < 2:
        run = receive(teacher, "xor_run")["run"]
        ids[run["verdict"]] = run["id"]
    ben.send_json({"type": "xor_compare", "ids": [ids["stuck"]]})
    assert receive(ben, "error")["code"] == "forbidden"
    teacher.send_json({"type": "xor_compare", "ids": [ids["stuck"], ids["solved"]]})
    for ws in (teacher, ana, ben):
        shown = receive(ws, "xor_compare")["compare"]["runs"]
        assert [run["verdict"] for run in shown] == ["stuck", "solved"] and shown[0]["seed"] == 5
        assert shown[0]["author"] == "" and len(shown[0]["points"]) == 200  # names hidden unless shown
    _, joined = connect(client, code)
    assert [run["seed"] for run in joined["xor_compare"]["runs"]] == [5, 0]
    for ids_sent, code_expected in (
        (["0123456789"], "impossible"),  # no such run
        ([ids["stuck"], ids["stuck"]], "impossible"),
        (["not-a-run"], "bad_message"),
        ([ids["stuck"]] * 5, "bad_message"),  # over 4
    ):
        teacher.send_json({"type": "xor_compare", "ids": ids_sent})
        error = receive(teacher, "error")
        assert error["code"] == code_expected and error["message"], (ids_sent, error)
    teacher.send_json({"type": "xor_compare", "ids": []})
    assert receive(ana, "xor_compare")["compare"] is None
