"""Ready-made networks for MNIST, as specs (see :mod:`engine.model`)."""

import copy

# Weights and biases start as PyTorch's defaults do (``init: "lecun"``, uniform in +-1/sqrt(fan_in)):
# with momentum SGD at lr 0.05, He-initialised LeNet-5 starts slower and ends an epoch 1 to 3 points lower.
PRESETS = {
    # LeCun et al.'s LeNet-5 as used today: ReLU and max-pooling instead of tanh and subsampling.
    "lenet5": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 6, "kernel": 5, "padding": 2},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": 16, "kernel": 5},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 120},
            {"type": "relu"},
            {"type": "dense", "units": 84},
            {"type": "relu"},
            {"type": "dense", "units": 10},
        ],
    },
    # The notes' architecture: Input -> [conv -> pool] x 2 -> FC x 2.
    "notes": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": 16, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 64},
            {"type": "relu"},
            {"type": "dense", "units": 10},
        ],
    },
    # Small and fast: trains in seconds, for live demonstrations on slow machines.
    "tiny": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 4, "kernel": 5},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    },
    # A small residual network (He et al. 2016): two residual blocks, x + conv(relu(conv(x))), each
    # followed by a ReLU, on 8 channels at 14x14.
    "resnet": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            *[
                entry
                for _ in range(2)
                for entry in (
                    {
                        "type": "branches",
                        "merge": "add",
                        "paths": [
                            [
                                {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
                                {"type": "relu"},
                                {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
                            ],
                            [],
                        ],
                    },
                    {"type": "relu"},
                )
            ],
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    },
    # A small Inception network (Szegedy et al. 2014): one module whose four paths (1x1; 1x1 then 3x3;
    # 1x1 then 5x5; 3x3 max-pooling then 1x1) are joined along channels, 8 + 8 + 4 + 4 = 24.
    "inception": {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {
                "type": "branches",
                "merge": "concat",
                "paths": [
                    [{"type": "conv", "filters": 8, "kernel": 1}, {"type": "relu"}],
                    [
                        {"type": "conv", "filters": 8, "kernel": 1},
                        {"type": "relu"},
                        {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
                        {"type": "relu"},
                    ],
                    [
                        {"type": "conv", "filters": 4, "kernel": 1},
                        {"type": "relu"},
                        {"type": "conv", "filters": 4, "kernel": 5, "padding": 2},
                        {"type": "relu"},
                    ],
                    [
                        {"type": "maxpool", "size": 3, "stride": 1, "padding": 1},
                        {"type": "conv", "filters": 4, "kernel": 1},
                        {"type": "relu"},
                    ],
                ],
            },
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    },
}


def preset(name: str) -> dict:
    """A copy of a preset spec (callers may edit it)."""
    from .errors import EngineError

    if name not in PRESETS:
        raise EngineError(
            "unknown_preset",
            f"unknown network preset {name!r}; choose one of {', '.join(PRESETS)}",
            preset=str(name),
            known=list(PRESETS),
        )
    return copy.deepcopy(PRESETS[name])
