"""HTTP routes of the web layer: home page, registry pages, health check, static files."""

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from app import __version__
from app.server.pages import PAGES, Page
from app.server.routes.pages import _page_handler


def test_home_page_names_the_app_and_has_a_card_linking_to_every_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "backprop-lab" in html
    assert html.count('data-testid="page-card"') == len(PAGES)
    for page in PAGES:
        assert f'href="{page.path}"' in html
        assert escape(page.title) in html
        assert escape(page.summary) in html


def test_healthz_reports_ok_the_version_and_the_loaded_lenet(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "lenet": "loaded",
        "rooms": "sqlite",
        "rooms_reachable": True,
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.slug)
def test_every_registry_page_answers_200_with_its_title_and_summary(client: TestClient, page: Page) -> None:
    response = client.get(page.path)
    assert response.status_code == 200
    assert escape(page.title) in response.text
    assert escape(page.summary) in response.text


def test_a_page_not_ready_yet_says_coming_soon(client: TestClient) -> None:
    page = Page("future", "A future page", "What it will show.")  # every registry page is ready now
    client.app.router.add_api_route(page.path, _page_handler(page), methods=["GET"])
    html = client.get(page.path).text
    assert "Coming soon" in html and "A future page" in html and "What it will show." in html


def test_nav_marks_the_current_page(client: TestClient) -> None:
    page = PAGES[0]
    html = client.get(page.path).text
    assert f'<a href="{page.path}" aria-current="page">' in html
    assert html.count('aria-current="page"') == 1


def test_stylesheet_is_served_from_static(client: TestClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ":root" in response.text


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_unknown_path_answers_404(client: TestClient) -> None:
    assert client.get("/no-such-page").status_code == 404


def test_a_mistyped_page_address_answers_a_not_found_page_with_the_navigation(client: TestClient) -> None:
    response = client.get("/lenett/<b>x</b>", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'data-testid="not-found"' in html and "Page not found" in html
    assert 'data-testid="nav"' in html
    for page in PAGES:
        assert html.count(f'href="{page.path}"') >= 2  # the navigation and the page's card
    assert "/lenett/&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html, "the address is text, never HTML"


@pytest.mark.parametrize("path", ["/api/nope", "/api/rooms/ABC/nope", "/api/predict/x"])
def test_api_addresses_keep_json_404s_even_for_a_browser(client: TestClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_clients_that_do_not_ask_for_html_keep_the_json_404(client: TestClient, accept: str | None) -> None:
    response = client.get("/no-such-page", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_other_http_errors_keep_their_json(client: TestClient) -> None:
    response = client.post("/healthz", headers=BROWSER)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


def test_cdn_backed_api_docs_are_replaced_by_a_server_rendered_page(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "<script" not in docs.text
    assert "/api/predict" in docs.text
    assert client.get("/redoc").status_code == 404
