"""Training events as JSON messages: the bridge between the engine's event stream and the websocket.

The engine's events (:mod:`engine.train`) hold NumPy arrays; this module turns each into a plain
JSON-able dict with the same ``type`` and numbers, and turns images into compact pixels:

- ``snapshot``: ``filters`` of the first conv layer as ``{"shape": [F, C, kh, kw], "scale": max |w|,
  "levels": round(255 * w / scale)}`` (a diverging colour scale), and for each image layer asked
  for (``map_layers``: the conv and pooling layers) ``{"layer", "shape": [C, H, W], "min", "max",
  "pixels"}`` where ``pixels`` are the maps scaled to 0..255 over the layer's range, as base64 of
  uint8 bytes in (C, H, W) order; plus the probe digit itself (``probe``, 28x28 pixels, base64).
- ``epoch``: the confusion matrix as lists, and every misclassified test digit with its 28x28
  pixels (base64 uint8, 0 = background), so the page draws them without asking for images.

Pixels are base64 because a snapshot of LeNet-5 has some 15,000 of them and is sent to every
viewer: as bytes they are a fifth of their JSON-number size. Everything else is plain JSON.
"""

import base64
import math

import numpy as np

from .. import arrays


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _pixels(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def _scaled(a: np.ndarray) -> tuple[str, float, float]:
    """A layer's maps as 0..255 over its own range, with that range."""
    a = np.asarray(a, dtype=np.float64)
    a = np.where(np.isfinite(a), a, 0.0)
    lo, hi = float(a.min()), float(a.max())
    span = hi - lo
    levels = np.zeros(a.shape) if span <= 0 else (a - lo) * (255.0 / span)
    return _pixels(np.rint(levels)), lo, hi


def filters_json(w: np.ndarray | None) -> dict | None:
    """The first conv layer's weights (F, C, kh, kw) with their colour levels."""
    if w is None:
        return None
    w = np.asarray(w, dtype=np.float64)
    w = np.where(np.isfinite(w), w, 0.0)
    scale = float(np.abs(w).max())
    levels = np.zeros(w.shape, dtype=np.int64) if scale == 0 else np.rint(w * (255.0 / scale)).astype(np.int64)
    return {"shape": list(w.shape), "scale": scale, "levels": levels.tolist()}


def snapshot_json(event: dict, probe: np.ndarray, map_layers=None) -> dict:
    maps = []
    for name, a in event["feature_maps"]:
        if map_layers is not None and name not in map_layers:
            continue
        pixels, lo, hi = _scaled(a)
        maps.append({"layer": name, "shape": list(a.shape), "min": lo, "max": hi, "pixels": pixels})
    return {
        "type": "snapshot",
        "step": event["step"],
        "epoch": event["epoch"],
        "probe_label": event["probe_label"],
        "probe": _pixels(probe),
        "filters": filters_json(event["filters"]),
        "maps": maps,
    }


def epoch_json(event: dict, images: np.ndarray) -> dict:
    out = {k: event[k] for k in ("epoch", "step")}
    out.update({k: _finite(event[k]) for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")})
    out["confusion"] = np.asarray(event["confusion"]).astype(int).tolist()
    out["mistakes"] = [{**m, "pixels": _pixels(images[m["index"]])} for m in event["mistakes"]]
    return {"type": "epoch", **out}


def to_message(event: dict, val_images: np.ndarray, map_layers=None) -> dict:
    """One engine event as a JSON-able message (``val_images``: the images mistakes and the probe index;
    ``map_layers``: the names of the layers whose feature maps a snapshot carries, None for all)."""
    kind = event["type"]
    if kind == "snapshot":
        return snapshot_json(event, val_images[0], map_layers)
    if kind == "epoch":
        return epoch_json(event, val_images)
    out = {}
    for key, value in event.items():
        if isinstance(value, np.ndarray):
            out[key] = arrays.to_json(value, key)
        elif isinstance(value, (float, np.floating)):
            out[key] = _finite(value)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        else:
            out[key] = value
    return out
