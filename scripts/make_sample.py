"""Make the MNIST sample bundled in the package, reproducibly, from the four MNIST IDX files.

    python scripts/make_sample.py --data-dir DIR --out engine/datasets/mnist_sample.npz \\
        --train 20000 --test 2000 --seed 0

draws a class-balanced random sample (the same number of images of every digit, give or take
one) of the training and test sets, and writes

- the ``.npz`` (uint8 ``train_images`` (N, 28, 28), ``train_labels`` (N,), ``test_images``,
  ``test_labels``, and ``train_indices`` / ``test_indices``: where each image sits in the
  original file), as a zip with fixed timestamps so that the same inputs give the same bytes;
- ``MNIST-SAMPLE-LICENSE.txt`` beside it: the CC BY-SA 3.0 attribution, what the sample is
  derived from and the exact command that made it.
"""

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine import data  # noqa: E402
from engine.errors import EngineError  # noqa: E402

NUM_CLASSES = 10
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no clock in the output


def stratified_indices(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` positions in ``labels``, drawn without replacement, ``n // 10`` per class (the first
    ``n % 10`` classes get one more), in random order."""
    chosen = []
    for digit in range(NUM_CLASSES):
        take = n // NUM_CLASSES + (1 if digit < n % NUM_CLASSES else 0)
        pool = np.flatnonzero(labels == digit)
        if take > len(pool):
            raise ValueError(f"asked for {take} images of digit {digit}, but there are only {len(pool)}")
        chosen.append(rng.choice(pool, size=take, replace=False))
    return rng.permutation(np.concatenate(chosen))


def make_sample(data_dir, train: int = 20000, test: int = 2000, seed: int = 0) -> dict[str, np.ndarray]:
    """The sample's arrays, from the (verified) MNIST files in ``data_dir``; one Generator(seed)
    draws the training sample first, then the test sample."""
    mnist = data.load_folder(data_dir)
    rng = np.random.default_rng(seed)
    arrays = {}
    for part, images, labels, n in (
        ("train", mnist.train_images, mnist.train_labels, train),
        ("test", mnist.test_images, mnist.test_labels, test),
    ):
        index = stratified_indices(labels, n, rng)
        arrays[f"{part}_images"] = images[index]
        arrays[f"{part}_labels"] = labels[index]
        arrays[f"{part}_indices"] = index.astype(np.uint16)  # MNIST has at most 60,000 per file
    return arrays


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` that ``np.load`` reads, like ``np.savez_compressed`` but with fixed zip metadata,
    so that equal arrays give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, array in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whichever system runs this
            info.external_attr = 0o644 << 16
            zf.writestr(info, npy.getvalue())
    return buffer.getvalue()


def command_line(out: str, train: int, test: int, seed: int) -> str:
    return f"python scripts/make_sample.py --data-dir DIR --out {out} --train {train} --test {test} --seed {seed}"


def license_text(arrays: dict[str, np.ndarray], command: str, npz_name: str, npz_sha256: str) -> str:
    train, test = len(arrays["train_labels"]), len(arrays["test_labels"])
    sources = "\n".join(f"  {digest}  {name}" for name, digest in data.SHA256.items())
    return f"""\
MNIST sample bundled with CNN Playground
========================================

{npz_name} holds {train:,} training images and {test:,} test images of handwritten digits
(28x28 pixels, uint8) with their labels, chosen from the MNIST database.

Attribution
-----------
The MNIST database of handwritten digits is by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges (http://yann.lecun.com/exdb/mnist/). It is made available under the
Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0,
https://creativecommons.org/licenses/by-sa/3.0/). This sample is derived from it and is
distributed under the same licence, CC BY-SA 3.0.

Changes: only a selection was made; every image and label is unchanged.

Derived from
------------
The four MNIST IDX files, identified by the SHA-256 of their uncompressed content:
{sources}

How it was made
---------------
  {command}

where DIR is a folder holding the four files above (gzip-compressed or raw). For each of the
training and test sets, the same number of images of every digit (the first classes get one
more when the size is not a multiple of 10) is drawn without replacement with
numpy.random.default_rng(seed), training set first, then test set, and shuffled.
train_indices and test_indices give the position of each image in the original MNIST file.
Made with NumPy {np.__version__}; the zip has fixed timestamps, so the command gives the same bytes.

SHA-256 of {npz_name}:
  {npz_sha256}
"""


def write_sample(arrays: dict[str, np.ndarray], out: Path, command: str) -> None:
    """Write the ``.npz`` and its licence file beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = npz_bytes(arrays)
    out.write_bytes(payload)
    text = license_text(arrays, command, out.name, hashlib.sha256(payload).hexdigest())
    (out.parent / "MNIST-SAMPLE-LICENSE.txt").write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Make the bundled MNIST sample from the IDX files.")
    parser.add_argument("--data-dir", required=True, help="folder with the four MNIST IDX files (.gz or raw)")
    parser.add_argument("--out", default="engine/datasets/mnist_sample.npz", help="the .npz to write")
    parser.add_argument("--train", type=int, default=20000, help="training images (default 20000)")
    parser.add_argument("--test", type=int, default=2000, help="test images (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sample (default 0)")
    args = parser.parse_args(argv)
    try:
        arrays = make_sample(args.data_dir, args.train, args.test, args.seed)
    except (EngineError, ValueError) as e:
        print(f"make_sample: {e}", file=sys.stderr)
        return 1
    out = Path(args.out)
    write_sample(arrays, out, command_line(args.out, args.train, args.test, args.seed))
    print(f"wrote {out} ({out.stat().st_size:,} bytes) and {out.parent / 'MNIST-SAMPLE-LICENSE.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
