"""The learning pages: the backprop walkthrough (/learn/backprop) and live training (/learn).

Each page is a shell; its module fetches every number from the API (/api/backprop, /api/runs,
/api/networks/check) and the run's websocket.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from engine.data import dataset_sizes
from engine.presets import PRESETS
from engine.shapes import PADDING_MODES
from engine.walkthrough import DEFAULTS

from ..deps import SettingsDep
from ..runs.base import MAX_PACE
from ..runs.deps import mnist_available
from ..schemas.runs import MAX_BATCH, MAX_EPOCHS, OPTIMIZERS
from ..templating import render

router = APIRouter(include_in_schema=False)

# Layer kinds the builder adds; "activation" stands for any of ACTIVATIONS.
BUILDER_KINDS = (
    "conv",
    "conv_transpose",
    "maxpool",
    "avgpool",
    "activation",
    "dropout",
    "flatten",
    "dense",
    "batchnorm2d",
    "batchnorm1d",
    "branches",
)
ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softplus")


@router.get("/learn", response_class=HTMLResponse)
def learn(request: Request, settings: SettingsDep):
    options = {
        "presets": PRESETS,
        "datasets": {"sample": True, "mnist": mnist_available(settings.data_dir)},
        "sizes": dataset_sizes(),
        "optimizers": list(OPTIMIZERS),
        "kinds": list(BUILDER_KINDS),
        "activations": list(ACTIVATIONS),
        "padding_modes": list(PADDING_MODES),
        "limits": {
            "max_epochs": MAX_EPOCHS,
            "max_batch_size": MAX_BATCH,
            "max_params": settings.max_model_params,
            "max_run_seconds": settings.max_run_seconds,
            "max_pace": MAX_PACE,
        },
    }
    return render(request, "learn.html", options=options)


@router.get("/learn/backprop", response_class=HTMLResponse)
def backprop_page(request: Request):
    return render(request, "backprop.html", defaults=DEFAULTS)
