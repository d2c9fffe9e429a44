"""app/bench.py's method, not its speed: steps interleaved round by round, and the BLAS thread count it reports."""

from __future__ import annotations

from app.bench import interleaved_medians, numpy_blas_threads


def test_interleaved_medians_runs_every_step_once_per_round_in_turn() -> None:
    calls: list[str] = []
    medians = interleaved_medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 4, warmup=2)
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 4
    assert set(medians) == {"a", "b"}
    assert all(seconds >= 0 for seconds in medians.values())


def test_numpy_blas_threads_is_a_thread_count_or_unknown() -> None:
    threads = numpy_blas_threads()
    assert threads is None or threads >= 1
