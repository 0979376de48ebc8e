"""Wires the app together: routers, error handlers, the body-size limit, static files. No logic lives here."""
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import error_handlers
from .limits import BodySizeLimit
from .paths import STATIC_DIR
from .responses import JSONResponse
from .routers import activations, backprop, conv, draw, filters, health, learn, pages, pool, runs
from .settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="CNN Playground", version="0.1.0", default_response_class=JSONResponse,
                  description="A NumPy CNN engine behind a visual playground. Every number on the "
                              "pages comes from these endpoints. Errors answer 4xx with `detail` "
                              "(a message in the request's language: `?lang=`, the `lang` cookie "
                              "or Accept-Language) and a stable `code`.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    error_handlers.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for module in (health, pages, conv, pool, activations, filters, draw, backprop, learn, runs):
        app.include_router(module.router)
    return app


app = create_app()
