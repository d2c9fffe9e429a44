"""The browser must not be turned against its user: state-changing requests and websocket handshakes from another
Origin are refused with a JSON 403, and every request must name a host this server answers to (DNS rebinding),
so join links and QR codes are only ever built from a validated Host."""

import json
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.server.app import create_app
from app.server.security import host_allowed, hostname, origin_allowed
from app.settings import Settings
from app.wire.protocol import PROTOCOL_VERSION

EVIL = "http://evil.example"
UNSAFE = [("post", "/api/predict"), ("post", "/api/rooms"), ("put", "/api/rooms"), ("delete", "/api/rooms/ABCDEF")]


def forbidden_origin(response) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "forbidden_origin" and len(body["message"].split()) > 5
    assert response.headers["content-security-policy"]  # refusals carry the security headers too


@pytest.mark.parametrize("method, path", UNSAFE)
def test_a_state_changing_request_from_another_origin_is_refused(client: TestClient, method: str, path: str) -> None:
    forbidden_origin(client.request(method, path, headers={"origin": EVIL}))
    forbidden_origin(client.request(method, path, headers={"origin": "null"}))  # sandboxed frames, file:// pages
    forbidden_origin(client.request(method, path, headers={"origin": "http://testserver.evil.example"}))


def test_no_room_is_opened_for_another_site(client: TestClient) -> None:
    before = client.app.state.room_openers
    forbidden_origin(client.post("/api/rooms", headers={"origin": EVIL}))
    assert before == {}  # the address's room quota is untouched


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_without_an_origin_a_cross_site_fetch_is_refused(client: TestClient, site: str) -> None:
    forbidden_origin(client.post("/api/rooms", headers={"sec-fetch-site": site}))


def test_same_origin_scripts_and_allowed_origins_keep_working() -> None:
    settings = Settings(allowed_origins=["https://lab.example"])
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/rooms").status_code == 201  # a script: no Origin
        assert client.post("/api/rooms", headers={"origin": "http://testserver"}).status_code == 201
        assert client.post("/api/rooms", headers={"sec-fetch-site": "same-origin"}).status_code == 201
        assert client.post("/api/rooms", headers={"sec-fetch-site": "none"}).status_code == 201  # typed in
        assert client.post("/api/rooms", headers={"origin": "https://lab.example"}).status_code == 201
        # reading is never refused for its Origin: a page elsewhere cannot read the answer anyway (no CORS)
        assert client.get("/healthz", headers={"origin": EVIL}).status_code == 200


def test_the_public_urls_origin_is_the_servers_own() -> None:
    # behind a proxy that passes its own Host on, the browser's Origin is the public URL's
    with TestClient(create_app(Settings(public_url="https://lab.example.edu/"))) as client:
        assert client.post("/api/rooms", headers={"origin": "https://lab.example.edu"}).status_code == 201
        forbidden_origin(client.post("/api/rooms", headers={"origin": "http://lab.example.edu"}))


def test_origin_rule_is_the_same_for_websockets(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/room", headers={"origin": EVIL}):
        pass
    assert refused.value.code == 1008
    with client.websocket_connect("/ws/room", headers={"origin": "http://testserver"}) as ws:
        ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert ws.receive_json()["type"] == "welcome"


@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({}, True),
        ({"origin": "http://lab:8000", "host": "lab:8000"}, True),
        ({"origin": "http://LAB:8000", "host": "lab:8000"}, True),
        ({"origin": "http://lab:8001", "host": "lab:8000"}, False),
        ({"origin": "null", "host": "null"}, False),
        ({"sec-fetch-site": "cross-site"}, False),
        ({"sec-fetch-site": "same-origin"}, True),
    ],
)
def test_origin_allowed(headers: dict[str, str], allowed: bool) -> None:
    assert origin_allowed(headers, Settings()) is allowed


@pytest.mark.parametrize(
    "host, name",
    [
        ("LocalHost:8000", "localhost"),
        ("192.168.1.20:8000", "192.168.1.20"),
        ("[::1]:8000", "::1"),
        ("lab.example.edu.", "lab.example.edu"),
        ("a" * 3000, None),
        ("evil.example/path", None),
        ("evil.example:8000:1", None),
        ("[nonsense]", None),
        ("", None),
        ("a b", None),
    ],
)
def test_hostname(host: str, name: str | None) -> None:
    assert hostname(host) == name


@pytest.mark.parametrize(
    "host, allowed",
    [
        (None, True),  # HTTP/1.0 without a Host
        ("127.0.0.1:8000", True),
        ("10.0.4.17:8000", True),  # `serve --host 0.0.0.0` on a class network: students type the address
        ("[fe80::1]:8000", True),
        ("localhost:8000", True),
        ("app.localhost", True),
        ("teacher-pc:8000", True),  # a machine's name on the local network
        ("teachers-mac.local:8000", True),  # mDNS
        ("lab.example.edu", True),  # the public URL's host
        ("classroom.school.example:8000", True),  # listed
        ("evil.example:8000", False),  # a name public DNS answers: a rebinding page's
        ("lab.example.edu.evil.example", False),
        ("a" * 3000, False),
    ],
)
def test_host_allowed(host: str | None, allowed: bool) -> None:
    settings = Settings(public_url="https://lab.example.edu/", allowed_hosts=["Classroom.School.Example"])
    assert host_allowed(host, settings) is allowed


def test_any_host_when_listed_as_a_star() -> None:
    assert host_allowed("evil.example", Settings(allowed_hosts=["*"]))
    assert not host_allowed("a" * 3000, Settings(allowed_hosts=["*"]))  # still a well-formed one


def test_allowed_hosts_come_comma_separated_from_the_environment() -> None:
    settings = Settings.from_env({"BACKPROP_LAB_ALLOWED_HOSTS": "lab.school.example, other.example"})
    assert settings.allowed_hosts == ["lab.school.example", "other.example"]


def forbidden_host(response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "forbidden_host" and "host" in body["message"]


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/rooms/ABCDEF", "/join/ABCDEF", "/static/css/app.css"])
def test_a_rebound_name_reaches_nothing(client: TestClient, path: str) -> None:
    forbidden_host(client.get(path, headers={"host": "evil.example:8000"}))
    forbidden_host(client.get(path, headers={"host": "a" * 3000}))


def test_a_rebound_name_cannot_open_rooms_or_sockets(client: TestClient) -> None:
    # after rebinding the page's Origin matches the Host it sends: only the Host check stops it
    evil = {"host": "evil.example:8000", "origin": "http://evil.example:8000"}
    forbidden_host(client.post("/api/rooms", headers=evil))
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/room", headers=evil):
        pass
    assert refused.value.code == 1008


def test_join_links_and_qr_codes_come_from_the_validated_host(client: TestClient) -> None:
    room = client.post("/api/rooms", headers={"host": "10.0.4.17:8000"}).json()
    assert room["join_url"] == f"http://10.0.4.17:8000/join/{room['code']}"
    qr = client.get(room["qr_url"], headers={"host": "a" * 3000})
    forbidden_host(qr)
    assert client.get(room["qr_url"], headers={"host": "teacher-pc:8000"}).status_code == 200


def test_a_long_host_on_a_real_server_is_a_400_not_a_500(start_server: Callable[..., AbstractContextManager[str]]):
    with start_server() as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        code = json.loads(raw_request(host, int(port), "POST", "/api/rooms", "127.0.0.1")[1])["code"]
        for path in ("/", f"/api/rooms/{code}/qr.svg", f"/api/rooms/{code}"):
            status, body = raw_request(host, int(port), "GET", path, "x" * 3000)
            assert status == 400 and json.loads(body)["code"] == "forbidden_host"
        status, body = raw_request(host, int(port), "GET", f"/api/rooms/{code}/qr.svg", "localhost")
        assert status == 200 and body.startswith("<svg")


def raw_request(host: str, port: int, method: str, path: str, host_header: str) -> tuple[int, str]:
    """One HTTP/1.1 request with exactly this Host header (clients refuse to send some); status and body."""
    with socket.create_connection((host, port), timeout=5) as sock:
        head = f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode())
        data = b""
        while chunk := sock.recv(65_536):
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), body.decode()
