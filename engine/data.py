"""MNIST: read the IDX files, find them, download them, or use the sample bundled in the package.

Where the data comes from, in order (:func:`load` with ``name="mnist"``):

1. a folder given as ``data_dir``;
2. the folder in the environment variable ``CNN_PLAYGROUND_DATA_DIR``;
3. the user cache, ``$XDG_CACHE_HOME/cnn-playground/mnist`` (``~/.cache/...`` by default);
4. a download from public mirrors into that cache, if ``download=True``.

``load("sample")`` always works offline: it reads a class-balanced sample of MNIST shipped inside
the package (``engine/datasets/mnist_sample.npz``, made by ``scripts/make_sample.py``).

Images stay ``uint8`` with shape (N, 28, 28) in memory; :func:`normalise` turns a batch into the
float32 (N, 1, 28, 28) the network reads. The MNIST database is by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges, under the Creative Commons Attribution-Share Alike 3.0 licence.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EngineError

# Pixel mean and standard deviation of the MNIST training set (after scaling to [0, 1]); the same
# constants as the PyTorch MNIST example, so that a model trained here reads images the same way.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

# SHA-256 of the *uncompressed* content: gzip bytes differ between mirrors, the content does not.
SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILES = tuple(SHA256)

ENV_DATA_DIR = "CNN_PLAYGROUND_DATA_DIR"
ENV_MIRRORS = "CNN_PLAYGROUND_MNIST_MIRRORS"

# Tried in order; each serves the four files as ``<mirror>/<name>.gz``.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
USER_AGENT = "cnn-playground (MNIST download)"  # some servers refuse urllib's default
DOWNLOAD_TIMEOUT = 10.0  # seconds, for connecting and for each read: an offline classroom must not wait long

SAMPLE_PATH = Path(__file__).resolve().parent / "datasets" / "mnist_sample.npz"
SAMPLE_LICENSE_PATH = SAMPLE_PATH.with_name("MNIST-SAMPLE-LICENSE.txt")

GZIP_MAGIC = b"\x1f\x8b"
IDX_UINT8 = 0x08
MAX_IDX_BYTES = 1 << 30  # a header announcing more than this is damaged (MNIST's largest is 47 MB)
_CHUNK = 1 << 16

Progress = Callable[[int, "int | None", str], None]


@dataclass(frozen=True)
class Mnist:
    """MNIST, or a sample of it, in memory.

    Images are uint8 (N, 28, 28) with 0 = background; labels are uint8 (N,) in 0..9.
    ``name`` is ``"mnist"`` or ``"sample"``; ``source`` says in words where the data came from.
    """

    train_images: np.ndarray = field(repr=False)
    train_labels: np.ndarray = field(repr=False)
    test_images: np.ndarray = field(repr=False)
    test_labels: np.ndarray = field(repr=False)
    source: str
    name: str

    @property
    def num_train(self) -> int:
        return len(self.train_labels)

    @property
    def num_test(self) -> int:
        return len(self.test_labels)


# --- reading -------------------------------------------------------------------------------------


def _open(path: Path):
    """The file's content as a binary stream: gzip is recognised by its magic bytes, not its name."""
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else open(path, "rb")


def _known_name(path: Path) -> str | None:
    name = path.name.removesuffix(".gz")
    return name if name in SHA256 else None


def read_idx(path, expected_sha256: str | None = None, verify: bool = True) -> np.ndarray:
    """Read one IDX file (gzip-compressed or raw) into a uint8 array of the shape in its header.

    The SHA-256 of the uncompressed content is checked against ``expected_sha256``, or, if none is
    given, against the known digest for the file's name (``train-images-idx3-ubyte[.gz]`` ...), or,
    for any other name, against the four known digests. ``verify=False`` skips the check.

    Raises EngineError: ``file_not_found``; ``idx_corrupt`` (not an IDX file of bytes, a damaged
    gzip stream, or more data than the header announces); ``idx_truncated`` (less data than the
    header announces, or a gzip stream that ends early); ``checksum_mismatch``.
    """
    path = Path(path)
    if not path.is_file():
        raise EngineError("file_not_found", f"The file {path} does not exist.", file=str(path))
    digest = hashlib.sha256()
    try:
        with _open(path) as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] != IDX_UINT8 or head[3] == 0:
                raise EngineError(
                    "idx_corrupt",
                    f"{path.name} is not an IDX file of bytes: it should start with 00 00 08 and a "
                    f"number of dimensions, but starts with {head.hex(' ') or 'nothing'}.",
                    file=path.name,
                    start=head.hex(" "),
                )
            ndim = head[3]
            dims_bytes = f.read(4 * ndim)
            if len(dims_bytes) < 4 * ndim:
                raise _truncated(path, 4 + 4 * ndim, 4 + len(dims_bytes))
            shape = tuple(int(d) for d in np.frombuffer(dims_bytes, dtype=">u4"))
            if np.prod(shape, dtype=np.float64) > MAX_IDX_BYTES:
                raise EngineError(
                    "idx_corrupt",
                    f"{path.name} has a damaged header: it announces shape {shape}, far more than MNIST's "
                    f"largest file (60000, 28, 28).",
                    file=path.name,
                    shape=list(shape),
                )
            digest.update(head + dims_bytes)
            out = np.empty(shape, dtype=np.uint8)
            view = memoryview(out.reshape(-1))
            filled = 0
            while filled < out.size:
                got = f.readinto(view[filled:])
                if not got:
                    break
                filled += got
            digest.update(view[:filled])
            expected_size = 4 + 4 * ndim + out.size
            if filled < out.size:
                raise _truncated(path, expected_size, 4 + 4 * ndim + filled)
            extra = len(f.read(_CHUNK))
            if extra:
                raise EngineError(
                    "idx_corrupt",
                    f"{path.name} is longer than its header says: the header announces shape "
                    f"{shape} ({expected_size} bytes) but more data follows.",
                    file=path.name,
                    expected_bytes=expected_size,
                    shape=list(shape),
                )
    except EOFError:
        raise EngineError(
            "idx_truncated",
            f"{path.name} is cut short: its gzip stream ends too early. It was probably not "
            f"downloaded completely; delete it and get it again.",
            file=path.name,
        ) from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise _bad_gzip(path, e) from None
    if verify:
        _check_digest(path, digest.hexdigest(), expected_sha256)
    return out


def _truncated(path: Path, expected: int, got: int) -> EngineError:
    return EngineError(
        "idx_truncated",
        f"{path.name} is cut short: its header announces {expected} bytes but it holds only {got}. "
        f"It was probably not downloaded completely; delete it and get it again.",
        file=path.name,
        expected_bytes=expected,
        actual_bytes=got,
    )


def _bad_gzip(path: Path, error: Exception) -> EngineError:
    reason = str(error) or "it ends too early"
    return EngineError(
        "idx_corrupt",
        f"{path.name} is a damaged gzip file ({reason}); delete it and get it again.",
        file=path.name,
        reason=reason,
    )


def _check_digest(path: Path, actual: str, expected: str | None) -> None:
    if expected is None:
        known = _known_name(path)
        if known is not None:
            expected = SHA256[known]
        elif actual in SHA256.values():
            return
    if actual == expected:
        return
    wanted = expected or "one of the four MNIST files"
    raise EngineError(
        "checksum_mismatch",
        f"{path.name} is not the MNIST file it should be: the SHA-256 of its content is {actual}, "
        f"expected {wanted}. It is damaged or from another dataset; delete it and get it again.",
        file=path.name,
        actual=actual,
        expected=wanted,
    )


def content_sha256(path) -> str:
    """SHA-256 of a file's uncompressed content (gzip recognised by magic bytes), read in chunks.

    Raises EngineError ``idx_corrupt`` for a damaged gzip stream.
    """
    path = Path(path)
    digest = hashlib.sha256()
    try:
        with _open(path) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise _bad_gzip(path, e) from None
    return digest.hexdigest()


def normalise(images: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) or (N, 1, 28, 28) -> float32 (N, 1, 28, 28) as the network reads them.

    uint8 pixels are scaled to [0, 1] (floating-point input is taken to be in [0, 1] already),
    then standardised: (x - MNIST_MEAN) / MNIST_STD. The training loop and the draw page use this
    one function, so a drawn digit is seen exactly like a training image.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None, :, :]
    if images.ndim != 4 or images.shape[1] != 1:
        raise EngineError(
            "bad_image_shape",
            f"Images must have shape (N, 28, 28) or (N, 1, 28, 28), not {images.shape}.",
            shape=list(images.shape),
        )
    if images.dtype == np.uint8:
        return _UINT8_TABLE[images]
    if np.issubdtype(images.dtype, np.floating):
        x = images.astype(np.float32)
        return (x - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
    raise EngineError(
        "bad_image_dtype",
        f"Images must be uint8 (0..255) or floating point (0..1), not {images.dtype}.",
        dtype=str(images.dtype),
    )


# One entry per pixel value: a lookup is faster than arithmetic and gives the same numbers.
_UINT8_TABLE = ((np.arange(256) / 255.0 - MNIST_MEAN) / MNIST_STD).astype(np.float32)


# --- finding -------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where downloaded MNIST is kept: ``$XDG_CACHE_HOME/cnn-playground/mnist`` (``~/.cache`` default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnn-playground" / "mnist"


def files_in(folder) -> dict[str, Path]:
    """The MNIST files present in ``folder``: {name: path}, preferring ``name.gz`` over raw ``name``."""
    folder = Path(folder)
    found = {}
    for name in FILES:
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def search_path(data_dir=None) -> list[tuple[str, Path | None]]:
    """The folders :func:`load` looks in, in order, each with a label saying why.

    A label whose folder is None was not given (``--data-dir``) or not set (the environment variable).
    """
    env = os.environ.get(ENV_DATA_DIR)
    return [
        ("--data-dir", Path(data_dir) if data_dir else None),
        (ENV_DATA_DIR, Path(env) if env else None),
        ("user cache", cache_dir()),
    ]


def locate(data_dir=None) -> Path | None:
    """The first folder of :func:`search_path` holding all four MNIST files, or None. Reads nothing."""
    for _, folder in search_path(data_dir):
        if folder is not None and len(files_in(folder)) == len(FILES):
            return folder
    return None


def check_folder(folder) -> dict[str, str | None]:
    """Verify the four files in ``folder``: {name: None if good, else what is wrong (English)}."""
    found = files_in(folder)
    report: dict[str, str | None] = {}
    for name in FILES:
        if name not in found:
            report[name] = f"missing ({name}.gz or {name})"
            continue
        try:
            actual = content_sha256(found[name])
        except EngineError as e:
            report[name] = e.message
            continue
        report[name] = None if actual == SHA256[name] else f"checksum mismatch (SHA-256 {actual[:12]}...)"
    return report


# --- downloading ---------------------------------------------------------------------------------


def mirrors_from_env() -> tuple[str, ...]:
    """The mirror list: ``CNN_PLAYGROUND_MNIST_MIRRORS`` (URLs separated by commas or spaces) or MIRRORS."""
    value = os.environ.get(ENV_MIRRORS, "")
    urls = tuple(u for u in value.replace(",", " ").split() if u)
    return urls or MIRRORS


def download_mnist(
    dest=None, mirrors=None, progress: Progress | None = None, timeout: float = DOWNLOAD_TIMEOUT
) -> Path:
    """Fetch the four gzip files into ``dest`` (default: :func:`cache_dir`) and return ``dest``.

    For each file the mirrors are tried in order (``mirrors`` or :func:`mirrors_from_env`). A file
    is written to a temporary name in ``dest``, its content's SHA-256 checked, and only then renamed
    to ``<name>.gz``; a failure leaves nothing behind. Files already there with the right content
    are kept. ``progress(done_bytes, total_bytes, filename)`` is called as bytes arrive
    (``total_bytes`` is None when the server does not say).

    Raises EngineError ``download_failed`` naming every mirror tried and why it failed.
    """
    dest = Path(dest) if dest is not None else cache_dir()
    mirrors = tuple(mirrors) if mirrors else mirrors_from_env()
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        existing = files_in(dest).get(name)
        if existing is not None and _has_digest(existing, SHA256[name]):
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + f"/{name}.gz"
            try:
                _fetch(url, dest / f"{name}.gz", SHA256[name], progress, timeout)
                break
            except (OSError, http.client.HTTPException, EngineError) as e:  # urllib's errors are OSErrors
                if isinstance(e, urllib.error.HTTPError):
                    e.close()
                failures.append(f"{url}: {_reason(e)}")
        else:
            raise EngineError(
                "download_failed",
                f"Could not download {name}.gz from any of the {len(mirrors)} mirrors:\n  "
                + "\n  ".join(failures)
                + "\nCheck the internet connection, or copy the four MNIST files into a folder and "
                "use --data-dir.",
                file=f"{name}.gz",
                mirrors=list(mirrors),
                failures=failures,
            )
    return dest


def _has_digest(path: Path, expected: str) -> bool:
    try:
        return content_sha256(path) == expected
    except EngineError:
        return False


def _reason(error: Exception) -> str:
    if isinstance(error, EngineError):
        return error.message
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _fetch(url: str, target: Path, sha256: str, progress: Progress | None, timeout: float) -> None:
    """Download ``url`` to a temporary file beside ``target``, verify it, then rename it into place."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(done, total, target.name)
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total, target.name)
        if total is not None and done != total:
            raise EngineError(
                "download_incomplete", f"received {done} of {total} bytes", done_bytes=done, total_bytes=total
            )
        _check_digest(target, content_sha256(tmp), sha256)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --- loading -------------------------------------------------------------------------------------


def load_folder(folder) -> Mnist:
    """Read and verify the four MNIST files in ``folder``."""
    folder = Path(folder)
    found = files_in(folder)
    missing = [name for name in FILES if name not in found]
    if missing:
        raise EngineError(
            "mnist_not_found",
            f"{folder} does not hold the MNIST file(s) {', '.join(missing)} (.gz or raw).",
            folder=str(folder),
            missing=missing,
        )
    arrays = {name: read_idx(path) for name, path in found.items()}
    return Mnist(
        train_images=arrays[TRAIN_IMAGES],
        train_labels=arrays[TRAIN_LABELS],
        test_images=arrays[TEST_IMAGES],
        test_labels=arrays[TEST_LABELS],
        source=f"MNIST in {folder}",
        name="mnist",
    )


def load_sample(path=SAMPLE_PATH) -> Mnist:
    """The class-balanced sample of MNIST bundled in the package (works offline)."""
    path = Path(path)
    keys = ("train_images", "train_labels", "test_images", "test_labels")
    try:
        with np.load(path) as npz:
            arrays = {key: npz[key] for key in keys}
    except (OSError, KeyError, ValueError) as e:
        raise EngineError(
            "sample_corrupt",
            f"The bundled MNIST sample {path} cannot be read ({e}); reinstall the package.",
            file=str(path),
            reason=str(e),
        ) from None
    source = (
        f"bundled MNIST sample ({len(arrays['train_labels'])} training and "
        f"{len(arrays['test_labels'])} test images, {path.name})"
    )
    return Mnist(**arrays, source=source, name="sample")


#: Full MNIST's sizes (LeCun et al.): 60,000 training and 10,000 test images (the files' SHA-256 above pin them).
MNIST_SIZES = {"train": 60_000, "test": 10_000}


def dataset_sizes(path=SAMPLE_PATH) -> dict[str, dict[str, int]]:
    """How many training and test images each dataset has: ``{"sample": {"train", "test"}, "mnist": ...}``.

    The sample's counts are read from its file (only the label arrays are loaded), so a page that
    says "20,000 + 2,000" says what training will use. EngineError ``sample_corrupt`` if unreadable.
    """
    try:
        with np.load(Path(path)) as npz:
            sample = {"train": len(npz["train_labels"]), "test": len(npz["test_labels"])}
    except (OSError, KeyError, ValueError) as e:
        raise EngineError(
            "sample_corrupt",
            f"The bundled MNIST sample {path} cannot be read ({e}); reinstall the package.",
            file=str(path),
            reason=str(e),
        ) from None
    return {"sample": sample, "mnist": dict(MNIST_SIZES)}


def load(
    name: str = "sample", data_dir=None, download: bool = False, progress: Progress | None = None, mirrors=None
) -> Mnist:
    """MNIST as ``name`` says: ``"sample"`` (bundled, offline) or ``"mnist"`` (the full 60,000 + 10,000).

    ``"mnist"`` looks in ``data_dir``, then ``$CNN_PLAYGROUND_DATA_DIR``, then the user cache, then,
    if ``download`` is true, downloads into the cache (see :func:`download_mnist`). Raises EngineError
    ``mnist_not_found`` saying where it looked and how to get the data.
    """
    if name == "sample":
        return load_sample()
    if name != "mnist":
        raise EngineError("unknown_dataset", f'Unknown dataset "{name}": choose "sample" or "mnist".', name=name)
    folder = locate(data_dir)
    if folder is not None:
        return load_folder(folder)
    problem = ""
    if download:
        try:
            return load_folder(download_mnist(cache_dir(), mirrors=mirrors, progress=progress))
        except EngineError as e:
            if e.code != "download_failed":
                raise
            problem = f"\nThe download failed:\n{e.message}"
    looked = "\n".join(
        f"  {label}: {where if where is not None else '(not given)'}" for label, where in search_path(data_dir)
    )
    raise EngineError(
        "mnist_not_found",
        f"Full MNIST was not found. Looked in:\n{looked}{problem}\n"
        f"Get it with `cnn-playground data --download` (about 11 MB, into {cache_dir()}), or point "
        f"--data-dir (or {ENV_DATA_DIR}) at a folder holding the four IDX files. The bundled sample "
        f'("sample") works offline.',
        looked=[str(f) for _, f in search_path(data_dir) if f is not None],
        cache=str(cache_dir()),
    )
