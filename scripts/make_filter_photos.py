"""Make the photos bundled for the image-filter lab, reproducibly, from scikit-image's sample data.

    python -m venv /tmp/imgvenv && /tmp/imgvenv/bin/pip install scikit-image==0.26.0 numpy
    /tmp/imgvenv/bin/python scripts/make_filter_photos.py --out app/samples

scikit-image is NOT a dependency of CNN Playground: it is only needed once, in a throwaway
environment, to run this script. The script takes two photographs that scikit-image ships in its
``skimage/data`` folder, both free of copyright restrictions according to scikit-image's own
documentation of its data (the docstrings of ``skimage.data.astronaut`` and ``skimage.data.camera``):

- ``astronaut``: Eileen Collins, NASA; "No known copyright restrictions, released into the public
  domain."
- ``camera``: "No copyright restrictions. CC0 by the photographer (Lav Varshney)."

Each is converted to grayscale (ITU-R BT.709 luma, ``skimage.color.rgb2gray``), cropped to the
aspect ratio 8:7 and resized with anti-aliasing to 320 x 280 pixels (width x height, the size of
the course notes' edge-detection example), then rounded to uint8 (0 = black, 255 = white).

It writes ``photos.npz`` (uint8 arrays of shape (280, 320), one per photo, as a zip with fixed
timestamps so that the same inputs give the same bytes) and ``PHOTOS-ATTRIBUTION.txt`` beside it.
"""

import argparse
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 320, 280

# name -> (skimage.data loader name, first row of the 8:7 crop, source, licence statement)
PHOTOS = {
    "astronaut": (
        "astronaut",
        0,
        "Eileen Collins, NASA (NASA Great Images database), via scikit-image's skimage.data.astronaut",
        "No known copyright restrictions, released into the public domain.",
    ),
    "camera": (
        "camera",
        32,
        "Lav Varshney, via scikit-image's skimage.data.camera",
        "No copyright restrictions. CC0 by the photographer (Lav Varshney).",
    ),
}


def make(name: str, loader: str, top: int) -> np.ndarray:
    """One photo as a uint8 (HEIGHT, WIDTH) grayscale array."""
    import skimage
    from skimage.color import rgb2gray
    from skimage.transform import resize

    image = getattr(skimage.data, loader)()
    gray = rgb2gray(image) if image.ndim == 3 else image.astype(np.float64) / 255.0
    height, width = gray.shape
    crop_h = width * HEIGHT // WIDTH
    assert top + crop_h <= height, (name, top, crop_h, height)
    gray = gray[top : top + crop_h, :]
    small = resize(gray, (HEIGHT, WIDTH), anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz with fixed timestamps: the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buffer.getvalue())


def attribution(arrays: dict[str, np.ndarray], version: str) -> str:
    lines = [
        "Photos bundled with CNN Playground for the image-filter lab",
        "===========================================================",
        "",
        f"photos.npz holds {len(arrays)} grayscale photographs as uint8 arrays of {HEIGHT} rows x {WIDTH} columns",
        "(0 = black, 255 = white), made by scripts/make_filter_photos.py from the sample data",
        f"shipped with scikit-image {version} (skimage/data).",
        "",
    ]
    for name, (_, top, source, licence) in PHOTOS.items():
        digest = hashlib.sha256(arrays[name].tobytes()).hexdigest()
        lines += [
            f"{name}",
            "-" * len(name),
            f"Source: {source}.",
            f"Licence: {licence}",
            f"Changes: converted to grayscale, cropped to 8:7 from row {top}, resized to {WIDTH}x{HEIGHT}.",
            f"SHA-256 of the uint8 pixels: {digest}",
            "",
        ]
    lines += [
        "Made with:",
        "  python -m venv /tmp/imgvenv && /tmp/imgvenv/bin/pip install scikit-image numpy",
        "  /tmp/imgvenv/bin/python scripts/make_filter_photos.py --out app/samples",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    import skimage

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "app" / "samples")
    args = parser.parse_args(argv)
    arrays = {name: make(name, loader, top) for name, (loader, top, _, _) in PHOTOS.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    write_npz(args.out / "photos.npz", arrays)
    (args.out / "PHOTOS-ATTRIBUTION.txt").write_text(attribution(arrays, skimage.__version__), encoding="utf-8")
    for name, a in arrays.items():
        print(f"{name}: {a.shape[1]}x{a.shape[0]} uint8, mean {a.mean():.1f}")


if __name__ == "__main__":
    main()
