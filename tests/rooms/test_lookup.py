"""The per-address throttles of room lookups and joins (app/rooms/lookup.py), on a clock the test moves."""

import pytest

from app.rooms import lookup
from app.rooms.lookup import Throttle, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_gets_its_burst_then_one_try_per_refill() -> None:
    clock = Clock()
    throttle = Throttle(6, clock)  # 6 a minute: one every 10 s, in bursts of 6
    for _ in range(6):
        throttle.check("10.0.0.1", "too many tries")
        throttle.take("10.0.0.1")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", "too many tries")
    assert refused.value.code == "too_many_attempts" and refused.value.retry_after == 10
    assert str(refused.value) == "too many tries from your address; try again in 10 s"
    throttle.check("10.0.0.2", "too many tries")  # another address is not held up
    clock.now += 9.5
    assert throttle.wait_s("10.0.0.1") == pytest.approx(0.5)
    clock.now += 0.5
    throttle.check("10.0.0.1", "too many tries")
    throttle.take("10.0.0.1")
    assert throttle.wait_s("10.0.0.1") == pytest.approx(10)


def test_tracked_addresses_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "MAX_TRACKED_ADDRESSES", 100)
    clock = Clock()
    throttle = Throttle(60, clock)
    for n in range(100):
        throttle.take(f"10.0.0.{n}")
    clock.now += 120  # every bucket has refilled: the same as none
    throttle.take("10.0.1.0")
    assert list(throttle.buckets) == ["10.0.1.0"]
    for n in range(500):  # all still waiting: the count starts afresh rather than grow
        throttle.take(f"10.0.2.{n}")
        assert len(throttle.buckets) <= 100
