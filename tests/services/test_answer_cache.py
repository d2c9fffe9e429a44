"""The shared answers of app/services/answer_cache.py: the same drawing and options on the shared LeNet-5 are
computed once for every connection; a taught copy never uses them; the cache keeps only the last few."""

import numpy as np
import pytest

import app.services.lenet as lenet_service
from app.models.lenet import load_lenet5
from app.nn import Sequential
from app.services.answer_cache import AnswerCache, key_of
from app.services.lenet import LeNetSession, Unit
from app.wire.frames import unpack_frame


@pytest.fixture
def shared() -> Sequential:
    """A freshly loaded LeNet-5, so each test starts with an empty cache of its own."""
    return load_lenet5()[0]


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """Counts the forward passes the sessions run."""
    calls: list[int] = []
    read = lenet_service.read

    def counted(*args, **kwargs):
        calls.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(lenet_service, "read", counted)
    return calls


def seven() -> np.ndarray:
    canvas = np.zeros((140, 140), np.float32)
    canvas[30:40, 30:110] = 1.0
    canvas[40:115, 85:97] = 1.0
    return canvas


def test_the_same_drawing_on_the_shared_weights_is_computed_once_for_every_connection(shared, reads) -> None:
    unit = Unit("conv2", 3, 4, 4)
    first = LeNetSession(shared).draw(seven(), "mnist", True, 7, 1, unit)
    again = LeNetSession(shared).draw(seven(), "mnist", True, 7, 2, unit)
    assert len(reads) == 1
    (head1, arrays1), (head2, arrays2) = unpack_frame(first), unpack_frame(again)
    assert head2["seq"] == 2 and head1["seq"] == 1  # each answer is its own request's
    for name in ("seq", "server_ms"):
        del head1[name], head2[name]
    assert head1 == head2 and arrays1.keys() == arrays2.keys()
    assert all(np.array_equal(arrays1[name], arrays2[name]) for name in arrays1)


def test_other_options_or_another_drawing_are_computed(shared, reads) -> None:
    session = LeNetSession(shared)
    session.draw(seven(), "mnist", False, None, 1)
    session.draw(seven(), "mnist", True, None, 2)
    session.draw(seven(), "raw", False, None, 3)
    other = seven()
    other[100, 100] = 0.5
    session.draw(other, "mnist", False, None, 4)
    assert len(reads) == 4


def test_a_taught_copy_computes_its_own_answers(shared, reads) -> None:
    LeNetSession(shared).draw(seven(), "mnist", False, None, 1)
    taught = LeNetSession(shared)
    taught.teach(seven(), "mnist", 1, 5, 0.1)
    header, _ = unpack_frame(taught.draw(seven(), "mnist", False, None, 2))
    assert header["model"] == "taught" and len(reads) == 2
    shared_header, _ = unpack_frame(LeNetSession(shared).draw(seven(), "mnist", False, None, 3))
    assert shared_header["model"] == "shared" and shared_header["probabilities"] != header["probabilities"]
    assert len(reads) == 2  # the shared answer again, unchanged by the lesson


def test_the_cache_keeps_the_most_recently_used_answers() -> None:
    cache = AnswerCache(size=2)
    a, b, c = (key_of(np.full(3, value, np.float32), "mnist") for value in (1, 2, 3))
    cache.put(a, "A")
    cache.put(b, "B")
    assert cache.get(a) == "A"  # now the most recent
    cache.put(c, "C")
    assert (cache.get(a), cache.get(b), cache.get(c)) == ("A", None, "C")
    assert key_of(np.ones(3, np.float32), "mnist") != key_of(np.ones(3, np.float64), "mnist")
    assert key_of(np.ones((1, 3), np.float32), "mnist") != key_of(np.ones(3, np.float32), "mnist")
