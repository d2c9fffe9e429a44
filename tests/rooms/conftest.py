"""The room tests are coroutines; each runs in a fresh event loop on its own thread, because Playwright's sync API
(the browser tests, in the same pytest session) keeps an event loop running on the main thread."""

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def in_own_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """A synchronous test (same fixtures) that runs the coroutine test with asyncio.run on another thread."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, test(*args, **kwargs)).result()

    return run
