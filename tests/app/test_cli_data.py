"""``cnn-playground data``: the report, checking a folder, downloading (from a local mirror)."""

import http.server
import io
import socket
import threading
from pathlib import Path

import pytest

from app.cli import main
from app.cli_data import ProgressBar
from engine import data


@pytest.fixture()
def cache(monkeypatch, tmp_path) -> Path:
    """An empty user cache in tmp_path; no data dir or mirrors from the environment."""
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)
    monkeypatch.delenv(data.ENV_MIRRORS, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "cnn-playground" / "mnist"


@pytest.fixture()
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture()
def mirror_url(mnist_dir):
    """A local HTTP server whose root holds the MNIST gzip files."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a, **k: Quiet(*a, directory=str(mnist_dir), **k))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _link(mnist_dir: Path, folder: Path, names=data.FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.gz").symlink_to(mnist_dir / f"{name}.gz")
    return folder


def test_report_without_full_mnist(cache, capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert str(data.SAMPLE_PATH) in out
    assert "20,000 training and 2,000 test images" in out
    size_mb = f"{data.SAMPLE_PATH.stat().st_size / 1e6:.1f} MB"
    assert size_mb in out
    assert "Full MNIST: not found" in out
    assert str(cache) in out
    assert "cnn-playground data --download" in out and "--data-dir" in out


def test_report_with_full_mnist_in_the_cache(cache, mnist_dir, capsys):
    _link(mnist_dir, cache)
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert f"Full MNIST: found in {cache} (user cache), checksums verified" in out
    assert "To get it" not in out


def test_report_with_data_dir_from_the_environment(cache, mnist_dir, monkeypatch, capsys):
    monkeypatch.setenv(data.ENV_DATA_DIR, str(mnist_dir))
    assert main(["data"]) == 0
    assert f"found in {mnist_dir} ({data.ENV_DATA_DIR})" in capsys.readouterr().out


def test_report_with_a_damaged_copy_in_the_cache(cache, mnist_dir, capsys):
    _link(mnist_dir, cache, data.FILES[1:])
    (cache / "train-images-idx3-ubyte.gz").symlink_to(mnist_dir / "t10k-images-idx3-ubyte.gz")
    assert main(["data"]) == 0  # the sample still works
    out = capsys.readouterr().out
    assert "fails its check" in out and "train-images-idx3-ubyte: checksum mismatch" in out
    assert "cnn-playground data --download" in out


def test_check_a_good_folder(cache, mnist_dir, capsys):
    assert main(["data", "--data-dir", str(mnist_dir)]) == 0
    out = capsys.readouterr().out
    assert f"{mnist_dir.resolve()} holds the four files, checksums verified" in out


def test_check_an_empty_folder_fails_cleanly(cache, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "--data-dir", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{empty} does not hold a good copy of MNIST" in captured.err
    assert captured.err.count("missing") == 4
    assert "Traceback" not in captured.err


def test_check_a_folder_with_a_wrong_file(cache, mnist_dir, tmp_path, capsys):
    folder = _link(mnist_dir, tmp_path / "mixed", [n for n in data.FILES if n != "t10k-labels-idx1-ubyte"])
    (folder / "t10k-labels-idx1-ubyte.gz").symlink_to(mnist_dir / "train-labels-idx1-ubyte.gz")
    assert main(["data", "--data-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "t10k-labels-idx1-ubyte: checksum mismatch" in err
    assert "train-images-idx3-ubyte:" not in err


def test_download_into_the_cache_with_a_progress_bar(
    cache, mnist_dir, mirror_url, closed_port_url, monkeypatch, capsys
):
    monkeypatch.setenv(data.ENV_MIRRORS, f"{closed_port_url},{mirror_url}")
    assert main(["data", "--download"]) == 0
    captured = capsys.readouterr()
    assert f"downloaded and verified in {cache}" in captured.out
    for name in data.FILES:
        assert (cache / f"{name}.gz").read_bytes() == (mnist_dir / f"{name}.gz").read_bytes()
        assert f"{name}.gz" in captured.err
    assert "[" + "#" * 30 + "] 100%" in captured.err
    assert captured.err.count("\n") == 4  # one finished line per file
    assert main(["data"]) == 0
    assert f"found in {cache}" in capsys.readouterr().out


def test_download_into_a_given_folder(cache, mnist_dir, mirror_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(data.ENV_MIRRORS, mirror_url)
    target = tmp_path / "here"
    assert main(["data", "--download", "--data-dir", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.gz" for n in data.FILES)
    assert not cache.exists()


def test_download_failure_exits_1_without_traceback(cache, closed_port_url, monkeypatch, capsys):
    monkeypatch.setenv(data.ENV_MIRRORS, closed_port_url)
    assert main(["data", "--download"]) == 1
    captured = capsys.readouterr()
    assert "Download failed" in captured.err
    assert f"{closed_port_url}train-images-idx3-ubyte.gz" in captured.err
    assert "Traceback" not in captured.err
    assert list(cache.iterdir()) == []


def test_progress_bar_text():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in (0, 25, 25, 50, 100):
        bar(done, 100, "a.gz")
    bar(7_000_000, None, "b.gz")
    bar(4_500, 9_000, "c.gz")
    bar.finish()
    lines = stream.getvalue().split("\n")
    assert lines[0].count("\r") == 4  # the repeated 25% is not redrawn
    assert lines[0].endswith("[" + "#" * 30 + "] 100%  100 B / 100 B")
    assert "[" + "#" * 7 + "." * 23 + "]  25%" in lines[0]
    assert lines[1] == "\r" + f"{'b.gz':28} 7.0 MB"
    assert lines[2].endswith("]  50%  4 kB / 9 kB")
    assert lines[3] == ""
