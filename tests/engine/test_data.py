"""MNIST data: IDX reading and its checks, normalisation, the bundled sample and its script,
finding the data, and downloading from (local) mirrors."""

import gzip
import hashlib
import http.server
import importlib.util
import re
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import data
from engine.errors import EngineError

ROOT = Path(__file__).resolve().parents[2]

# The digests published with the development copy of MNIST (its README), typed here independently.
README_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}


def _raw(mnist_dir: Path, name: str) -> bytes:
    return gzip.decompress((mnist_dir / f"{name}.gz").read_bytes())


def _link_all(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in data.FILES:
        (dest / f"{name}.gz").symlink_to(src / f"{name}.gz")
    return dest


@pytest.fixture()
def isolated(monkeypatch, tmp_path):
    """No data dir in the environment, an empty user cache in tmp_path, the default mirrors."""
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)
    monkeypatch.delenv(data.ENV_MIRRORS, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


# --- read_idx ------------------------------------------------------------------------------------


def test_digests_match_the_published_ones():
    assert data.SHA256 == README_SHA256


def test_read_idx_reads_the_four_real_files(mnist_dir):
    arrays = {name: data.read_idx(mnist_dir / f"{name}.gz") for name in data.FILES}
    for name, array in arrays.items():
        assert array.dtype == np.uint8
        assert array.shape == SHAPES[name]
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        assert np.array_equal(np.unique(arrays[name]), np.arange(10))
    # An independent parse: the data starts after 4 + 4 * ndim header bytes.
    raw = _raw(mnist_dir, "t10k-images-idx3-ubyte")
    assert np.array_equal(arrays["t10k-images-idx3-ubyte"].reshape(-1), np.frombuffer(raw, np.uint8, offset=16))
    assert list(arrays["train-labels-idx1-ubyte"][:8]) == [5, 0, 4, 1, 9, 2, 1, 3]


def test_content_sha256_of_real_files(mnist_dir):
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        assert data.content_sha256(mnist_dir / f"{name}.gz") == README_SHA256[name]
        assert hashlib.sha256(_raw(mnist_dir, name)).hexdigest() == README_SHA256[name]


def test_raw_files_read_like_gzip_files(mnist_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(_raw(mnist_dir, name))
        assert np.array_equal(data.read_idx(tmp_path / name), data.read_idx(mnist_dir / f"{name}.gz"))


def test_gzip_is_detected_by_magic_bytes_not_by_name(mnist_dir, tmp_path):
    name = "t10k-labels-idx1-ubyte"
    shutil.copy(mnist_dir / f"{name}.gz", tmp_path / name)  # gzip without .gz
    (tmp_path / f"{name}.gz").write_bytes(_raw(mnist_dir, name))  # raw with .gz
    expected = data.read_idx(mnist_dir / f"{name}.gz")
    assert np.array_equal(data.read_idx(tmp_path / name), expected)
    assert np.array_equal(data.read_idx(tmp_path / f"{name}.gz"), expected)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_one_flipped_byte_is_a_checksum_mismatch(mnist_dir, tmp_path, compress):
    name = "t10k-images-idx3-ubyte"
    content = bytearray(_raw(mnist_dir, name))
    content[16 + 5000] ^= 0x01  # one pixel of one image
    path = tmp_path / (f"{name}.gz" if compress else name)
    path.write_bytes(gzip.compress(bytes(content), compresslevel=1) if compress else bytes(content))
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "checksum_mismatch"
    assert path.name in str(info.value)
    assert info.value.params["expected"] == README_SHA256[name]
    assert info.value.params["actual"] == hashlib.sha256(content).hexdigest()
    flat = data.read_idx(path, verify=False).reshape(-1)
    original = data.read_idx(mnist_dir / f"{name}.gz").reshape(-1)
    assert np.flatnonzero(flat != original).tolist() == [5000]


def test_flipped_byte_inside_the_gzip_stream_is_an_error(mnist_dir, tmp_path):
    name = "t10k-labels-idx1-ubyte"
    blob = bytearray((mnist_dir / f"{name}.gz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path = tmp_path / f"{name}.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code in {"idx_corrupt", "idx_truncated", "checksum_mismatch"}
    assert name in str(info.value)


def test_truncated_raw_file_says_how_much_is_missing(mnist_dir, tmp_path):
    name = "t10k-labels-idx1-ubyte"
    path = tmp_path / name
    path.write_bytes(_raw(mnist_dir, name)[:5000])
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "idx_truncated"
    assert info.value.params == {"file": name, "expected_bytes": 10008, "actual_bytes": 5000}
    assert "10008" in str(info.value) and "5000" in str(info.value)


def test_truncated_gzip_file_is_an_error(mnist_dir, tmp_path):
    name = "t10k-images-idx3-ubyte"
    blob = (mnist_dir / f"{name}.gz").read_bytes()
    path = tmp_path / f"{name}.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "idx_truncated"
    assert path.name in str(info.value)


def test_truncated_header(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(b"\x00\x00\x08\x03" + (10).to_bytes(4, "big"))  # 3 dimensions, 1 given
    with pytest.raises(EngineError) as info:
        data.read_idx(path, verify=False)
    assert info.value.code == "idx_truncated"
    assert info.value.params["expected_bytes"] == 16


@pytest.mark.parametrize(
    "content", [b"", b"hello, world\n", b"\x00\x00\x0d\x01" + b"\x00" * 12], ids=["empty", "text", "float-dtype"]
)
def test_not_an_idx_file(tmp_path, content):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "idx_corrupt"


def test_more_data_than_the_header_says(mnist_dir, tmp_path):
    name = "t10k-labels-idx1-ubyte"
    path = tmp_path / name
    path.write_bytes(_raw(mnist_dir, name) + b"\x07")
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "idx_corrupt"


def test_absurd_header_shape_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" * 3)
    with pytest.raises(EngineError) as info:
        data.read_idx(path, verify=False)
    assert info.value.code == "idx_corrupt"


def test_other_idx_files_need_their_digest_or_verify_false(tmp_path):
    content = b"\x00\x00\x08\x02" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6))
    path = tmp_path / "tiny.idx"
    path.write_bytes(content)
    with pytest.raises(EngineError) as info:
        data.read_idx(path)
    assert info.value.code == "checksum_mismatch"
    expected = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(data.read_idx(path, verify=False), expected)
    assert np.array_equal(data.read_idx(path, expected_sha256=hashlib.sha256(content).hexdigest()), expected)


def test_renamed_mnist_file_is_accepted_by_its_content(mnist_dir, tmp_path):
    path = tmp_path / "labels.bin.gz"
    shutil.copy(mnist_dir / "t10k-labels-idx1-ubyte.gz", path)
    assert data.read_idx(path).shape == (10000,)


def test_missing_file(tmp_path):
    with pytest.raises(EngineError) as info:
        data.read_idx(tmp_path / "nothing.gz")
    assert info.value.code == "file_not_found"


# --- normalise -----------------------------------------------------------------------------------


def test_normalise_uint8_batch():
    images = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)  # (1, 2, 2)
    out = data.normalise(images)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 2)
    expected = (np.array([[0, 255], [128, 1]]) / 255.0 - 0.1307) / 0.3081
    np.testing.assert_allclose(out[0, 0], expected, rtol=0, atol=1e-6)
    assert data.MNIST_MEAN == 0.1307 and data.MNIST_STD == 0.3081


def test_normalise_accepts_a_channel_axis_and_floats_in_unit_range():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(3, 1, 28, 28), dtype=np.uint8)
    from_uint8 = data.normalise(images)
    from_float = data.normalise(images.astype(np.float64) / 255.0)
    assert from_float.dtype == np.float32 and from_float.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(from_float, from_uint8, rtol=0, atol=1e-5)


def test_normalised_mnist_has_mean_zero_and_unit_std():
    sample = data.load_sample()
    x = data.normalise(sample.train_images).astype(np.float64)
    assert abs(x.mean()) < 0.01
    assert abs(x.std() - 1.0) < 0.01


@pytest.mark.parametrize(
    "images, code",
    [
        (np.zeros((28, 28), np.uint8), "bad_image_shape"),
        (np.zeros((2, 3, 28, 28), np.uint8), "bad_image_shape"),
        (np.zeros((2, 28, 28), np.int64), "bad_image_dtype"),
    ],
)
def test_normalise_refuses_bad_input(images, code):
    with pytest.raises(EngineError) as info:
        data.normalise(images)
    assert info.value.code == code


# --- the bundled sample --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def make_sample_module():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "scripts" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_shapes_dtypes_and_balance():
    sample = data.load("sample")
    assert sample.name == "sample" and "sample" in sample.source
    assert sample.train_images.shape == (20000, 28, 28) and sample.train_images.dtype == np.uint8
    assert sample.train_labels.shape == (20000,) and sample.train_labels.dtype == np.uint8
    assert sample.test_images.shape == (2000, 28, 28) and sample.test_images.dtype == np.uint8
    assert sample.test_labels.shape == (2000,) and sample.test_labels.dtype == np.uint8
    assert np.bincount(sample.train_labels, minlength=10).tolist() == [2000] * 10
    assert np.bincount(sample.test_labels, minlength=10).tolist() == [200] * 10
    assert sample.num_train == 20000 and sample.num_test == 2000
    assert data.SAMPLE_PATH.stat().st_size < 4_500_000


def test_sample_images_are_mnist_images_at_the_recorded_indices(mnist_dir):
    with np.load(data.SAMPLE_PATH) as npz:
        sample = {key: npz[key] for key in npz.files}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        index = sample[f"{part}_indices"].astype(np.int64)
        assert len(np.unique(index)) == len(index)
        images = data.read_idx(mnist_dir / f"{prefix}-images-idx3-ubyte.gz")
        labels = data.read_idx(mnist_dir / f"{prefix}-labels-idx1-ubyte.gz")
        assert np.array_equal(sample[f"{part}_images"], images[index])
        assert np.array_equal(sample[f"{part}_labels"], labels[index])


def test_sample_is_reproduced_byte_for_byte_by_the_script(mnist_dir, tmp_path, make_sample_module):
    out = tmp_path / "mnist_sample.npz"
    argv = ["--data-dir", str(mnist_dir), "--out", str(out), "--train", "20000", "--test", "2000", "--seed", "0"]
    assert make_sample_module.main(argv) == 0
    with np.load(out) as made, np.load(data.SAMPLE_PATH) as shipped:
        assert sorted(made.files) == sorted(shipped.files)
        for key in shipped.files:
            assert np.array_equal(made[key], shipped[key]), key
    assert out.read_bytes() == data.SAMPLE_PATH.read_bytes()


def test_npz_bytes_do_not_depend_on_the_clock(make_sample_module, monkeypatch):
    arrays = {"a": np.arange(5, dtype=np.uint8)}
    first = make_sample_module.npz_bytes(arrays)
    monkeypatch.setattr("time.time", lambda: 2_000_000_000.0)
    monkeypatch.setattr("time.localtime", lambda *a: (2033, 5, 18, 3, 33, 20, 2, 138, 0))
    assert make_sample_module.npz_bytes(arrays) == first


def test_stratified_indices(make_sample_module):
    labels = np.repeat(np.arange(10), 50)
    index = make_sample_module.stratified_indices(labels, 23, np.random.default_rng(3))
    assert len(np.unique(index)) == 23
    assert np.bincount(labels[index], minlength=10).tolist() == [3, 3, 3] + [2] * 7
    again = make_sample_module.stratified_indices(labels, 23, np.random.default_rng(3))
    assert np.array_equal(index, again)
    with pytest.raises(ValueError):
        make_sample_module.stratified_indices(labels, 510, np.random.default_rng(3))


def test_sample_license_attributes_mnist_and_matches_the_file():
    text = data.SAMPLE_LICENSE_PATH.read_text(encoding="utf-8")
    for needle in (
        "Yann LeCun",
        "Corinna Cortes",
        "Christopher J.C. Burges",
        "CC BY-SA 3.0",
        "python scripts/make_sample.py --data-dir DIR --out engine/datasets/mnist_sample.npz "
        "--train 20000 --test 2000 --seed 0",
        *README_SHA256.values(),
    ):
        assert needle in text
    assert hashlib.sha256(data.SAMPLE_PATH.read_bytes()).hexdigest() in text


# --- finding and loading -------------------------------------------------------------------------


def test_load_mnist_from_data_dir(mnist_dir, isolated):
    mnist = data.load("mnist", data_dir=mnist_dir)
    assert mnist.name == "mnist" and str(mnist_dir) in mnist.source
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_labels.shape == (10000,)


def test_locate_order_data_dir_then_env_then_cache(mnist_dir, isolated, monkeypatch):
    assert data.locate() is None
    cache = _link_all(mnist_dir, isolated / "xdg" / "cnn-playground" / "mnist")
    assert data.cache_dir() == cache
    assert data.locate() == cache
    env_dir = _link_all(mnist_dir, isolated / "env")
    monkeypatch.setenv(data.ENV_DATA_DIR, str(env_dir))
    assert data.locate() == env_dir
    given = _link_all(mnist_dir, isolated / "given")
    assert data.locate(given) == given
    assert data.locate(isolated / "empty") == env_dir  # an empty folder is skipped


def test_cache_dir_defaults_to_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.cache_dir() == tmp_path / ".cache" / "cnn-playground" / "mnist"


def test_files_in_accepts_raw_and_gzip(mnist_dir, tmp_path):
    for name in data.FILES:
        target = tmp_path / (name if "labels" in name else f"{name}.gz")
        target.symlink_to(mnist_dir / f"{name}.gz")  # gzip content under a raw name
    assert set(data.files_in(tmp_path)) == set(data.FILES)
    assert all(problem is None for problem in data.check_folder(tmp_path).values())


def test_check_folder_names_missing_and_bad_files(mnist_dir, tmp_path):
    (tmp_path / "train-labels-idx1-ubyte.gz").symlink_to(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").symlink_to(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    report = data.check_folder(tmp_path)
    assert report["t10k-labels-idx1-ubyte"] is None
    assert "checksum" in report["train-labels-idx1-ubyte"]
    assert "missing" in report["train-images-idx3-ubyte"] and "missing" in report["t10k-images-idx3-ubyte"]


def test_nothing_found_says_where_it_looked_and_how_to_get_it(isolated):
    with pytest.raises(EngineError) as info:
        data.load("mnist", data_dir=isolated / "nowhere")
    message = str(info.value)
    assert info.value.code == "mnist_not_found"
    assert str(isolated / "nowhere") in message
    assert str(isolated / "xdg" / "cnn-playground" / "mnist") in message
    assert "cnn-playground data --download" in message and "--data-dir" in message


def test_load_with_failed_download_is_mnist_not_found(isolated, closed_port_url):
    with pytest.raises(EngineError) as info:
        data.load("mnist", download=True, mirrors=[closed_port_url])
    assert info.value.code == "mnist_not_found"
    assert closed_port_url in str(info.value)
    assert not any((isolated / "xdg" / "cnn-playground" / "mnist").iterdir())


def test_unknown_dataset_name():
    with pytest.raises(EngineError) as info:
        data.load("cifar10")
    assert info.value.code == "unknown_dataset"


# --- downloading ---------------------------------------------------------------------------------


class _MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the server's folder; ``/short/...`` announces more bytes than it sends. Records paths."""

    def do_GET(self):
        self.server.requested.append(self.path)
        if self.path.startswith("/short/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"x" * 100)
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture()
def mirror(mnist_dir, tmp_path):
    """A local HTTP server: ``/good/`` holds MNIST, ``/bad/`` valid gzip files with the wrong
    content, ``/missing/`` nothing (404), ``/short/`` connections that end early."""
    root = tmp_path / "www"
    _link_all(mnist_dir, root / "good")
    (root / "bad").mkdir()
    (root / "missing").mkdir()
    wrong = gzip.compress(_raw(mnist_dir, "t10k-labels-idx1-ubyte")[::-1])
    for name in data.FILES:
        (root / "bad" / f"{name}.gz").write_bytes(wrong)

    def handler(*args, **kwargs):
        return _MirrorHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.requested = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_download_falls_back_through_mirrors_and_verifies(mirror, tmp_path, closed_port_url, mnist_dir):
    dest = tmp_path / "cache"
    calls = []
    mirrors = [closed_port_url, f"{mirror.url}/bad/", f"{mirror.url}/good/"]
    assert data.download_mnist(dest, mirrors=mirrors, progress=lambda *a: calls.append(a)) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{name}.gz" for name in data.FILES)
    for name in data.FILES:
        assert (dest / f"{name}.gz").read_bytes() == (mnist_dir / f"{name}.gz").read_bytes()
        size = (mnist_dir / f"{name}.gz").stat().st_size
        mine = [(done, total) for done, total, filename in calls if filename == f"{name}.gz"]
        starts = [i for i, (done, _) in enumerate(mine) if done == 0]
        assert len(starts) == 2  # the bad mirror, then the good one
        mine = mine[starts[-1] :]
        assert mine[0] == (0, size) and mine[-1] == (size, size)
        assert [done for done, _ in mine] == sorted(done for done, _ in mine)
        # the bad mirror was asked first, and its file refused
        assert mirror.requested.index(f"/bad/{name}.gz") < mirror.requested.index(f"/good/{name}.gz")
    assert len(calls) > 8
    assert data.load("mnist", data_dir=dest).train_labels.shape == (60000,)


def test_download_keeps_good_files_already_there(mnist_dir, tmp_path, closed_port_url):
    dest = _link_all(mnist_dir, tmp_path / "cache")
    assert data.download_mnist(dest, mirrors=[closed_port_url]) == dest


def test_wrong_content_and_missing_files_are_rejected_and_nothing_is_left(mirror, tmp_path):
    dest = tmp_path / "cache"
    with pytest.raises(EngineError) as info:
        data.download_mnist(dest, mirrors=[f"{mirror.url}/missing/", f"{mirror.url}/bad/"])
    assert info.value.code == "download_failed"
    message = str(info.value)
    assert "HTTP 404" in message and "SHA-256" in message
    assert f"{mirror.url}/bad/train-images-idx3-ubyte.gz" in message
    assert list(dest.iterdir()) == []  # no partial or temporary file


def test_connection_ending_early_leaves_nothing(mirror, tmp_path):
    dest = tmp_path / "cache"
    with pytest.raises(EngineError) as info:
        data.download_mnist(dest, mirrors=[f"{mirror.url}/short/"])
    assert info.value.code == "download_failed"
    assert list(dest.iterdir()) == []


def test_mirrors_from_the_environment(monkeypatch, mirror, tmp_path, closed_port_url):
    monkeypatch.delenv(data.ENV_MIRRORS, raising=False)
    assert data.mirrors_from_env() == data.MIRRORS
    assert data.MIRRORS[0].startswith("https://")
    monkeypatch.setenv(data.ENV_MIRRORS, f"{closed_port_url}, {mirror.url}/good/")
    assert data.mirrors_from_env() == (closed_port_url, f"{mirror.url}/good/")
    dest = data.download_mnist(tmp_path / "cache")
    assert all(problem is None for problem in data.check_folder(dest).values())


# --- the product does not depend on the development copy of MNIST -------------------------------


def test_engine_and_app_never_name_the_development_data_path():
    pattern = re.compile(r"""shared[/\\]|["']shared["']|\.\./shared|(?<![\w-])datasets[/\\]mnist\b""")
    offenders = []
    for folder in ("engine", "app"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".txt", ".json", ".toml", ".md", ".cfg", ".html"}:
                if pattern.search(path.read_text(encoding="utf-8")):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert (ROOT / "engine" / "data.py") in set((ROOT / "engine").rglob("*.py"))
