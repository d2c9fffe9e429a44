"""A connection's outbox: a newer event of the same key replaces the waiting one; nothing ever blocks."""

from app.rooms.outbox import Outbox
from tests.rooms.conftest import in_own_loop


@in_own_loop
async def test_the_newest_state_replaces_the_waiting_one_and_moves_to_the_end() -> None:
    box = Outbox(capacity=8)
    box.put("view", "v1")
    box.put("question", "q1")
    box.put("view", "v2")
    assert [await box.take(), await box.take()] == [("question", "q1"), ("view", "v2")]
    assert not box.lost


@in_own_loop
async def test_joined_goes_first_and_each_submission_keeps_its_own_place() -> None:
    box = Outbox(capacity=8)
    box.put("submission:1", "s1")
    box.put("submission:2", "s2")
    box.first("joined", "j")
    assert [await box.take() for _ in range(3)] == [("joined", "j"), ("submission:1", "s1"), ("submission:2", "s2")]


@in_own_loop
async def test_an_outbox_that_overflows_says_so_instead_of_growing_without_bound() -> None:
    box = Outbox(capacity=3)
    for n in range(3):
        box.put(f"submission:{n}", str(n))
    assert not box.lost
    box.put("submission:9", "9")
    assert box.lost
