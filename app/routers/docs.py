"""The API documentation, offline: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc).

Their scripts and styles are the ones the ``fastapi-offline`` package ships (Swagger UI, Apache 2.0;
ReDoc, MIT; their licences travel with that package), served from our own origin under
``/docs-assets`` instead of FastAPI's CDN. FastAPI's own Swagger page starts Swagger UI with an
inline script, which our Content-Security-Policy forbids: this page starts it from
``static/js/swagger_init.js`` instead, reading its settings from a JSON data block. So both pages
work under the site's policy (ReDoc also needs inline styles: see :mod:`app.security`; and
``static/js/redoc_offline.js`` keeps it from asking for its logo from the internet).
"""

import json
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - Swagger UI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script type="application/json" id="swagger-config">{config}</script>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger_init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - ReDoc</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="/static/js/redoc_offline.js"></script>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def mount_assets(app) -> None:
    """Serve the packaged Swagger UI and ReDoc files under ``/docs-assets``."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")


def _page(template: str, request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    openapi = root + request.app.openapi_url
    config = json.dumps({"url": openapi}).replace("<", "\\u003c")  # (cannot end the script block)
    return HTMLResponse(
        template.format(
            title=escape(request.app.title), assets=escape(root + ASSETS_URL), openapi=escape(openapi), config=config
        )
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(_SWAGGER, request)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return _page(_REDOC, request)
