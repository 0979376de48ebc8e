"""POST /api/filter and the bundled pictures: the notes' edge-detection arithmetic, feature maps
against an independent sliding-window computation, traced blocks, and every kind of bad input."""

import json

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from app import samples


def apply(client, lang="en", **body):
    return client.post(f"/api/filter?lang={lang}", json=body)


def correlate(image, kernel, stride=1, padding=0, bias=0.0):
    """Cross-correlation by NumPy's sliding windows (float64), for checking the server."""
    x = np.pad(np.asarray(image, float), padding)
    k = np.asarray(kernel, float)
    windows = sliding_window_view(x, k.shape)[::stride, ::stride]
    return np.einsum("ijmn,mn->ij", windows, k) + bias


def assert_refused(r, code, *fragments, status=422):
    assert r.status_code == status, r.text
    data = r.json()
    assert data["code"] == code, data
    for fragment in fragments:
        assert fragment in data["detail"], (fragment, data["detail"])
    assert "Traceback" not in data["detail"] and "{" not in data["detail"], data["detail"]
    return data


@pytest.fixture(scope="module")
def astronaut():
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        return np.array(c.get("/api/filter/samples/astronaut").json()["image"])


# -- the bundled pictures ------------------------------------------------------------------------------------


def test_samples_are_two_photos_and_ten_digits(client):
    listing = client.get("/api/filter/samples").json()
    by_name = {s["name"]: s for s in listing}
    assert set(by_name) == {"astronaut", "camera"} | {f"digit-{d}" for d in range(10)}
    for name in ("astronaut", "camera"):
        assert (by_name[name]["kind"], by_name[name]["width"], by_name[name]["height"]) == ("photo", 320, 280)
        image = np.array(client.get(f"/api/filter/samples/{name}").json()["image"])
        assert image.shape == (280, 320) and image.min() >= 0 and image.max() <= 255 and image.std() > 30
    for d in range(10):
        s = client.get(f"/api/filter/samples/digit-{d}").json()
        assert (s["kind"], s["width"], s["height"]) == ("digit", 28, 28)
        assert np.array(s["image"]).max() > 200  # a white stroke on black


def test_each_digit_sample_is_that_digit():
    from engine import data

    sample = data.load_sample()
    for d in range(10):
        image = samples.load(f"digit-{d}")
        index = next(i for i, im in enumerate(sample.test_images) if np.array_equal(im, image))
        assert sample.test_labels[index] == d


def test_the_photos_carry_their_attribution():
    text = (samples.PHOTOS_PATH.parent / "PHOTOS-ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "public domain" in text and "CC0" in text and "make_filter_photos.py" in text


def test_unknown_sample(client):
    assert_refused(client.get("/api/filter/samples/moon"), "unknown_sample", "moon", "astronaut")
    assert_refused(apply(client, "zh", image="moon", kernel=[[1]]), "unknown_sample", "没有名为", "moon")


def test_kernel_presets(client):
    kernels = client.get("/api/filter/kernels").json()
    assert kernels["edge"] == [[-1, 1]]
    assert kernels["sobel_x"] == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert kernels["sobel_y"] == np.array(kernels["sobel_x"]).T.tolist()
    for name in ("box_blur", "gaussian_blur"):
        assert sum(map(sum, kernels[name])) == pytest.approx(1)
    assert sum(map(sum, kernels["sharpen"])) == 1 and sum(map(sum, kernels["laplacian"])) == 0


# -- the notes' edge detection -------------------------------------------------------------------------------


def test_left_neighbour_difference_on_the_320x280_photo(client, astronaut):
    r = apply(client, image="astronaut", kernel=[[-1, 1]])
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["input_shape"] == [280, 320] and d["output_shape"] == [280, 319]  # 319 wide, 280 high
    out = np.array(d["output"])
    assert np.array_equal(out, astronaut[:, 1:] - astronaut[:, :-1])  # each pixel minus its left neighbour
    c = d["cost"]
    assert (c["output_width"], c["output_height"], c["ops_per_cell"]) == (319, 280, 3)
    assert c["operations"] == 319 * 280 * 3 == 267_960
    assert c["dense_entries"] == 320 * 280 * 319 * 280 > 8_000_000_000
    assert c["dense_nonzero"] == 319 * 280 * 2
    assert c["dense_per_operation"] == round(c["dense_entries"] / c["operations"])
    assert d["formula"] == [
        "OH = ⌊(280 + 2·0 − 1·(1 − 1) − 1) / 1⌋ + 1 = ⌊279⌋ + 1 = 280",
        "OW = ⌊(320 + 2·0 − 1·(2 − 1) − 1) / 1⌋ + 1 = ⌊318⌋ + 1 = 319",
    ]
    assert (d["min"], d["max"]) == (out.min(), out.max())
    assert d["scale"]["kind"] == "diverging" and d["scale"]["low"] == -d["scale"]["high"] and d["scale"]["high"] > 0


@pytest.mark.parametrize(
    "name", ["sobel_x", "sobel_y", "box_blur", "gaussian_blur", "sharpen", "laplacian", "identity"]
)
def test_every_preset_kernel_matches_a_sliding_window_computation(client, name):
    kernel = client.get("/api/filter/kernels").json()[name]
    camera = samples.load("camera")
    d = apply(client, image="camera", kernel=kernel).json()
    expected = correlate(camera, kernel)
    assert d["output_shape"] == list(expected.shape)
    assert np.allclose(d["output"], expected, atol=2e-3)
    assert d["cost"]["ops_per_cell"] == 2 * len(kernel) * len(kernel[0]) - 1


def test_an_upload_with_stride_padding_and_bias(client):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (31, 41)).tolist()
    kernel = rng.integers(-3, 4, (3, 3)).tolist()
    d = apply(client, image=image, kernel=kernel, stride=2, padding=1, bias=1.5).json()
    expected = correlate(image, kernel, stride=2, padding=1, bias=1.5)
    assert d["image"] == "upload" and d["output_shape"] == [16, 21] == list(expected.shape)
    assert np.allclose(d["output"], expected, atol=1e-3)
    assert d["cost"]["operations"] == 16 * 21 * 17


def test_a_constant_map_gets_a_gray_scale_and_include_output_false_leaves_it_out(client):
    d = apply(client, image=[[7] * 5] * 5, kernel=[[1, 1]]).json()
    assert d["scale"] == {"kind": "gray", "low": 14, "high": 14}
    lean = apply(client, image="astronaut", kernel=[[-1, 1]], include_output=False).json()
    assert lean["output"] == [] and lean["output_shape"] == [280, 319] and lean["cost"]["operations"] == 267_960


# -- traced blocks ---------------------------------------------------------------------------------------------


def test_a_traced_block_matches_the_feature_map(client, astronaut):
    d = apply(client, image="astronaut", kernel=[[-1, 1]], trace={"row": 60, "col": 130, "size": 4}).json()
    t = d["trace"]
    assert (t["row"], t["col"], t["rows"], t["cols"]) == (60, 130, 4, 4)
    assert np.array_equal(t["input"], astronaut[60:64, 130:135])
    out = np.array(d["output"])
    assert np.array_equal(t["output"], out[60:64, 130:134])
    assert [(s["row"], s["col"]) for s in t["steps"]] == [(r, c) for r in range(60, 64) for c in range(130, 134)]
    for s in t["steps"]:
        assert s["products"] == [a * w for a, w in zip(s["inputs"], s["weights"])]
        assert s["value"] == out[s["row"], s["col"]] == sum(s["products"])
        window = [t["input"][r][c] for _, r, c in s["cells"]]
        assert window == s["inputs"]


def test_a_traced_block_with_padding_and_stride_is_cut_at_the_edge(client):
    rng = np.random.default_rng(5)
    image = rng.integers(0, 10, (9, 9)).tolist()
    kernel = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    d = apply(client, image=image, kernel=kernel, stride=2, padding=1, bias=-1, trace={"row": 3, "col": 2, "size": 4})
    d = d.json()
    assert d["output_shape"] == [5, 5]
    t = d["trace"]
    assert (t["rows"], t["cols"]) == (2, 3) and (t["top"], t["left"]) == (6, 4)
    padded = np.pad(np.array(image), 1)
    assert np.array_equal(t["input"], padded[6:11, 4:11])
    assert np.allclose(t["output"], np.array(d["output"])[3:5, 2:5])
    assert all(s["bias"] == -1 and s["value"] == s["sum"] - 1 for s in t["steps"])


def test_a_block_outside_the_map_is_refused(client):
    assert apply(client, image="digit-0", kernel=[[1, 1]], trace={"row": 27, "col": 26}).status_code == 200
    assert_refused(
        apply(client, image="digit-0", kernel=[[1, 1]], trace={"row": 28, "col": 0}),
        "bad_trace_region",
        "row 29",
        "28×27",
    )
    assert_refused(
        apply(client, "zh", image="digit-0", kernel=[[1, 1]], trace={"row": 0, "col": 27}), "bad_trace_region", "超出"
    )
    assert_refused(apply(client, image="digit-0", kernel=[[1]], trace={"row": -1, "col": 0}), "invalid_request")
    assert_refused(
        apply(client, image="digit-0", kernel=[[1]], trace={"row": 0, "col": 0, "size": 9}), "invalid_request", "8"
    )


# -- bad input -------------------------------------------------------------------------------------------------------


def test_images_larger_than_512_are_refused_with_the_limit(client):
    assert_refused(apply(client, image=[[0] * 513] * 2, kernel=[[1]]), "too_big", "513", "512")
    assert_refused(apply(client, image=[[0] * 3] * 600, kernel=[[1]]), "too_big", "600", "512")
    assert_refused(apply(client, "zh", image=[[0] * 513] * 2, kernel=[[1]]), "too_big", "图像", "512")
    assert apply(client, image=[[0] * 512] * 512, kernel=[[1]]).status_code == 200


def test_a_request_body_that_is_too_large_gets_413(client):
    huge = json.dumps({"image": [[123.456789] * 512] * 512, "kernel": [[1]]})
    assert len(huge) > 2_000_000
    r = client.post("/api/filter", content=huge, headers={"content-type": "application/json"})
    assert_refused(r, "body_too_large", status=413)
    assert client.get("/api/filter/samples").status_code == 200  # and the server goes on


@pytest.mark.parametrize(
    "body,code,fragments",
    [
        (
            {"image": [[1, 2], [3, 4]], "kernel": [[1, 1, 1], [1, 1, 1], [1, 1, 1]]},
            "kernel_too_big",
            ["3×3", "2×2", "= 0"],
        ),
        ({"image": [[1, 2, 3]], "kernel": [[1], [1]]}, "kernel_too_big", ["2×1", "1×3"]),
        ({"image": [[1, 2], [3, 4]], "kernel": [[1, 2], [3]]}, "ragged", ["row 2", "1"]),
        ({"image": [[1, 2], [3]], "kernel": [[1]]}, "ragged", ["row 2"]),
        ({"image": [[1, "x"], [3, 4]], "kernel": [[1]]}, "not_number", ["x", "row 1, column 2"]),
        ({"image": [[1, 2]], "kernel": [["a", 1]]}, "not_number", ["a"]),
        ({"image": [], "kernel": [[1]]}, "empty", []),
        ({"image": [[]], "kernel": [[1]]}, "empty", []),
        ({"image": "astronaut", "kernel": []}, "empty", []),
        ({"image": [[[1]]], "kernel": [[1]]}, "bad_grid_ndim", ["2"]),
        ({"image": "astronaut", "kernel": [[[1]]]}, "bad_grid_ndim", ["2"]),
        ({"image": 5, "kernel": [[1]]}, "not_grid", ["5"]),
        ({"image": "astronaut", "kernel": [[1] * 17]}, "too_big", ["17", "16"]),
        ({"image": "astronaut", "kernel": [[1e10]]}, "number_too_large", []),
        ({"image": "astronaut", "kernel": [[1]], "stride": 0}, "bad_stride", ["0"]),
        ({"image": "astronaut", "kernel": [[1]], "padding": -1}, "bad_padding", ["-1"]),
        ({"image": "astronaut", "kernel": [[1]], "padding": 99}, "too_large_value", ["99"]),
        ({"image": "astronaut", "kernel": [[1]], "bias": [1, 2]}, "bias_mismatch", ["2"]),
    ],
)
def test_bad_input_is_explained(client, body, code, fragments):
    assert_refused(apply(client, **body), code, *fragments)


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"kernel": [[1]]}, "missing"),
        ({"image": "astronaut"}, "missing"),
        ({"image": "astronaut", "kernel": [[1]], "stride": "two"}, "whole number"),
        ({"image": "astronaut", "kernel": [[1]], "trace": {"row": "a", "col": 0}}, "whole number"),
    ],
)
def test_malformed_requests_are_explained(client, body, fragment):
    assert_refused(apply(client, **body), "invalid_request", fragment)


@pytest.mark.parametrize(
    "raw,code",
    [
        (b'{"image": [[1, NaN]], "kernel": [[1]]}', "not_finite_at"),
        (b'{"image": "astronaut", "kernel": [[Infinity]]}', "not_finite_at"),
        (b'{"image": "astronaut", "kernel": [[1]], "bias": NaN}', "bad_number"),
        (b'{"image": "astronaut", "kernel": ', "invalid_request"),
    ],
)
def test_nan_infinity_and_broken_json(client, raw, code):
    r = client.post("/api/filter", content=raw, headers={"content-type": "application/json"})
    assert_refused(r, code)


def test_a_trace_region_that_is_not_an_object(client):
    # Found by tests/app/test_fuzz.py: this said "The request must be a JSON object." of the whole request.
    body = {"image": "astronaut", "kernel": [[1]], "trace": [1, 2]}
    assert_refused(apply(client, **body), "invalid_request", "The traced block must be an object", "[1, 2]")
    assert_refused(apply(client, "zh", **body), "invalid_request", "追踪的区域必须是一个对象")


def test_messages_in_chinese(client):
    assert_refused(apply(client, "zh", image=[[1, 2], [3, 4]], kernel=[[1] * 3] * 3), "kernel_too_big", "卷积核")
    assert_refused(apply(client, "zh", image=[[1, 2], [3]], kernel=[[1]]), "ragged", "图像")


def test_the_page_is_served_in_both_languages_and_linked_from_home(client):
    for lang, title in (("en", "Image filters"), ("zh", "图像滤波")):
        r = client.get(f"/filters?lang={lang}")
        assert r.status_code == 200 and title in r.text
        assert "/static/js/filter_lab.js" in r.text
        assert 'href="/filters?lang=' in client.get(f"/?lang={lang}").text


def test_a_stride_that_leaves_a_remainder_rounds_down(client):
    """A 1x3 kernel, stride 2, on the 280x320 photo: floor((280 - 1) / 2) + 1 = 140 rows and
    floor((320 - 3) / 2) + 1 = 159 columns, as PyTorch (the engine used to refuse it)."""
    r = apply(client, image="astronaut", kernel=[[1, 1, 1]], stride=2)
    assert r.status_code == 200, r.text
    assert r.json()["output_shape"] == [140, 159]
