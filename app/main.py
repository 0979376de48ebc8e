"""Wires the app together: routers, static files, templates. No logic lives here."""
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .paths import STATIC_DIR
from .routers import health, pages


def create_app() -> FastAPI:
    app = FastAPI(title="CNN Playground", version="0.1.0",
                  description="A NumPy CNN engine behind a visual playground. Every number on the "
                              "pages comes from these endpoints.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    return app


app = create_app()
