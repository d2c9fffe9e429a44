"""A room's gallery as a zip: one PNG per drawing (the 28×28 image LeNet read, ink white on black as in MNIST)
and submissions.csv with what the network answered and what the student meant; with the class's record (`record`):
the questions asked with every answer and their distribution, the teacher's snapshots, the last class steps' numbers
and the students' XOR runs, as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

from app.models.lenet import CLASSES
from app.rooms import class_step as class_steps
from app.rooms import xor_runs
from app.rooms.pixels import drawing
from app.rooms.session import NAMES, counts
from app.rooms.store import RoomStore
from app.services.images import encode_png
from app.services.lenet import PARAMETER_LAYERS

COLUMNS = [
    "id",
    "file",
    "submitted_at",
    "author",
    "tag",
    "prediction",
    "confidence",
    *(f"p{digit}" for digit in range(CLASSES)),
]


XOR_NUMBERS = ("seed", "lr", "steps", "final", "verdict", "at", "points")  # a run as the export keeps it
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting like a formula gets a leading single quote, as
    OWASP's "CSV injection" advises, so a name such as =HYPERLINK(...) is never evaluated; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def file_name(submission: dict) -> str:
    return f"drawings/{submission['id']:04d}-read-as-{submission['prediction']}.png"


def csv_text(header: list[str], rows: list[list]) -> str:
    """A CSV table with every text cell neutralised for spreadsheets (`cell`)."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return table.getvalue()


async def class_record(store: RoomStore, code: str, room: dict) -> dict:
    """What the class did besides drawing, for the export: each question asked (its prompt, kind, choices, the
    correct answer when the teacher gave one at the reveal) with every member's last answer under the name they
    gave, and its distribution; the teacher's snapshots in order with their captions; the last class steps' numbers;
    each student's last XOR run under the name she gave."""
    names = await store.answers(code, NAMES)
    questions = []
    for asked in room.get("questions", []):
        answers = await store.answers(code, asked["id"])
        given = [{"author": names.get(member, ""), "value": value} for member, value in answers.items()]
        questions.append({**asked, "answers": given, **counts(answers)})
    snapshots = room.get("snapshots", {"items": [], "names": False})
    runs = [
        {"run": xor_runs.run_id(member), "author": run["name"], **{key: run[key] for key in XOR_NUMBERS}}
        for member, run in (await xor_runs.runs(store, code)).items()
    ]
    return {
        "questions": questions,
        "snapshots": snapshots["items"],
        "class_steps": await class_steps.history(store, code),
        "xor_runs": runs,
    }


def when(at: float) -> str:
    """A time stamp as the export writes it: ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def step_files(steps: list[dict]) -> dict[str, str]:
    """The last class steps' numbers: class_steps.json (as kept), class_steps.csv (a row per step: its losses, the
    mean gradient's norm and how far each layer moved) and class_step_drawings.csv (a row per drawing of each)."""
    rows = [
        [
            step["step"],
            when(step["at"]),
            step["mode"],
            step["lr"],
            len(step["per_submission"]),
            step["loss_before"],
            step["loss_after"],
            *(step["mean_grad_norm"][layer] for layer in PARAMETER_LAYERS),
            *(step["moved"][layer]["relative"] for layer in PARAMETER_LAYERS),
        ]
        for step in steps
    ]
    header = [
        *("step", "at", "mode", "lr", "drawings", "loss_before", "loss_after"),
        *(f"mean_grad_norm_{layer}" for layer in PARAMETER_LAYERS),
        *(f"moved_relative_{layer}" for layer in PARAMETER_LAYERS),
    ]
    drawings = [
        [step["step"], *(row[key] for key in class_steps.ROW_NUMBERS)]
        for step in steps
        for row in step["per_submission"]
    ]
    return {
        "class_steps.json": json.dumps(steps, indent=2),
        "class_steps.csv": csv_text(header, rows),
        "class_step_drawings.csv": csv_text(["step", *class_steps.ROW_NUMBERS], drawings),
    }


def xor_files(runs: list[dict]) -> dict[str, str]:
    """The class's XOR runs: xor_runs.json (with their curves) and xor_runs.csv (seed, final loss, verdict)."""
    header = ["run", "author", "seed", "lr", "steps", "final_loss", "verdict", "at"]
    rows = [
        [run["run"], run["author"], run["seed"], run["lr"], run["steps"], run["final"], run["verdict"], when(run["at"])]
        for run in runs
    ]
    return {"xor_runs.json": json.dumps(runs, indent=2, ensure_ascii=False), "xor_runs.csv": csv_text(header, rows)}


def record_files(record: dict, gallery: list[dict]) -> dict[str, str]:
    """The class's record as files of the zip: questions.json, questions.csv (one row per answer given: the
    distribution), answers.csv (one row per student's answer), snapshots.json and snapshots.csv."""
    questions = record["questions"]
    by_id = {item["id"]: item for item in gallery}
    distribution = [
        [
            q["id"],
            q["prompt"],
            q["kind"],
            q.get("answer") or "",
            value,
            count,
            "" if not q.get("answer") else value == q["answer"],
        ]
        for q in questions
        for value, count in sorted(q["counts"].items())
    ]
    answers = [[q["id"], given["author"], given["value"]] for q in questions for given in q["answers"]]
    snapshots = [
        {
            "order": order,
            "id": item["id"],
            "file": file_name(by_id[item["id"]]),
            "caption": item["caption"],
            "author": by_id[item["id"]].get("name", ""),
        }
        for order, item in enumerate(record["snapshots"], start=1)
        if item["id"] in by_id
    ]
    return {
        "questions.json": json.dumps(questions, indent=2, ensure_ascii=False),
        "questions.csv": csv_text(
            ["question", "prompt", "kind", "correct_answer", "value", "count", "correct"], distribution
        ),
        "answers.csv": csv_text(["question", "author", "value"], answers),
        "snapshots.json": json.dumps(snapshots, indent=2, ensure_ascii=False),
        "snapshots.csv": csv_text(["order", "id", "file", "caption", "author"], [list(s.values()) for s in snapshots]),
        **step_files(record.get("class_steps", [])),
        **xor_files(record.get("xor_runs", [])),
    }


def gallery_zip(code: str, gallery: list[dict], record: dict | None = None) -> bytes:
    """The zip of a room's gallery, and of the class's record when given (`class_record`); authors are the names
    students gave (empty when none), every text cell neutralised for spreadsheets (`cell`)."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(COLUMNS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in gallery:
            archive.writestr(file_name(item), encode_png(drawing(item)))
            tag = "" if item.get("tag") is None else item["tag"]
            row = [
                item["id"],
                file_name(item),
                when(item["at"]),
                item.get("name", ""),
                tag,
                item["prediction"],
                item["confidence"],
                *item["probabilities"],
            ]
            writer.writerow([cell(value) for value in row])
        archive.writestr("submissions.csv", table.getvalue())
        for name, text in ({} if record is None else record_files(record, gallery)).items():
            archive.writestr(name, text)
        archive.writestr(
            "README.txt",
            f"Drawings sent to backprop-lab room {code}: each PNG is the 28x28 image "
            "LeNet-5 read (white ink on black, as in MNIST); submissions.csv lists what "
            "it predicted, with the probability of each digit, and the digit the student "
            "meant (tag, when given). questions.csv gives how many answered each value "
            "of each question, answers.csv each student's answer, questions.json both; "
            "snapshots.csv lists the drawings the teacher showed in order, with captions. "
            "class_steps.csv has the last class steps' losses and per-layer numbers (class_step_drawings.csv each "
            "drawing's, class_steps.json both); xor_runs.csv each student's XOR run: seed, final loss, verdict "
            "(xor_runs.json with the loss curves).\n",
        )
    return buffer.getvalue()
