"""Wires the app together: routers, error handlers, middleware, static files. No logic lives here."""

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from . import error_handlers
from .classes import ClassRegistry
from .client_limits import ConnectionLimits
from .deps import no_unknown_query, no_unread_body
from .hosts import allowed_hosts
from .limits import BodySizeLimit
from .paths import STATIC_DIR
from .responses import JSONResponse
from .routers import (
    activations,
    backprop,
    classes,
    conv,
    conv_transpose,
    docs,
    draw,
    export,
    filters,
    health,
    learn,
    pages,
    pool,
    runs,
)
from .schemas.common import ErrorResponse
from .security import HostCheck, SameOriginCheck, SecurityHeaders
from .settings import Settings, get_settings

# Answers any operation may give before its route runs (app/security.py, app/client_limits.py).
REFUSALS = {
    400: {
        "model": ErrorResponse,
        "description": "`bad_host`: the Host header is not a name of this server; "
        "`unreadable_body`: a body that cannot be read as JSON",
    },
    403: {"model": ErrorResponse, "description": "`cross_site`: sent by a page of another site"},
    415: {"model": ErrorResponse, "description": "`json_required`: a body that is not JSON (a form post)"},
    429: {
        "model": ErrorResponse,
        "description": "`too_many_requests`, `server_busy`: too many open requests from this client, or overall",
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="CNN Playground",
        version="0.1.0",
        default_response_class=JSONResponse,
        docs_url=None,
        redoc_url=None,
        responses=REFUSALS,
        dependencies=[Depends(no_unread_body), Depends(no_unknown_query)],
        description="A NumPy CNN engine behind a visual playground. Every number on the "
        "pages comes from these endpoints. Errors answer 4xx with `detail` "
        "(a message in the request's language: `?lang=`, the `lang` cookie "
        "or Accept-Language) and a stable `code`.",
    )
    docs.mount_assets(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    error_handlers.install(app)
    # Added innermost first: a request meets the security headers, the connection limits, the Host
    # check, the origin check and then the body-size limit.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SameOriginCheck, allowed_origins=settings.allowed_origins)
    app.add_middleware(HostCheck, allowed_hosts=allowed_hosts(settings.listen_host, settings.allowed_hosts))
    app.add_middleware(
        ConnectionLimits,
        limits={
            "http": (settings.max_requests_per_client, settings.max_requests),
            "websocket": (settings.max_websockets_per_client, settings.max_websockets),
        },
    )
    app.add_middleware(SecurityHeaders)
    app.state.listen_host = settings.listen_host  # (the classes' join URLs: app/routers/classes.py)
    app.state.classes = ClassRegistry(
        settings.max_classes,
        settings.max_classes_per_client,
        settings.max_followers_per_class,
        settings.class_idle_seconds,
    )
    for module in (
        health,
        pages,
        conv,
        conv_transpose,
        pool,
        activations,
        filters,
        draw,
        backprop,
        learn,
        runs,
        classes,
        export,
        docs,
    ):
        pages.answer_head(module.router)
        app.include_router(module.router)
    return app


app = create_app()
