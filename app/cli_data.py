"""``cnn-playground data``: say where the MNIST data is, check a folder, or download full MNIST.

    cnn-playground data                      where the sample and full MNIST are, how to get MNIST
    cnn-playground data --data-dir DIR       check the four MNIST files in DIR
    cnn-playground data --download           download full MNIST into the user cache
    cnn-playground data --download --data-dir DIR   ... into DIR instead

Exit code 0 on success, 1 (with a message on stderr) when a folder fails its check or a download fails.
"""

import sys
from pathlib import Path

BAR_WIDTH = 30


def register(sub) -> None:
    parser = sub.add_parser(
        "data",
        help="say where MNIST is, or download it",
        description="Say where the MNIST data is, check a folder, or download full MNIST.",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="download full MNIST (about 11 MB) into the user cache or into --data-dir",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="a folder with the four MNIST IDX files (.gz or raw) to check"
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.download:
        return _download(args.data_dir)
    if args.data_dir is not None:
        return _check(args.data_dir)
    _report()
    return 0


def _report() -> None:
    from engine import data  # imported late: NumPy reads its BLAS thread count when first imported

    sample = data.load_sample()
    size = data.SAMPLE_PATH.stat().st_size
    print(
        f"Bundled sample: {data.SAMPLE_PATH} ({_size(size)}, {sample.num_train:,} training and "
        f"{sample.num_test:,} test images; always available offline)"
    )
    folder = data.locate()
    if folder is not None:
        problems = _problems(folder)
        label = next(label for label, where in data.search_path() if where == folder)
        if not problems:
            print(f"Full MNIST: found in {folder} ({label}), checksums verified")
            return
        print(f"Full MNIST: found in {folder} ({label}) but it fails its check:")
        for line in problems:
            print(f"  {line}")
    else:
        print("Full MNIST: not found. Looked in:")
        for label, where in data.search_path()[1:]:
            print(f"  {label}: {where if where is not None else '(not set)'}")
    print("To get it:")
    print(f"  cnn-playground data --download          (about 11 MB, into {data.cache_dir()})")
    print(
        "  cnn-playground data --data-dir DIR      (check a folder holding the four MNIST files; then set "
        f"{data.ENV_DATA_DIR}=DIR)"
    )


def _check(folder: Path) -> int:
    from engine import data  # imported late: NumPy reads its BLAS thread count when first imported

    problems = _problems(folder)
    if problems:
        print(f"{folder} does not hold a good copy of MNIST:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print("Get it with: cnn-playground data --download", file=sys.stderr)
        return 1
    folder = folder.resolve()
    print(f"Full MNIST: {folder} holds the four files, checksums verified.")
    print(f"Use it with --data-dir {folder} or {data.ENV_DATA_DIR}={folder}")
    return 0


def _download(folder: Path | None) -> int:
    from engine import data  # imported late: NumPy reads its BLAS thread count when first imported
    from engine.errors import EngineError

    bar = ProgressBar(sys.stderr)
    try:
        dest = data.download_mnist(folder, progress=bar)
    except EngineError as e:
        bar.finish()
        print(f"Download failed: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:  # the destination cannot be created or written
        bar.finish()
        print(f"Download failed: {e}", file=sys.stderr)
        return 1
    bar.finish()
    print(f"Full MNIST: downloaded and verified in {dest}")
    return 0


def _problems(folder: Path) -> list[str]:
    from engine import data  # imported late: NumPy reads its BLAS thread count when first imported

    return [f"{name}: {problem}" for name, problem in data.check_folder(folder).items() if problem]


def _size(n: int) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.0f} kB" if n >= 1e3 else f"{n} B"


class ProgressBar:
    """A plain text progress bar, redrawn on one line (``\\r``) only when the shown percentage changes;
    one finished line per file."""

    def __init__(self, stream):
        self.stream = stream
        self.filename = None
        self.shown = None

    def __call__(self, done: int, total: int | None, filename: str) -> None:
        if filename != self.filename:
            self.finish()
            self.filename = filename
        if total:
            percent = min(100, done * 100 // total)
            if percent == self.shown:
                return
            self.shown = percent
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            text = f"{filename:28} [{bar}] {percent:3d}%  {_size(done)} / {_size(total)}"
        else:
            text = f"{filename:28} {_size(done)}"
        self.stream.write("\r" + text)
        self.stream.flush()

    def finish(self) -> None:
        if self.filename is not None:
            self.stream.write("\n")
            self.stream.flush()
        self.filename = None
        self.shown = None
