"""Every HTTP response carries the Content-Security-Policy and the usual protective headers."""

import pytest
from fastapi.testclient import TestClient

from app.server.pages import PAGES
from app.server.security import HEADERS

PATHS = ["/", "/healthz", "/static/css/app.css", "/no-such-page", *[page.path for page in PAGES]]


@pytest.mark.parametrize("path", PATHS)
def test_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name


def test_policy_allows_no_inline_script_and_no_other_site(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "http" not in policy
