"""HTML pages: the home page, and one route per registry page (a "coming soon" page until it is ready)."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.server.pages import PAGES, Page

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/")
def home(request: Request) -> HTMLResponse:
    """The home page: what the app is, and a card for every page."""
    return request.app.state.templates.TemplateResponse(request, "home.html")


def _page_handler(page: Page) -> Callable[[Request], HTMLResponse]:
    """A handler rendering `page`, or the coming-soon page naming what it will show."""

    def show_page(request: Request) -> HTMLResponse:
        """Render the page's own template once it is ready, else the coming-soon template."""
        template = page.template if page.ready else "coming_soon.html"
        return request.app.state.templates.TemplateResponse(request, template, {"page": page})

    return show_page


for _page in PAGES:
    router.add_api_route(_page.path, _page_handler(_page), methods=["GET"], name=_page.slug)
