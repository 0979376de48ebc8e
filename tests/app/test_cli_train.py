"""``cnn-playground train`` end to end on the bundled sample."""

import re

from app.cli import main
from engine.model import Sequential


def test_train_saves_a_model_and_reports_test_accuracy(tmp_path, capsys):
    out = tmp_path / "tiny.npz"
    code = main(
        [
            "train",
            "--model",
            "tiny",
            "--dataset",
            "sample",
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--optimizer",
            "adam",
            "--lr",
            "0.003",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    last = captured.out.strip().splitlines()[-1]
    m = re.fullmatch(r"test accuracy: (0\.\d{4})", last)
    assert m, captured.out
    assert float(m.group(1)) > 0.85  # the tiny network on 10,000 sample images
    assert "epoch 1:" in captured.err and "samples/s" in captured.err
    model = Sequential.load(out)
    assert (
        model.metadata["test_accuracy"] == float(m.group(1))
        or abs(model.metadata["test_accuracy"] - float(m.group(1))) < 1e-4
    )
    assert model.metadata["dataset"] == "sample" and model.metadata["seed"] == 1


def test_train_explains_bad_input(tmp_path, capsys):
    assert main(["train", "--model", "nonexistent.json", "--dataset", "sample"]) == 1
    assert "nonexistent.json" in capsys.readouterr().err
    spec = tmp_path / "bad.json"
    spec.write_text('{"input": [1, 28, 28], "layers": [{"type": "conv", "filters": 2, "kernel": 30}]}')
    assert main(["train", "--model", str(spec), "--dataset", "sample"]) == 1
    assert "does not fit" in capsys.readouterr().err
    assert main(["train", "--model", "tiny", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip()


def test_a_diverging_run_explains_itself_saves_nothing_and_exits_3(tmp_path, capsys):
    out = tmp_path / "diverged.npz"
    code = main(
        [
            "train",
            "--model",
            "tiny",
            "--dataset",
            "sample",
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--optimizer",
            "sgd",
            "--lr",
            "10",
            "--seed",
            "0",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 3
    m = re.search(
        r"The loss became infinite at step (\d+) with learning rate 10: the steps were too large\. "
        r"Try a learning rate 10 times smaller \(1\)\.",
        captured.err,
    )
    assert m and 1 <= int(m.group(1)) <= 100, captured.err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert "test accuracy" not in captured.out and "nan" not in captured.err.lower()
