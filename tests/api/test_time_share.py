"""TimeShare (app/server/time_share.py): time used by client address (the loop's reading, the compute threads'), and
who waits."""

import asyncio
import math
import time

import pytest

from app.server.time_share import MAX_WAIT_S, TAU_S, TEXT_S, TimeShare, frame_cost


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reading(share: TimeShare, clock: Clock, address: str, per_second: float, seconds: float = 5.0) -> None:
    """address reads frames costing per_second of loop time a second, in 100 steps a second, for `seconds`."""
    together(share, clock, {address: per_second}, seconds)


def together(share: TimeShare, clock: Clock, rates: dict[str, float], seconds: float = 5.0) -> None:
    """Each address reads at its rate (seconds of loop time a second), side by side, for `seconds`."""
    for _ in range(int(seconds * 100)):
        clock.now += 0.01
        for address, per_second in rates.items():
            share.charge(address, per_second * 0.01)


def test_an_address_within_the_floor_never_waits_however_many_read() -> None:
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    for n in range(200):
        share.charge(f"10.0.0.{n}", 0.001)
    reading(share, clock, "10.1.0.1", 0.04)
    assert share.rate("10.1.0.1", clock.now) == pytest.approx(0.04, rel=0.02)
    assert share.wait("10.1.0.1") == 0.0


def test_an_address_alone_never_waits_and_shares_once_another_comes() -> None:
    """A class behind one NAT address is one address: with no one else to be fair to it never waits, however much
    it uses (a long job charged at once included); beside another address it has half of the share."""
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    reading(share, clock, "10.0.0.1", 0.9)
    share.charge("10.0.0.1", 3.0)
    assert share.wait("10.0.0.1") == 0.0
    together(share, clock, {"10.0.0.1": 0.4, "10.0.0.2": 0.01}, seconds=3.0)
    assert share.wait("10.0.0.1") == pytest.approx(TAU_S * math.log(share.rate("10.0.0.1", clock.now) / 0.25))
    assert share.wait("10.0.0.1") > 0


def test_a_flood_beside_many_readers_waits_until_its_rate_decays_to_its_share() -> None:
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    together(share, clock, {"10.0.0.0": 0.02, "10.0.0.1": 0.02, "10.0.0.2": 0.02, "10.0.0.3": 0.02, "10.9.9.9": 0.2})
    rate = share.rate("10.9.9.9", clock.now)
    wait = share.wait("10.9.9.9")
    assert wait == pytest.approx(TAU_S * math.log(rate / 0.1), rel=1e-6)  # 0.5 split among 5 readers
    assert wait > 0.6
    assert share.wait("10.0.0.1") == 0.0  # the others never wait


def test_a_wait_is_at_most_a_second_and_quiet_addresses_are_forgotten() -> None:
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    share.charge("10.0.0.1", 0.001)
    for n in range(50):
        share.charge(f"10.0.1.{n}", 0.5)  # 50 addresses reading hard: a share of 0.05 each
    share.charge("10.9.9.9", 100.0)
    assert share.wait("10.9.9.9") == MAX_WAIT_S
    clock.now += 30 * TAU_S
    share.charge("10.9.9.9", 100.0)
    share.wait("10.9.9.9")
    assert list(share.spent) == ["10.9.9.9"]


def test_a_frame_is_estimated_by_its_bytes_and_its_text_before_it_is_parsed() -> None:
    assert frame_cost(0, 0) > 0
    assert frame_cost(262_144, 0) - frame_cost(0, 0) == pytest.approx(262_144 * 1e-9)
    assert frame_cost(262_144, 262_144) - frame_cost(262_144, 0) == pytest.approx(262_144 * TEXT_S)


def test_a_charge_too_high_is_taken_back_but_use_never_goes_below_nothing() -> None:
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    share.charge("10.0.0.1", 0.02)
    share.charge("10.0.0.1", -0.015)
    assert share.rate("10.0.0.1", clock.now) == pytest.approx(0.005)
    share.charge("10.0.0.1", -1.0)
    assert share.rate("10.0.0.1", clock.now) == 0.0


def test_students_reading_little_still_count_among_the_readers() -> None:
    """100 students each reading a drawing twice a second (~0.1 ms of loop a second) and one flood: the flood's share
    is the floor, not half the loop."""
    clock = Clock()
    share = TimeShare(share=0.5, floor=0.05, clock=clock)
    rates = {f"10.0.1.{n}": 0.0001 for n in range(100)} | {"10.9.9.9": 0.1}
    together(share, clock, rates, seconds=3.0)
    assert share.wait("10.9.9.9") == pytest.approx(TAU_S * math.log(share.rate("10.9.9.9", clock.now) / 0.05))
    assert share.wait("10.9.9.9") > 0.6


def test_a_turn_is_given_up_as_soon_as_the_client_has_gone() -> None:
    """take_turn waits while the address is over its share, and returns False at once when the connection is lost
    meanwhile (its frame needs no turn); within its share it returns True without waiting."""

    async def scenario() -> tuple[bool, float, bool]:
        share = TimeShare(share=0.01, floor=0.001)
        share.charge("10.0.0.1", 0.001)
        share.charge("10.9.9.9", 10.0)  # far over its share: a wait of MAX_WAIT_S, again and again
        loop = asyncio.get_running_loop()
        gone = loop.create_future()
        loop.call_later(0.2, gone.set_result, None)
        started = time.monotonic()
        taken = await share.take_turn("10.9.9.9", gone)
        waited = time.monotonic() - started
        return taken, waited, await share.take_turn("10.0.0.1", loop.create_future())

    taken, waited, other = asyncio.run(scenario())
    assert taken is False and 0.15 < waited < 0.2 + MAX_WAIT_S / 2
    assert other is True


def test_an_addresss_waiting_frames_take_turns_oldest_first_with_one_look_per_turn() -> None:
    """Fifty sockets of one address over its share wait: each frame gets its turn in the order it came, as the
    address's use decays back to its share after each (each costs 5 ms of waiting here), and the share is looked
    at about once per turn, not once per waiting socket per turn (which a timer per socket made 50 times more)."""

    class Counting(TimeShare):
        looks = 0

        def wait(self, address: str) -> float:
            Counting.looks += address == "10.9.9.9"
            return super().wait(address)

    async def scenario() -> tuple[list[int], int]:
        share = Counting(share=0.01, floor=0.001)
        share.charge("10.0.0.1", 1e-6)  # a second address: the share is 0.005 s/s each
        share.charge("10.9.9.9", 0.005 * TAU_S * math.exp(0.05))  # about 50 ms over
        order: list[int] = []

        async def frame(n: int) -> None:
            assert await share.take_turn("10.9.9.9")
            order.append(n)
            share.charge("10.9.9.9", 0.005 * TAU_S * 0.005)  # its reading: about 5 ms more to wait

        await asyncio.gather(*(frame(n) for n in range(50)))
        return order, Counting.looks

    order, looks = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert order == list(range(50))
    assert looks < 3 * 50
