"""What a browser may ask of this server, and the security headers of every HTTP response.

- Host: every request (HTTP and websocket) must name a host this server answers to (`host_allowed`), so a page
  whose DNS name is rebound to this server's address (DNS rebinding) reaches nothing, and join links and QR codes,
  built from the Host, only ever carry a validated one. By default that is any IP address, `localhost` (and names
  under `.localhost`), a name without a dot (a machine's name on the local network, e.g. `teacher-pc`), a `.local`
  name (mDNS), the host of BACKPROP_LAB_PUBLIC_URL, the name given to `serve --host`, and the names listed in
  BACKPROP_LAB_ALLOWED_HOSTS (`*` allows any). None of these defaults is a name public DNS answers, so no page on
  the internet can rebind one of them; a dotted name students use must be listed. Anything else is a 400.
- Origin: the Origin of a websocket handshake and of every state-changing request (any method but GET, HEAD and
  OPTIONS) must be the server itself or an allowed origin (`origin_allowed`, the one definition of that rule), so
  a page elsewhere cannot make a visitor's browser upload drawings or open rooms. A request without an Origin is a
  script's and passes, unless its `Sec-Fetch-Site` says a browser sent it from another site. Refused: a JSON 403.
- Headers: a Content-Security-Policy that allows only the app's own scripts, styles and websockets (no inline
  script, no CDN), and the usual nosniff, framing and referrer headers.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP response (websockets pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_HOST_LENGTH = 261  # a DNS name of 253 characters, a colon and a port
LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
HOST = re.compile(rf"(?:(?P<name>{LABEL}(?:\.{LABEL})*\.?)|\[(?P<ipv6>[0-9a-f:.]+)\])(?::(?P<port>[0-9]{{1,5}}))?")


def hostname(host: str) -> str | None:
    """The host name (lower case, no port, no trailing dot; an IPv6 address without brackets) of a Host header,
    or None when it is not a well-formed host[:port]."""
    host = host.lower()
    match = HOST.fullmatch(host) if len(host) <= MAX_HOST_LENGTH else None
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ipv6"]))
        except ValueError:
            return None
    return match["name"].rstrip(".")


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str | None, settings: Settings) -> bool:
    """Whether a request's Host header names this server (see the module's docstring). A request without one (an
    HTTP/1.0 script) is answered with the server's own address."""
    if host is None:
        return True
    name = hostname(host)
    if name is None:
        return False
    if is_ip(name) or name == "localhost" or name.endswith((".localhost", ".local")) or "." not in name:
        return True
    listed = {entry.lower().rstrip(".") for entry in settings.allowed_hosts}
    public = urlsplit(settings.public_url).hostname if settings.public_url else None
    return "*" in listed or name in listed or name == public or name == settings.host.lower().rstrip(".")


def own_origin(settings: Settings) -> str | None:
    """The origin of BACKPROP_LAB_PUBLIC_URL (scheme://host[:port]), when one is set."""
    if not settings.public_url:
        return None
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    """The one rule for browsers' requests: an Origin must be this server itself (the Host it was sent to, or the
    public URL) or one of BACKPROP_LAB_ALLOWED_ORIGINS. Without an Origin (scripts), a request passes unless its
    Sec-Fetch-Site says a browser sent it from another site."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "same-origin").lower() in ("same-origin", "none")
    if origin in settings.allowed_origins or origin.lower() == own_origin(settings):
        return True
    host = headers.get("host")
    return host is not None and urlsplit(origin).netloc.lower() == host.lower() and origin.lower() != "null"


def client_of(scope: Scope) -> str:
    """host:port of the client, for the log."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown"


class RequestGuard:
    """ASGI middleware refusing what a browser must not be made to do: requests to a Host this server does not
    answer to (400), and websocket handshakes and state-changing requests from another Origin (403)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # the websocket loop's log line (app/server/ws.py), or its HTTP twin; a header is cut short in the log
        event = "ws_refused" if scope["type"] == "websocket" else "http_refused"
        where = f"path={scope['path']} client={client_of(scope)}"
        if not host_allowed(headers.get("host"), self.settings):
            logger.warning("%s reason=host host=%.100s %s", event, headers.get("host"), where)
            message = (
                "this server does not answer to that host name; use its address, or ask its operator to add the name "
                "to BACKPROP_LAB_ALLOWED_HOSTS"
            )
            await refuse(scope, send, 400, "forbidden_host", message)
            return
        if (scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS) and not origin_allowed(
            headers, self.settings
        ):
            logger.warning("%s reason=origin origin=%.100s %s", event, headers.get("origin"), where)
            message = (
                "a page on another site cannot send this to the server; open the app's own page, or ask its operator "
                "to add that origin to BACKPROP_LAB_ALLOWED_ORIGINS"
            )
            await refuse(scope, send, 403, "forbidden_origin", message)
            return
        await self.app(scope, receive, send)


async def refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    """Answer a refused request with a JSON {code, message} (a websocket handshake: closed with 1008 before it
    opens, which the server answers with a 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = json.dumps({"code": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
