"""POST /api/predict: JSON images, PNG, JPEG and WebP drawings (raw body, multipart upload), typed errors, limits,
and the /docs page."""

import asyncio
import io
import logging
import socket
import struct
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from app.cli import uvicorn_options
from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.server.app import create_app
from app.server.uploads import Admission, Busy
from app.services.lenet import prepare, read
from app.settings import Settings

SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHAPES = {
    "input": [1, 28, 28],
    "conv1": [6, 28, 28],
    "pool1": [6, 14, 14],
    "conv2": [16, 10, 10],
    "pool2": [16, 5, 5],
    "fc1": [120],
    "fc2": [84],
    "fc3": [10],
}


def png(pixels: np.ndarray) -> bytes:
    """An 8-bit PNG (grey, RGB or RGBA by the last axis) with unfiltered rows."""
    colour = 0 if pixels.ndim == 2 else {3: 2, 4: 6}[pixels.shape[2]]
    raw = b"".join(b"\0" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def interlaced_png(pixels: np.ndarray) -> bytes:
    """An 8-bit Adam7-interlaced PNG (grey, RGB or RGBA by the last axis): seven reduced images, rows unfiltered."""
    colour = 0 if pixels.ndim == 2 else {3: 2, 4: 6}[pixels.shape[2]]
    passes = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]
    reduced = [pixels[r::dr, c::dc] for r, c, dr, dc in passes]
    raw = b"".join(b"\0" + row.tobytes() for image in reduced if image.size for row in image)
    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, colour, 0, 0, 1)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def saved(image: Image.Image, kind: str, **options: object) -> bytes:
    """An image as Pillow writes it in format `kind`."""
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def drawn_one(size: int = 280) -> np.ndarray:
    """A "1" the way a drawing app saves it: a dark upright stroke on opaque white, RGBA."""
    pixels = np.full((size, size, 4), 255, np.uint8)
    pixels[size // 6 : size * 5 // 6, size // 2 - size // 25 : size // 2 + size // 25, :3] = 20
    return pixels


@pytest.fixture(scope="module")
def shipped():
    return load_lenet5()[0]


def test_a_json_mnist_digit_is_classified_like_the_engine_does(client: TestClient, mnist: Mnist, shipped) -> None:
    image = mnist.test_images[0] / 255
    response = client.post("/api/predict", json={"image": image.tolist()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prediction", "probabilities"}
    expected = shipped.forward(image[None, None].astype(np.float32))
    assert body["prediction"] == mnist.test_labels[0] == expected.argmax()
    assert len(body["probabilities"]) == 10 and sum(body["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert np.argmax(body["probabilities"]) == body["prediction"]


@pytest.mark.parametrize("ask", ["query", "field"])
def test_activations_come_when_asked_by_query_or_field(client: TestClient, mnist: Mnist, shipped, ask: str) -> None:
    image = (mnist.test_images[1] / 255).astype(np.float32)
    if ask == "query":
        response = client.post("/api/predict?activations=true", json={"image": image.tolist()})
    else:
        response = client.post("/api/predict", json={"image": image.tolist(), "activations": True})
    activations = response.json()["activations"]
    assert {name: list(np.shape(values)) for name, values in activations.items()} == SHAPES
    shipped.forward(image[None, None], trace=True)
    relu2 = next(record.output[0] for record in shipped.trace if record.name == "relu2")
    np.testing.assert_allclose(activations["conv2"], relu2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(activations["input"][0], image)


def test_a_png_body_goes_through_the_drawing_preprocessing(client: TestClient, shipped) -> None:
    pixels = drawn_one()
    response = client.post("/api/predict", content=png(pixels), headers={"content-type": "image/png"})
    assert response.status_code == 200
    expected = read(shipped, prepare(pixels, "mnist").image)
    assert response.json()["prediction"] == expected.prediction == 1
    np.testing.assert_allclose(response.json()["probabilities"], expected.probabilities, rtol=1e-5, atol=1e-8)


def test_a_multipart_upload_and_an_octet_stream_answer_the_same(client: TestClient) -> None:
    data = png(drawn_one(200))
    uploaded = client.post("/api/predict", files={"file": ("digit.png", data, "image/png")})
    raw = client.post("/api/predict", content=data, headers={"content-type": "application/octet-stream"})
    assert uploaded.status_code == raw.status_code == 200
    assert uploaded.json() == raw.json()
    assert uploaded.json()["prediction"] == 1


def test_raw_preprocessing_is_a_query_parameter(client: TestClient, shipped) -> None:
    pixels = np.zeros((280, 280), np.uint8)
    pixels[10:60, 220:228] = 255  # a small "1" in the top right corner
    response = client.post("/api/predict?preprocess=raw", content=png(pixels), headers={"content-type": "image/png"})
    expected = read(shipped, prepare(pixels, "raw").image)
    np.testing.assert_allclose(response.json()["probabilities"], expected.probabilities, rtol=1e-5, atol=1e-8)
    centred = client.post("/api/predict", content=png(pixels), headers={"content-type": "image/png"})
    assert centred.json()["prediction"] == 1


def one_as(kind: str) -> tuple[bytes, str]:
    """drawn_one() saved the way some program might save it, and the Content-Type to send it with."""
    rgba = drawn_one()
    ink = 255 - rgba[..., 0]
    files = {
        "palette": (
            saved(Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE, colors=4), "PNG"),
            "image/png",
        ),
        "16-bit": (saved(Image.fromarray(rgba[..., 0].astype(np.uint16) * 257), "PNG"), "image/png"),
        "interlaced": (interlaced_png(rgba), "image/png"),
        "grey-alpha": (saved(Image.fromarray(np.stack([np.zeros_like(ink), ink], axis=-1), "LA"), "PNG"), "image/png"),
        "jpeg": (saved(Image.fromarray(rgba[..., :3]), "JPEG", quality=90), "image/jpeg"),
        "webp": (saved(Image.fromarray(rgba), "WEBP", quality=90), "image/webp"),
    }
    return files[kind]


@pytest.mark.parametrize("kind", ["palette", "16-bit", "interlaced", "grey-alpha", "jpeg", "webp"])
def test_real_world_image_files_are_read_like_the_plain_png(client: TestClient, kind: str) -> None:
    data, content_type = one_as(kind)
    plain = client.post("/api/predict", content=png(drawn_one()), headers={"content-type": "image/png"}).json()
    response = client.post("/api/predict", content=data, headers={"content-type": content_type})
    assert response.status_code == 200
    assert response.json()["prediction"] == plain["prediction"] == 1
    tolerance = 0.05 if kind in ("jpeg", "webp") else 1e-5  # lossy formats move a few pixels a little
    np.testing.assert_allclose(response.json()["probabilities"], plain["probabilities"], atol=tolerance)


@pytest.mark.parametrize("kind", ["jpeg", "webp"])
def test_a_jpeg_or_webp_upload_is_read_as_its_body_is(client: TestClient, kind: str) -> None:
    data, content_type = one_as(kind)
    uploaded = client.post("/api/predict", files={"file": (f"digit.{kind}", data, content_type)})
    raw = client.post("/api/predict", content=data, headers={"content-type": "application/octet-stream"})
    assert uploaded.status_code == raw.status_code == 200
    assert uploaded.json() == raw.json()


@pytest.mark.parametrize(
    "body, status, code, words",
    [
        ({"image": [[0.5] * 28] * 27}, 422, "bad_shape", "must be 28×28, got 27×28"),
        ({"image": [[0.5] * 28] * 27 + [[0.5] * 27]}, 422, "bad_shape", "rectangular"),
        ({"image": [[[0.5]] * 28] * 28}, 422, "bad_shape", "2-D"),
        ({"image": [[2.0] * 28] * 28}, 422, "bad_value", "0..1"),
        ({"image": [["x"] * 28] * 28}, 422, "bad_value", "numbers"),
        ({"image": [[0.5] * 28] * 28, "colour": "red"}, 422, "bad_value", "colour"),
        ({}, 422, "bad_value", "image: Field required"),
        ({"image": [[0.0] * 28] * 28}, 422, "empty", "no ink"),
    ],
    ids=["27-rows", "ragged", "3-d", "out-of-range", "strings", "extra-field", "missing-image", "empty"],
)
def test_bad_json_images_get_typed_errors(client: TestClient, body, status: int, code: str, words: str) -> None:
    response = client.post("/api/predict", json=body)
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["message"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_non_finite_numbers_are_refused(client: TestClient, number: str) -> None:
    rows = [[0.5] * 28 for _ in range(28)]
    text = str({"image": rows}).replace("'", '"').replace("0.5", number, 1)
    response = client.post("/api/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "bad_value"
    assert "NaN or infinite" in response.json()["message"]


@pytest.mark.parametrize(
    "content, content_type, status, code",
    [
        (b'{"image": ', "application/json", 400, "bad_json"),
        (b"GIF89a....", "image/png", 400, "bad_png"),
        (png(drawn_one(50))[:-30], "image/png", 400, "bad_png"),
        (png(np.full((40, 40), 255, np.uint8)), "image/png", 422, "empty"),
        (b"hello", "text/plain", 415, "unsupported_media_type"),
        (b"--x\r\n\r\n", "multipart/form-data", 400, "bad_upload"),
    ],
    ids=["not-json", "not-png", "truncated-png", "blank-png", "text", "no-boundary"],
)
def test_bad_bodies_get_typed_errors(
    client: TestClient, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = client.post("/api/predict", content=content, headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]


def test_the_first_file_of_a_form_is_read_and_its_other_fields_ignored(client: TestClient) -> None:
    data = png(drawn_one(200))
    files = [("drawing", ("one.png", data, "image/png")), ("other", ("x.png", b"junk", "image/png"))]
    response = client.post("/api/predict", data={"note": "my one"}, files=files)
    assert response.status_code == 200 and response.json()["prediction"] == 1


@pytest.mark.parametrize(
    "content, words",
    [
        (b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--x--\r\n', "no file"),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--x--\r\n", "cannot be read"),
        (b"this is no multipart body at all", "cannot be read"),
    ],
    ids=["text-field-only", "no-field-name", "garbage"],
)
def test_a_form_without_a_readable_file_is_a_typed_error(client: TestClient, content: bytes, words: str) -> None:
    response = client.post("/api/predict", content=content, headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_upload" and words in response.json()["message"]


def test_a_streamed_upload_without_a_length_is_cut_off_at_the_limit() -> None:
    settings = Settings(lenet_max_upload_bytes=20_000)
    with TestClient(create_app(settings)) as client:
        head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
        chunks = iter([head, *[b"\0" * 8192] * 4, b"\r\n--x--\r\n"])  # an iterator: sent chunked, no length
        response = client.post(
            "/api/predict", content=chunks, headers={"content-type": "multipart/form-data; boundary=x"}
        )
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert response.json()["message"] == "the body is over the limit of 20000 bytes"  # counted, not declared
        json_body = iter([b'{"image": ', b"[" * 30_000])
        response = client.post("/api/predict", content=json_body, headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_bad_query_parameter_is_a_typed_error(client: TestClient) -> None:
    response = client.post("/api/predict?preprocess=sharpen", json={"image": [[0.5] * 28] * 28})
    assert response.status_code == 422
    assert response.json()["code"] == "bad_query" and "preprocess" in response.json()["message"]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_bodies_and_pngs_over_the_limits_get_413() -> None:
    settings = Settings(lenet_max_upload_bytes=20_000, lenet_max_png_pixels=10_000)
    with TestClient(create_app(settings)) as client:
        big = client.post("/api/predict", content=b"\0" * 30_000, headers={"content-type": "image/png"})
        assert big.status_code == 413 and big.json()["code"] == "too_large"
        wide = client.post("/api/predict", content=png(drawn_one(120)), headers={"content-type": "image/png"})
        assert wide.status_code == 413 and "14400 pixels, over the limit of 10000" in wide.json()["message"]
        bomb = client.post(
            "/api/predict", content=saved(Image.new("L", (1000, 1000)), "PNG"), headers={"content-type": "image/png"}
        )
        assert bomb.status_code == 413 and bomb.json()["code"] == "too_large"


@pytest.mark.parametrize("width, height", [(400_000, 1), (1, 400_000)])
def test_an_extreme_aspect_ratio_gets_413_before_its_pixels_are_decoded(
    client: TestClient, width: int, height: int
) -> None:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", b"junk, never inflated") + chunk(b"IEND", b"")
    started = time.perf_counter()
    response = client.post("/api/predict", content=data, headers={"content-type": "image/png"})
    assert time.perf_counter() - started < 2  # generous for a loaded machine: the junk IDAT shows nothing was decoded
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert f"{width}×{height}: a side is over the limit of 4096 pixels" in response.json()["message"]


def test_uploads_beyond_the_queue_get_503_busy_at_once_and_the_admitted_ones_their_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings.from_env({"BACKPROP_LAB_MAX_QUEUED_REQUESTS": "2", "BACKPROP_LAB_COMPUTE_THREADS": "1"})
    computing, release = threading.Semaphore(0), threading.Event()

    def held_read(*args):  # the first upload holds the only compute thread until released
        computing.release()
        release.wait(30)
        return read(*args)

    monkeypatch.setattr("app.server.routes.lenet.read", held_read)
    body = png(drawn_one())
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(2) as pool:

        def post() -> httpx.Response:
            return client.post("/api/predict", content=body, headers={"content-type": "image/png"})

        admitted = [pool.submit(post) for _ in range(2)]
        try:
            assert computing.acquire(timeout=30)
            deadline = time.monotonic() + 30
            while client.app.state.uploads.admitted < 2 and time.monotonic() < deadline:
                time.sleep(0.01)  # the second upload is admitted and waits for the compute thread
            refused = client.post("/api/predict", content=body, headers={"content-type": "image/png"})
            assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
            assert refused.json()["code"] == "busy"
            assert "BACKPROP_LAB_MAX_QUEUED_REQUESTS" in refused.json()["message"]
            refused = client.post("/api/predict", json={"image": [[0.5] * 28] * 28})  # JSON waits in the same queue
            assert refused.status_code == 503 and refused.json()["code"] == "busy"
        finally:
            release.set()
        assert [future.result(timeout=30).status_code for future in admitted] == [200, 200]
        assert client.app.state.uploads.admitted == 0
        assert post().status_code == 200


def test_one_address_gets_its_share_of_the_queue_and_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"MAX_QUEUED_REQUESTS": "8", "MAX_QUEUED_PER_ADDRESS": "1", "COMPUTE_THREADS": "1"}
    settings = Settings.from_env({f"BACKPROP_LAB_{name}": value for name, value in environ.items()})
    computing, release = threading.Semaphore(0), threading.Event()

    def held_read(*args):
        computing.release()
        release.wait(30)
        return read(*args)

    monkeypatch.setattr("app.server.routes.lenet.read", held_read)
    body = png(drawn_one())
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/api/predict", content=body, headers={"content-type": "image/png"})
        try:
            assert computing.acquire(timeout=30)
            second = client.post("/api/predict", content=body, headers={"content-type": "image/png"})
            assert second.status_code == 503 and second.json()["code"] == "busy"
            assert "from your address (BACKPROP_LAB_MAX_QUEUED_PER_ADDRESS)" in second.json()["message"]
        finally:
            release.set()
        assert first.result(timeout=30).status_code == 200


def test_the_queue_counts_every_address_apart_and_all_together() -> None:
    gate = Admission(3, "ALL", 2, "EACH")
    with gate.admit("10.0.0.1"), gate.admit("10.0.0.1"):
        with pytest.raises(Busy, match=r"2 requests like this one from your address \(EACH\)"):
            gate.admit("10.0.0.1").__enter__()
        with gate.admit("10.0.0.2"):
            with pytest.raises(Busy, match=r"3 requests like this one are already waiting .*\(ALL\)"):
                gate.admit("10.0.0.3").__enter__()
            assert gate.holding == {"10.0.0.1": 2, "10.0.0.2": 1}
        with gate.admit("10.0.0.3"):
            assert gate.admitted == 3
    assert gate.admitted == 0 and gate.holding == {}


def admitted(app: FastAPI) -> int:
    """Uploads the app's queue holds now."""
    return app.state.uploads.admitted


def test_on_a_real_server_a_full_queue_answers_503_before_the_body_is_sent(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"BACKPROP_LAB_MAX_QUEUED_REQUESTS": "1"})
    app = create_app(settings)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(app, **{**uvicorn_options(settings), "port": port, "log_config": None})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listening])), daemon=True)
    thread.start()
    head = (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: 4000000\r\n\r\n"
    )
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(head + b"\0" * 1000)  # admitted; its body trickles in
            while admitted(app) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            with socket.create_connection(("127.0.0.1", port), timeout=30) as second:
                second.sendall(head)  # announces 4 MB and sends none of it
                answer = b""
                while b"}" not in answer and (chunk := second.recv(65_536)):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 503") and b'"code":"busy"' in answer
        deadline = time.monotonic() + 30
        while admitted(app) and time.monotonic() < deadline:
            time.sleep(0.01)  # the trickling client left: its place is free again
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/predict", content=png(drawn_one()), headers={"content-type": "image/png"}
        )
        assert response.status_code == 200
    finally:
        server.should_exit = True
        thread.join(30)
        listening.close()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_missing_weights_answer_503_with_the_reason(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(weights=tmp_path / "none.npz"))) as client:
        response = client.post("/api/predict", json={"image": [[0.5] * 28] * 28})
        assert response.status_code == 503
        assert response.json() == {"code": "unavailable", "message": client.app.state.lenet.error}


def test_openapi_documents_the_three_kinds_of_body_and_the_errors(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/predict"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "image/png",
        "image/jpeg",
        "image/webp",
        "multipart/form-data",
    }
    assert {p["name"] for p in operation["parameters"]} == {"activations", "preprocess"}
    assert {"200", "400", "413", "415", "422", "503"} <= set(operation["responses"])


def test_docs_page_lists_every_rest_operation_without_javascript(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    html = client.get("/docs").text
    assert "<script" not in html
    count = sum(len(item) for item in spec["paths"].values())
    assert html.count('data-testid="operation"') == count
    assert "Classify a digit with LeNet-5" in html and "multipart/form-data" in html
    assert 'href="#schema-PredictResponse"' in html and 'id="schema-PredictResponse"' in html
