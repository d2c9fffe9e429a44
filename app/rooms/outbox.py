"""Each connection's own queue of room broadcasts, so a broadcast never waits on its slowest student.

Putting never blocks: an event that describes "the state now" (what the teacher shows, the open question, the
answer counts, ...) replaces the one of the same key still waiting, so a slow reader gets the newest state,
not a backlog. Events that each matter (a gallery submission) have keys of their own; an outbox that still
overflows marks itself lost, and the connection is closed so its client reconnects and rejoins with the state.
"""

from __future__ import annotations

from app.wire.latest import LatestWins


class Outbox(LatestWins[str, str]):
    """Latest-wins events (JSON text) waiting to be sent to one connection, oldest key first."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.lost = False

    def put(self, key: str, event: str) -> None:
        """Queue event under key, replacing a waiting event of the same key; past the capacity the outbox is lost."""
        self.waiting.pop(key, None)
        if self.full:
            self.lost = True
        super().put(key, event)
