"""Where a server's CPU goes, from py-spy's samples of it: each sampled stack is put in one part by its innermost
frame that belongs to one, so a NumPy call inside the engine counts as the engine and a send from a room's feed as
the websocket.

Parts: the engine (app/nn), the drawings' preprocessing (app/data/drawing.py), encoding the answers' frames
(app/wire/frames.py's packing), answering (app/services: the answer cache, the batches' bookkeeping, the readings'
copies), the rooms (app/rooms), the websocket (reading and writing frames, the message checks, the connection's
loop and fair shares, uvicorn, Starlette, websockets, the event loop; the kernel's send and receive count here, as
py-spy samples a thread inside a system call), and other (the garbage collector, start-up, anything else).

    py-spy record --nonblocking --rate 100 --format raw --output samples.txt --pid PID
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

ENCODING = ("pack_frames", "quantize", "short", "frame_bytes", "prediction_frames", "prediction_fields")
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (  # a part and the paths of its frames
    ("engine", ("app/nn/",)),
    ("preprocessing", ("app/data/drawing.py",)),
    ("rooms", ("app/rooms/",)),
    ("answering", ("app/services/",)),
    ("websocket", ("app/server/", "app/wire/", "uvicorn/", "starlette/", "websockets/", "anyio/", "asyncio/")),
)
NAMES = ("engine", "preprocessing", "encoding", "answering", "websocket", "rooms", "other")
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*):\d+\)$")


def part_of(stack: list[str]) -> str:
    """The part of one sampled stack (outermost frame first, each "function (path:line)")."""
    for frame in reversed(stack):
        match = FRAME.match(frame)
        if match is None:
            continue
        function, path = match["function"], match["path"]
        if function.split(".")[0] in ENCODING and path.endswith(("app/wire/frames.py", "app/services/lenet.py")):
            return "encoding"
        for part, paths in PARTS:
            if any(prefix in path for prefix in paths):
                return part
    return "other"


def shares(raw: str) -> dict[str, float]:
    """Each part's share of the samples in py-spy's raw output (a stack and its count per line), summing to 1;
    empty when there are none."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[part_of(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return {name: counts[name] / total for name in NAMES} if total else {}


class Sampler:
    """py-spy recording a process (and its children) for a given time, when py-spy is installed."""

    def __init__(self, pid: int, seconds: float, output: Path) -> None:
        self.output = output
        command = shutil.which("py-spy")
        self.process = (
            None
            if command is None
            else subprocess.Popen(
                [command, "record", "--nonblocking", "--subprocesses", "--rate", "100", "--format", "raw"]
                + ["--duration", str(max(1, round(seconds))), "--output", str(output), "--pid", str(pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def shares(self) -> dict[str, float]:
        """The parts' shares once the recording is over; empty without py-spy or samples."""
        if self.process is None:
            return {}
        self.process.wait(timeout=60)
        return shares(self.output.read_text()) if self.output.exists() else {}
