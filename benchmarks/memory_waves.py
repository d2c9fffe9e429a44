"""Memory after waves of stuck and flooding clients: does the server give it back once they are gone?

Serves the app in this process (uvicorn in a thread, the app's own uvicorn options) on a free loopback port and
runs benchmarks/soak.py's attacker against it in waves (a process each: drawings of the largest canvas at the rate
limit, the largest conv walkthroughs, streams never read, 4 MB uploads, from 127.0.0.2). After each wave, once
every connection has gone and a few seconds have passed, it prints one JSON line: the server's RSS as it stands,
after a full garbage collection, and after a malloc_trim(0) (what glibc still kept), with how long the trim took.

    python benchmarks/memory_waves.py [--waves 3] [--seconds 15] [--sockets 200]

Loopback only; each wave stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import multiprocessing
import socket
import threading
import time
from pathlib import Path

import uvicorn
from soak import attacker_process

from app.cli import uvicorn_options
from app.server.app import create_app
from app.settings import Settings

DRAIN_S = 90.0  # the most a wave's connections may take to be gone
SETTLE_S = 4.0  # then the server's own trim (app/server/memory.py) has had its quiet time


def rss_mb() -> float:
    """This process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=3, help="attacks one after the other (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each (default: %(default)s)")
    parser.add_argument("--sockets", type=int, default=200, help="the attacker's websockets (default: %(default)s)")
    args = parser.parse_args()
    app = create_app(Settings(log_level="warning"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(app, **{**uvicorn_options(app.state.settings), "port": port, "log_config": None})
    server = uvicorn.Server(config)
    threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listening])), daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    print(json.dumps({"wave": 0, "rss_mb": rss_mb()}), flush=True)
    for wave in range(1, args.waves + 1):
        results: multiprocessing.Queue = multiprocessing.Queue()
        attacker = multiprocessing.Process(target=attacker_process, args=(port, args.seconds, args.sockets, results))
        attacker.start()
        figures = results.get(timeout=args.seconds + 120)
        attacker.join()
        deadline = time.monotonic() + DRAIN_S
        while (app.state.clients or server.server_state.connections) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(SETTLE_S)
        row = {"wave": wave, "attacker_answers": figures["answers"], "uploads": figures["uploads_by_status"]}
        row["left_connections"] = len(server.server_state.connections)
        row["rss_mb"] = rss_mb()
        gc.collect()
        row["rss_after_gc_mb"] = rss_mb()
        started = time.perf_counter()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        row["trim_ms"] = round((time.perf_counter() - started) * 1e3, 1)
        row["rss_after_trim_mb"] = rss_mb()
        print(json.dumps(row), flush=True)
    server.should_exit = True


if __name__ == "__main__":
    main()
