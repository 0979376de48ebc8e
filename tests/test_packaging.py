"""``pip install .`` builds a real wheel that carries the templates, static files and data."""
import subprocess
import sys
import zipfile


def test_wheel_contains_everything_the_app_needs(tmp_path):
    from tests.conftest import ROOT

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("cnn_playground-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("engine/__init__.py", "engine/model.py", "engine/datasets/mnist_sample.npz",
                   "engine/datasets/MNIST-SAMPLE-LICENSE.txt", "app/main.py", "app/templates/base.html",
                   "app/static/css/app.css", "app/static/i18n/en.json", "app/static/i18n/zh.json", "app/pretrained/lenet5.npz"):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cnn-playground = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
