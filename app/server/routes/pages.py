"""HTML pages: the home page, one route per registry page (a "coming soon" page until it is ready), and the
"not found" page a browser gets for a mistyped address."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from app.server.deps import Templates
from app.server.pages import PAGES, Page

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/")
def home(request: Request, templates: Templates) -> HTMLResponse:
    """The home page: what the app is, and a card for every page."""
    return templates.TemplateResponse(request, "home.html")


def _page_handler(page: Page) -> Callable[[Request, Jinja2Templates], HTMLResponse]:
    """A handler rendering `page`, or the coming-soon page naming what it will show."""

    def show_page(request: Request, templates: Templates) -> HTMLResponse:
        """Render the page's own template once it is ready, else the coming-soon template."""
        template = page.template if page.ready else "coming_soon.html"
        return templates.TemplateResponse(request, template, {"page": page})

    return show_page


for _page in PAGES:
    router.add_api_route(_page.path, _page_handler(_page), methods=["GET"], name=_page.slug)


def wants_html(request: Request) -> bool:
    """Whether a request is a browser's for a page: not the API's, and asking for HTML by name (not just */*)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def not_found(request: Request, error: HTTPException) -> Response:
    """A 404 for a browser is a page with the navigation; the API and other clients keep FastAPI's JSON."""
    if error.status_code == 404 and wants_html(request):
        return request.app.state.templates.TemplateResponse(
            request, "not_found.html", {"path": request.url.path}, status_code=404
        )
    return await http_exception_handler(request, error)
