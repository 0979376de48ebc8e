"""The Jinja2 environment: every page gets ``t(key)`` in the request's language.

Pages also get ``messages`` (the whole catalogue, embedded for the browser's ``i18n.js``),
``presenter`` (``presenter=1`` in the URL) and ``labs``: the home page's cards and the top
navigation, each marked available once the app serves its path.
"""

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.routing import Match

from .i18n import LANGUAGES, catalogue, request_language, translate
from .paths import TEMPLATES_DIR

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# A count as both catalogues write one, grouped by thousands: 20,000 (the same as static/js/format.js).
templates.env.filters["count"] = lambda n: f"{int(n):,}"

# (catalogue key under "home.", path): the labs in the order the home page shows them.
LABS = (
    ("conv", "/conv"),
    ("filters", "/filters"),
    ("pool", "/pool"),
    ("act", "/activations"),
    ("learn", "/learn"),
    ("draw", "/draw"),
    ("transposed", "/transposed"),
)


def _serves(request: Request, path: str) -> bool:
    """Whether the app answers GET ``path`` (asked of the router, so included routers count)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "path_params": {},
        "app": request.app,
        "headers": [],
        "query_string": b"",
    }
    for route in request.app.router.routes:
        try:
            if route.matches(scope)[0] == Match.FULL:
                return True
        except (KeyError, AttributeError):
            continue
    return False


def render(request: Request, name: str, **context):
    """Render a page in the request's language, remembering the language in a cookie."""
    lang = request_language(request)
    presenter = request.query_params.get("presenter") == "1"
    labs = [{"key": key, "href": href, "available": _serves(request, href)} for key, href in LABS]
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "languages": LANGUAGES,
            "presenter": presenter,
            "messages": catalogue(lang),
            "labs": labs,
            "current_path": request.url.path,
            "t": lambda key, **params: translate(lang, key, **params),
            **context,
        },
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
