"""Pictures the image-filter lab offers: two photos shipped here, and MNIST digits.

- ``photos.npz`` (made by ``scripts/make_filter_photos.py``; see ``PHOTOS-ATTRIBUTION.txt``): the
  astronaut (NASA, public domain) and the cameraman (CC0), grayscale uint8, 280 rows x 320 columns.
- ``digit-0`` ... ``digit-9``: the first test image of each digit in the MNIST sample bundled with
  the engine (:func:`engine.data.load_sample`), 28 x 28.

Every picture is a (H, W) uint8 array, 0 = black and 255 = white (MNIST: 0 = background).
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from engine import data
from engine.errors import EngineError

PHOTOS_PATH = Path(__file__).resolve().parent / "photos.npz"
PHOTOS = ("astronaut", "camera")
DIGITS = tuple(f"digit-{d}" for d in range(10))
NAMES = PHOTOS + DIGITS


@lru_cache(maxsize=1)
def _photos() -> dict[str, np.ndarray]:
    with np.load(PHOTOS_PATH) as npz:
        return {name: npz[name] for name in PHOTOS}


@lru_cache(maxsize=1)
def _digits() -> dict[str, np.ndarray]:
    sample = data.load_sample()
    out = {}
    for d in range(10):
        first = int(np.flatnonzero(sample.test_labels == d)[0])
        out[f"digit-{d}"] = sample.test_images[first]
    return out


def load(name: str) -> np.ndarray:
    """The picture ``name`` as a read-only (H, W) uint8 array, or an EngineError listing the names."""
    if name in PHOTOS:
        image = _photos()[name]
    elif name in DIGITS:
        image = _digits()[name]
    else:
        raise EngineError(
            "unknown_sample",
            f"there is no sample picture called {name[:40]!r}; known: {', '.join(NAMES)}",
            name=name[:40],
            known=list(NAMES),
        )
    image.flags.writeable = False
    return image


def listing() -> list[dict]:
    """Every picture's ``name``, ``kind`` ("photo" or "digit"), ``width`` and ``height``."""
    return [
        {
            "name": name,
            "kind": "photo" if name in PHOTOS else "digit",
            "width": int(load(name).shape[1]),
            "height": int(load(name).shape[0]),
        }
        for name in NAMES
    ]
