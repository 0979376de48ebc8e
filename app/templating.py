"""The Jinja2 environment: every page gets ``t(key)`` in the request's language."""
from fastapi import Request
from fastapi.templating import Jinja2Templates

from .i18n import LANGUAGES, catalogue, request_language, translate
from .paths import TEMPLATES_DIR

templates = Jinja2Templates(directory=TEMPLATES_DIR)


def render(request: Request, name: str, **context):
    """Render a page in the request's language, remembering the language in a cookie."""
    lang = request_language(request)
    presenter = request.query_params.get("presenter") == "1"
    response = templates.TemplateResponse(request, name, {
        "lang": lang, "languages": LANGUAGES, "presenter": presenter, "messages": catalogue(lang),
        "t": lambda key, **params: translate(lang, key, **params), **context})
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
