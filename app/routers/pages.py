"""HTML pages: the home page and the labs. Each lab page is a shell; its module fetches the numbers."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from engine.shapes import PADDING_MODES

from ..presets import CONV_PRESETS, POOL_PRESETS
from ..templating import render

router = APIRouter(include_in_schema=False)

# Activations offered by the convolution lab: those that act on one number with their defaults.
CONV_ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "gelu", "silu")


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    return render(request, "home.html")


@router.get("/conv", response_class=HTMLResponse)
def conv_lab(request: Request):
    return render(request, "conv.html", presets=CONV_PRESETS, activations=CONV_ACTIVATIONS, padding_modes=PADDING_MODES)


@router.get("/pool", response_class=HTMLResponse)
def pool_lab(request: Request):
    return render(request, "pool.html", presets=POOL_PRESETS)


def answer_head(router: APIRouter) -> None:
    """Let every page (a GET route outside ``/api/`` and the schema: the labs, the API docs) answer
    HEAD as well as GET: link checkers and ``curl -I`` ask with HEAD, and FastAPI's ``get`` routes
    answer it 405. The server sends the headers only."""
    for route in router.routes:
        if (
            isinstance(route, APIRoute)
            and "GET" in route.methods
            and not route.include_in_schema
            and not route.path.startswith("/api/")
        ):
            route.methods.add("HEAD")
