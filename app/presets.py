"""The worked examples of the course notes, as lab presets (``/conv?preset=basic``).

The inputs are those of the course notes' worked-examples file, ``textbook_cases.json`` (the tests check that they match
and that the engine's outputs are the notes' outputs). The package cannot read that file at run
time, so the inputs live here.

``multichannel`` is our own example: the notes show a 3-channel 4x4 input and a 3-channel 3x3
filter giving one 2x2 map, but not all of their numbers, so these numbers are made up.
"""

from engine.demos import SHIFT_DEMO_INPUT

_GRID3 = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
_KERNEL2 = [[0, 1], [2, 3]]
_IMAGE5 = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
_CROSS3 = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]

CONV_PRESETS: dict[str, dict] = {
    "basic": {"input": _GRID3, "kernel": _KERNEL2, "bias": 0, "stride": 1, "padding": 0},
    "bias": {"input": _GRID3, "kernel": _KERNEL2, "bias": 2, "stride": 1, "padding": 0},
    "padding": {"input": _GRID3, "kernel": _KERNEL2, "bias": 0, "stride": 1, "padding": 1},
    "stride": {
        "input": [[1, 2, 3, 4], [5, 9, 6, 7], [9, 0, 3, 2], [1, 2, 3, 4]],
        "kernel": [[1, 2], [3, 4]],
        "bias": 0,
        "stride": 2,
        "padding": 0,
    },
    "relu5x5": {"input": _IMAGE5, "kernel": _CROSS3, "bias": 0, "stride": 1, "padding": 0, "activation": "relu"},
    "relu5x5-stride2": {
        "input": _IMAGE5,
        "kernel": _CROSS3,
        "bias": 0,
        "stride": 2,
        "padding": 0,
        "activation": "relu",
    },
    "multichannel": {
        "input": [
            [[1, 0, 2, 1], [0, 1, 3, 2], [2, 1, 0, 1], [1, 2, 1, 0]],
            [[2, 1, 0, 1], [1, 3, 1, 0], [0, 2, 2, 1], [1, 0, 1, 2]],
            [[0, 1, 1, 2], [3, 0, 1, 1], [1, 1, 2, 0], [2, 1, 0, 1]],
        ],
        "kernel": [
            [[[1, 0, 1], [0, 1, 0], [1, 0, 1]], [[0, 1, 0], [1, 1, 1], [0, 1, 0]], [[1, 1, 0], [0, 0, 0], [0, 1, 1]]]
        ],
        "bias": [1],
        "stride": 1,
        "padding": 0,
    },
    # Our own: a stride that does not divide the room left, floor((6 - 3) / 2) + 1 = 2 columns, as in
    # PyTorch: the windows start at columns 1 and 3, and column 6 is never read.
    "floor": {
        "input": [[1, 0, 2, 1, 0, 9], [0, 1, 3, 2, 1, 9], [2, 1, 0, 1, 2, 9], [1, 2, 1, 0, 1, 9], [0, 1, 2, 1, 0, 9]],
        "kernel": [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
        "bias": 0,
        "stride": 2,
        "padding": 0,
    },
    # Our own: "same" with a 2x2 kernel needs 1 row and 1 column of padding in all; PyTorch puts them
    # at the bottom and the right (top 0, bottom 1, left 0, right 1), so the 4x4 input gives a 4x4 map.
    "same-even": {
        "input": [[1, 2, 0, 1], [3, 1, 2, 0], [0, 2, 1, 3], [1, 0, 3, 2]],
        "kernel": [[1, -1], [2, 0]],
        "bias": 0,
        "stride": 1,
        "padding": "same",
        "padding_mode": "zeros",
    },
    # Our own: reflect padding 1 around a 4x4 input: the border mirrors the input (the edge not
    # repeated), so a vertical-edge kernel sees no jump where zeros would make one.
    "reflect": {
        "input": [[5, 5, 5, 1], [5, 5, 5, 1], [5, 5, 5, 1], [5, 5, 5, 1]],
        "kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "bias": 0,
        "stride": 1,
        "padding": 1,
        "padding_mode": "reflect",
    },
}

POOL_INPUT = [[1, 2, 3, 3], [0, 1, 1, 5], [3, 0, 1, 0], [1, 4, 1, 2]]

POOL_PRESETS: dict[str, dict] = {
    "max": {"input": POOL_INPUT, "mode": "max", "size": 2, "stride": 2, "padding": 0},
    "avg": {"input": POOL_INPUT, "mode": "avg", "size": 2, "stride": 2, "padding": 0},
    # Our own feature map for the translation demo (engine.demos.SHIFT_DEMO_INPUT): shifted one pixel
    # in any direction, 63 or 64 of its 64 cells change but only 4 of the 16 max-pooled outputs do.
    "shift": {"input": SHIFT_DEMO_INPUT, "mode": "max", "size": 2, "stride": 2, "padding": 0, "shift": "right"},
    # Our own: 5x5, 2x2 windows, stride 2. Rounding down (PyTorch's default) gives 2x2 and never reads
    # the last row and column (the 9s); ceil_mode gives ceil(3 / 2) + 1 = 3x3, the last windows cut.
    "ceil": {
        "input": [[1, 2, 3, 3, 9], [0, 1, 1, 5, 9], [3, 0, 1, 0, 9], [1, 4, 1, 2, 9], [9, 9, 9, 9, 9]],
        "mode": "max",
        "size": 2,
        "stride": 2,
        "padding": 0,
        "ceil_mode": True,
    },
}
