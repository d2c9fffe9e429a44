"""Messages of the classroom's websocket (/ws/room): joining, following the teacher, questions and the gallery;
and the answers of the REST endpoints that open a room and look one up.

docs/protocol/room.md describes them with the events the server broadcasts; the JavaScript side mirrors the type
names in static/js/lib/protocol.js (ROOM).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError

from app.wire.class_step import Batch, BatchReset
from app.wire.lenet import Digit, DrawingMessage
from app.wire.protocol import Message
from app.wire.xor_class import XorClassRun, XorCompare

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
MAX_NAME = 24  # characters of a name, after normalising
# Characters that show as nothing though Unicode calls them letters or symbols: Hangul fillers, the braille blank.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Control (Cc), format (Cf: bidi overrides and isolates, zero-width spaces and joiners, soft hyphen...),
# surrogate, private-use and unassigned characters, and line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_name(value: str) -> str:
    """A student's name in one form (NFKC, runs of spaces as one, no spaces around), so "Ａｎａ" is "Ana";
    control, invisible and text-direction characters, with which one name can pass for another, are refused."""
    normal = unicodedata.normalize("NFKC", value)
    for char in normal:
        if unicodedata.category(char) in REFUSED_CATEGORIES or char in INVISIBLE or char in "<>":
            raise PydanticCustomError(
                "bad_value",
                "a name cannot contain control, invisible or text-direction characters, nor < or > ({char}); "
                "type it with letters, digits and spaces",
                {"char": f"U+{ord(char):04X}"},
            )
    name = " ".join(normal.split())
    if len(name) > MAX_NAME:
        raise PydanticCustomError("bad_value", "a name has at most {limit} characters", {"limit": MAX_NAME})
    return name


# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables.txt for the scripts a class types), so
# "Аna" with a Cyrillic А is the same name as "Ana" and gets "Аna (2)" instead of passing for her.
LOOK_ALIKES = str.maketrans(
    "аеорсхуіјѕһԁԛԝӏкАВЕКМНОРСТХУІЈЅԜαεικνουχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyijshdqwlkABEKMHOPCTXYIJSWaeikvouxABEZHIKMNOPTYX",
)


def name_key(name: str) -> str:
    """What two names must differ in to be told apart: neither case ("ana" is "Ana") nor a look-alike letter."""
    return name.translate(LOOK_ALIKES).casefold()


Name = Annotated[str, StringConstraints(max_length=4 * MAX_NAME), AfterValidator(clean_name)]
QuestionKind = Literal["digit", "number", "choice"]
SubmissionId = Annotated[StrictInt, Field(ge=1, le=2**31)]


class Join(Message):
    """Enter a room by its code; with the teacher's key, as its teacher. `member` is the id this tab was given on
    an earlier join (kept across reconnects; an id the room did not issue gets a new one); `name` is shown to the
    teacher only, unless the teacher shares names."""

    type: Literal["join"]
    code: Annotated[str, StringConstraints(max_length=16)]
    key: Annotated[str, StringConstraints(max_length=64)] | None = None
    member: Annotated[str, StringConstraints(pattern=r"^m[0-9a-f]{24}$")] | None = None
    name: Name | None = None
    private: StrictBool = False  # teacher: this screen is the teacher's own (a phone), not the projected one


class View(Message):
    """Teacher (latest wins): what the teacher's screen shows now: the page, its query string (the settings), its
    #anchor (a lesson step) and its live state (the animation step, the strokes of the digit drawn...)."""

    type: Literal["view"]
    page: Annotated[str, StringConstraints(max_length=64)]
    query: Annotated[str, StringConstraints(max_length=1024)] = ""
    anchor: Annotated[str, StringConstraints(max_length=64)] = ""
    state: dict[str, Any] = Field(default_factory=dict)


class Ask(Message):
    """Teacher: pause and ask the room a question."""

    type: Literal["ask"]
    prompt: Text
    kind: QuestionKind = "digit"
    choices: list[Short] = Field(default_factory=list, max_length=6)


class Answer(Message):
    """Student (latest wins): this member's answer to the open question (replacing an earlier one)."""

    type: Literal["answer"]
    question: StrictInt
    value: Short


class Reveal(Message):
    """Teacher: close the question and show everyone the answer and how the room answered."""

    type: Literal["reveal"]
    answer: Short | None = None


class Dismiss(Message):
    """Teacher: take the question off the screens."""

    type: Literal["dismiss"]


class Submit(DrawingMessage):
    """Send a drawing to the room's gallery, optionally tagged with the digit it was meant to be."""

    type: Literal["submit"]
    tag: Digit | None = None


class Tag(Message):
    """Say (or change) which digit one of this member's submissions was meant to be."""

    type: Literal["tag"]
    id: SubmissionId
    tag: Digit | None


class Show(Message):
    """Teacher: show one submission to everyone in the LeNet view (None: stop showing it)."""

    type: Literal["show"]
    id: SubmissionId | None


class Remove(Message):
    """Teacher: take a drawing off every screen and out of the export; with `all` (the default), every drawing of
    the student who sent it."""

    type: Literal["remove"]
    id: SubmissionId
    all: StrictBool = True


class Names(Message):
    """Teacher: let students see the names in the gallery, or hide them again (the default)."""

    type: Literal["names"]
    visible: StrictBool


class End(Message):
    """Teacher: close the room now."""

    type: Literal["end"]


class Screen(Message):
    """Teacher: whether this screen is the teacher's own (private: it sees the live distribution of answers and
    the drawings waiting or hidden) or the projected one (only what the class may see); answered by `joined`."""

    type: Literal["screen"]
    private: StrictBool


class Pause(Message):
    """Teacher: "eyes up": every student screen dims and shows `message`, and students' changes are refused, until
    a pause with `on` false."""

    type: Literal["pause"]
    on: StrictBool
    message: Text | None = None


class Hide(Message):
    """Teacher: take a drawing off the class's screens (the gallery, the drawing shown, snapshots, class steps), or
    bring it back (`hidden` false). Unlike `remove`, it stays in the export and can be restored."""

    type: Literal["hide"]
    id: SubmissionId
    hidden: StrictBool = True


class Approve(Message):
    """Teacher: with `first` true, new drawings wait for the teacher's approval before they appear (`id` absent);
    with `id`, let that waiting drawing appear."""

    type: Literal["approve"]
    id: SubmissionId | None = None
    first: StrictBool | None = None


MAX_SNAPSHOTS = 12  # drawings in one sequence of snapshots: a discussion's argument, not the gallery


class SnapshotItem(Message):
    """One drawing of a sequence of snapshots, with the teacher's caption."""

    id: SubmissionId
    caption: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class Snapshots(Message):
    """Teacher: the drawings picked for the discussion, in the order they will be shown, and whether their authors'
    names are shown with them (hidden by default)."""

    type: Literal["snapshots"]
    items: list[SnapshotItem] = Field(default_factory=list, max_length=MAX_SNAPSHOTS)
    names: StrictBool = False


class Snapshot(Message):
    """Teacher: show everyone the snapshot at `index` of the sequence (from 0), or none (null)."""

    type: Literal["snapshot"]
    index: Annotated[StrictInt, Field(ge=0, lt=MAX_SNAPSHOTS)] | None


RoomRequest = (
    Join
    | View
    | Ask
    | Answer
    | Reveal
    | Dismiss
    | Submit
    | Tag
    | Show
    | Remove
    | Names
    | End
    | Screen
    | Pause
    | Hide
    | Approve
    | Snapshots
    | Snapshot
    | Batch
    | BatchReset
    | XorClassRun
    | XorCompare
)
ROOM_REQUESTS: TypeAdapter[RoomRequest] = TypeAdapter(Annotated[RoomRequest, Field(discriminator="type")])
ROOM_LATEST_WINS = frozenset({"view", "answer"})
TEACHER_ONLY = frozenset(
    {"view", "ask", "reveal", "dismiss", "show", "remove", "names", "end", "screen", "pause", "hide", "approve"}
    | {"batch", "batch_reset", "snapshots", "snapshot", "xor_compare"}
)
# A student's requests that change the room: refused with `paused` while the teacher has paused the class.
PAUSABLE = frozenset({"answer", "submit", "tag", "xor_class_run"})


class OpenedRoom(BaseModel):
    """A new room: the code to project, the links, and the teacher's key (shown once, never stored in clear)."""

    code: str = Field(description="the join code students type, e.g. K7QX2M")
    key: str = Field(description="the teacher's secret; whoever holds it drives the room")
    join_url: str = Field(description="the link (and QR code) students open")
    teacher_url: str = Field(description="the teacher's link: the key travels in the #fragment, never to a server log")
    qr_url: str = Field(description="an SVG QR code of join_url")
    idle_minutes: float = Field(description="the room closes after this long with nobody connected")


class RoomInfo(BaseModel):
    """An open room as anyone with its code may see it."""

    code: str
    join_url: str
    students: int = Field(description="students connected now")
