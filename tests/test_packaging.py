"""``pip install .`` builds a real wheel that carries the templates, static files and data."""

import subprocess
import sys
import zipfile


def test_wheel_contains_everything_the_app_needs(tmp_path):
    from tests.conftest import ROOT

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("cnn_playground-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "engine/__init__.py",
        "engine/model.py",
        "engine/datasets/mnist_sample.npz",
        "engine/datasets/MNIST-SAMPLE-LICENSE.txt",
        "app/main.py",
        "app/templates/base.html",
        "app/static/css/app.css",
        "app/static/i18n/en.json",
        "app/static/i18n/zh.json",
        "app/pretrained/lenet5.npz",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cnn-playground = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_mit_license_ships_in_the_wheel_and_the_sdist(tmp_path):
    """pyproject.toml says MIT: the LICENSE file says so too and travels with both distributions."""
    import tarfile
    import tomllib

    from tests.conftest import ROOT

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 CNN Playground contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = zipfile.ZipFile(next(tmp_path.glob("cnn_playground-*.whl")))
    licenses = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert licenses and wheel.read(licenses[0]).decode() == text
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with tarfile.open(next(tmp_path.glob("cnn_playground-*.tar.gz"))) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("/LICENSE") and m.name.count("/") == 1)
        assert sdist.extractfile(member).read().decode() == text
