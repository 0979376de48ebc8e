"""MNIST-style preprocessing: finite cases checked by hand, and the refusals."""

import numpy as np
import pytest

from engine.errors import EngineError
from engine.preprocess import (
    BOX,
    FIELD,
    MAX_SIDE,
    area_weights,
    as_input,
    centre_of_mass,
    check_drawing,
    fit_size,
    ink_bbox,
    preprocess,
    resample_area,
)


def canvas(h=280, w=280):
    return np.zeros((h, w))


# --- area averaging -------------------------------------------------------------------------------


def test_area_weights_by_hand():
    # 4 -> 2: each new pixel is the mean of two old ones.
    np.testing.assert_allclose(area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    # 5 -> 2: a new pixel covers 2.5 old pixels; the middle one is shared half and half.
    np.testing.assert_allclose(area_weights(5, 2), [[0.4, 0.4, 0.2, 0, 0], [0, 0, 0.2, 0.4, 0.4]])
    # 2 -> 4: enlarging copies.
    np.testing.assert_allclose(area_weights(2, 4), [[1, 0], [1, 0], [0, 1], [0, 1]])
    # 3 -> 3: the identity.
    np.testing.assert_allclose(area_weights(3, 3), np.eye(3))


@pytest.mark.parametrize("n_in, n_out", [(512, 20), (280, 7), (13, 20), (1, 20), (20, 1), (97, 31)])
def test_area_weights_average(n_in, n_out):
    w = area_weights(n_in, n_out)
    assert w.shape == (n_out, n_in)
    assert (w >= 0).all()
    np.testing.assert_allclose(w.sum(axis=1), 1.0)  # each new pixel is an average
    np.testing.assert_allclose(w.sum(axis=0), n_out / n_in)  # each old pixel counts fully once


def test_resample_area_by_hand():
    image = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1.0]])
    np.testing.assert_allclose(resample_area(image, 2, 2), [[0.75, 0], [0, 0.75]])
    # the ink is kept in proportion to the area: sum scales by (2*2)/(4*4)
    assert resample_area(image, 2, 2).sum() == pytest.approx(image.sum() * 4 / 16)


def test_thin_outline_turns_grey_when_shrunk():
    """Anti-aliasing: a 1-pixel square outline 40 wide, halved, becomes 0.5 grey (0.75 at corners)."""
    d = canvas(100, 100)
    d[10, 10:50] = d[49, 10:50] = d[10:50, 10] = d[10:50, 49] = 1
    p = preprocess(d)
    assert p.bbox == (10, 10, 40, 40)
    assert p.fitted.shape == (20, 20)
    assert p.fitted[0, 0] == pytest.approx(0.75)
    np.testing.assert_allclose(p.fitted[0, 1:-1], 0.5)
    np.testing.assert_allclose(p.fitted[1:-1, -1], 0.5)
    np.testing.assert_allclose(p.fitted[1:-1, 1:-1], 0.0)


# --- the steps ------------------------------------------------------------------------------------


def test_centred_square_stays_centred():
    d = canvas(100, 100)
    d[30:70, 30:70] = 1
    p = preprocess(d)
    assert p.bbox == (30, 30, 40, 40)
    assert p.scale == pytest.approx(0.5)
    np.testing.assert_allclose(p.fitted, np.ones((20, 20)))
    # its centre of mass (10, 10) goes to (14, 14), the corner of the centre pixel: inside it
    assert p.offset == (4, 4)
    expected = np.zeros((28, 28))
    expected[4:24, 4:24] = 1
    np.testing.assert_allclose(p.image, expected)
    assert p.centre == pytest.approx((14.0, 14.0))


def test_centre_of_mass_goes_into_the_centre_pixel():
    """A bar 20 tall and 2 wide, its left column full ink and its right one half: the column centre of
    mass is (0.5 + 0.5 * 1.5) / 1.5 = 0.833 of it. Shifted 14 columns it is at 14.833, in the centre
    pixel [14, 15) as MNIST has it; aiming at 14 instead would shift 13 and leave it at 13.833."""
    d = canvas(20, 20)
    d[:, 5] = 1
    d[:, 6] = 0.5
    p = preprocess(d)
    assert p.fitted.shape == (20, 2)
    assert p.offset == (4, 14)  # rows 4..23, columns 14..15
    assert p.centre == pytest.approx((14.0, 14 + 1.25 / 1.5))


def test_position_and_size_on_the_canvas_do_not_matter():
    small_in_corner = canvas(100, 90)
    small_in_corner[0:10, 80:90] = 1  # a tenth of the canvas: the smallest digit there is
    big_in_middle = canvas(512, 512)
    big_in_middle[100:400, 100:400] = 1
    a, b = preprocess(small_in_corner), preprocess(big_in_middle)
    np.testing.assert_allclose(a.image, b.image)
    assert a.scale == pytest.approx(2.0)  # enlarged 10 -> 20
    assert b.scale == pytest.approx(20 / 300)


@pytest.mark.parametrize(
    "h, w, expected", [(60, 15, (20, 5)), (15, 60, (5, 20)), (100, 30, (20, 6)), (200, 4, (20, 1)), (7, 7, (20, 20))]
)
def test_aspect_ratio_is_kept(h, w, expected):
    assert fit_size(h, w) == expected
    side = 2 * max(h, w) + 20  # the ink spans at least a tenth of the canvas
    d = canvas(side, side)
    d[10 : 10 + h, 15 : 15 + w] = 1
    p = preprocess(d)
    assert p.fitted.shape == expected
    assert max(p.fitted.shape) == BOX


def test_centre_of_mass_by_hand():
    image = np.zeros((4, 4))
    image[0, 0] = 1
    image[0, 3] = 3  # x: (1 * 0.5 + 3 * 3.5) / 4 = 2.75
    assert centre_of_mass(image) == pytest.approx((0.5, 2.75))


def stroke(d, points, width=12):
    """Ink along a polyline, as a pen of ``width`` pixels would leave it."""
    yy, xx = np.mgrid[0 : d.shape[0], 0 : d.shape[1]]
    for (y0, x0), (y1, x1) in zip(points, points[1:]):
        for t in np.linspace(0, 1, 60):
            y, x = y0 + t * (y1 - y0), x0 + t * (x1 - x0)
            d[(yy - y) ** 2 + (xx - x) ** 2 <= (width / 2) ** 2] = 1
    return d


@pytest.mark.parametrize(
    "points",
    [
        [(40, 60), (40, 220), (250, 100)],  # a 7: mass up and to the right
        [(30, 200), (250, 60)],  # a slanted 1
        [(60, 40), (60, 240), (240, 240), (240, 40), (60, 40)],  # a box-shaped 0
        [(30, 30), (250, 30), (250, 150)],  # an L
    ],
)
def test_centre_of_mass_lands_in_the_centre_pixel(points):
    p = preprocess(stroke(canvas(), points))
    cy, cx = p.centre
    eps = 1e-9  # the centre of mass is a sum of floats
    assert 14 - eps <= cy < 15 and 14 - eps <= cx < 15
    # The shift moves the fitted digit's centre of mass by whole pixels onto the field's centre.
    fy, fx = p.fitted_centre
    assert (fy + p.offset[0], fx + p.offset[1]) == pytest.approx(p.centre)
    assert p.image.sum() == pytest.approx(p.fitted.sum())  # nothing was cut off


def test_lopsided_digit_is_not_cut_off():
    """Nearly all the mass at the top: moving it down to row 14 would push the tail out of the
    field, so the digit goes down only until it touches the bottom edge, and no ink is lost."""
    d = canvas(100, 100)
    d[0:5, 0:100] = 1  # a heavy bar
    d[5:100, 0] = 0.3  # a faint long tail down the left side
    p = preprocess(d)
    assert p.fitted.shape == (20, 20)
    assert p.offset[0] == FIELD - 20
    assert p.image.sum() == pytest.approx(p.fitted.sum())
    assert p.centre[0] < 13.5


def test_large_drawing():
    d = stroke(canvas(MAX_SIDE, MAX_SIDE), [(60, 250), (460, 250)], width=40)
    p = preprocess(d)
    assert p.image.shape == (FIELD, FIELD)
    assert 0 <= p.image.min() and p.image.max() <= 1
    top, left, h, w = ink_bbox(p.image)
    assert h == 20 and w <= 5  # a tall thin 1
    assert ink_bbox(d)[2] == 441  # rows 40..480 of the drawing hold ink


def test_result_is_like_mnist():
    """Every digit of the bundled MNIST sample, preprocessed again, fits 20x20 and is centred."""
    from engine.data import load_sample

    for image in load_sample().test_images[:50] / 255.0:
        p = preprocess(image)
        assert max(ink_bbox(p.image, 1e-9)[2:]) <= 20
        assert 14 <= p.centre[0] < 15 and 14 <= p.centre[1] < 15


@pytest.fixture(scope="module")
def mnist_test():
    from engine.data import load_sample

    sample = load_sample()
    return sample.test_images / 255.0, sample.test_labels


def test_mnist_own_placement(mnist_test):
    """MNIST's placement, read from the data (not from this code): every bundled test digit's ink fits
    20 x 20 exactly, and its centre of mass lies in pixel (14, 14), 14 <= row, column < 15."""
    images, _ = mnist_test
    centres = np.array([centre_of_mass(image) for image in images])
    assert ((centres >= 14) & (centres < 15)).all()
    assert all(max(ink_bbox(image, 0.0)[2:]) == BOX for image in images)


def test_mnist_digits_come_back_unchanged(mnist_test):
    """A digit of MNIST itself, sent through the preprocessing, is already what it makes: at least 99%
    of the 2,000 bundled test digits come back exactly, pixel for pixel (all of them do today)."""
    images, _ = mnist_test
    unchanged = np.mean([np.array_equal(preprocess(image).image, image) for image in images])
    assert unchanged >= 0.99, f"only {100 * unchanged:.2f}% of the MNIST test digits come back unchanged"


def test_preprocessing_costs_the_pretrained_model_nothing(mnist_test):
    """LeNet-5 (shipped, trained on MNIST) reads the preprocessed test digits at least as well as the raw."""
    from pathlib import Path

    from engine.data import normalise
    from engine.model import Sequential

    images, labels = mnist_test
    model = Sequential.load(Path(__file__).resolve().parents[2] / "app" / "pretrained" / "lenet5.npz")
    processed = np.stack([preprocess(image).image for image in images])
    raw_accuracy = np.mean(model.predict_proba(normalise(images[:, None])).argmax(1) == labels)
    accuracy = np.mean(model.predict_proba(normalise(processed[:, None])).argmax(1) == labels)
    assert raw_accuracy > 0.98
    assert accuracy >= raw_accuracy


# --- refusals -------------------------------------------------------------------------------------


def refusal(drawing, fn=preprocess) -> EngineError:
    with pytest.raises(EngineError) as info:
        fn(drawing)
    return info.value


def test_empty_canvas():
    e = refusal(canvas())
    assert e.code == "empty_drawing" and "draw a digit first" in str(e)
    assert e.params["ink_percent"] == 0


def test_nearly_empty_canvas():
    d = canvas()
    d[100:103, 100:103] = 1  # a 3x3 dot on 280x280: 0.011% ink
    e = refusal(d)
    assert e.code == "empty_drawing" and "nearly empty" in str(e)
    assert e.params["ink_percent"] == pytest.approx(100 * 9 / 280**2, abs=0.01)


def test_faint_haze_is_empty():
    e = refusal(np.full((50, 50), 0.05))  # 5% mean, but no pixel dark enough to be ink
    assert e.code == "empty_drawing"


def test_just_enough_ink_is_a_drawing():
    d = canvas(100, 100)
    d[50, 40:60] = 0.25  # 20 pixels at 0.25 of 10,000: exactly 0.05% ink
    assert preprocess(d).image.sum() > 0
    d[50, 40:60] = 0.24  # 0.048%
    assert refusal(d).code == "empty_drawing"


def test_a_dot_is_not_a_digit():
    d = canvas(280, 280)
    d[100:127, 100:127] = 1  # 0.93% ink, but only 27 pixels across: less than 28
    e = refusal(d)
    assert e.code == "drawing_too_small" and "draw a digit first" in str(e)
    assert (e.params["extent"], e.params["side"], e.params["minimum"]) == (27, 280, 28)
    d[100:128, 100:101] = 1  # one column longer: 28 pixels, a short stroke
    assert preprocess(d).bbox == (100, 100, 28, 27)


@pytest.mark.parametrize("value", [-0.1, 1.5, np.nan, np.inf, -np.inf])
def test_values_outside_0_1(value):
    d = canvas(30, 40)
    d[10:20, 10:20] = 1
    d[2, 7] = value
    e = refusal(d)
    assert e.code == "ink_out_of_range"
    assert e.params["position"] == [["row", 3], ["column", 8]]
    assert "row 3, column 8" in str(e)


@pytest.mark.parametrize("shape", [(3, 28, 28), (28,), (0, 5)])
def test_not_2d(shape):
    assert refusal(np.ones(shape)).code == "drawing_not_2d"


def test_too_large():
    e = refusal(np.ones((MAX_SIDE + 1, 10)))
    assert e.code == "drawing_too_large" and e.params["height"] == MAX_SIDE + 1


def test_as_input_keeps_a_28x28_image():
    image = np.zeros((28, 28))
    image[5:20, 12:15] = 0.8
    np.testing.assert_array_equal(as_input(image), image)
    assert refusal(np.ones((27, 28)), as_input).code == "needs_28x28"
    assert refusal(np.zeros((28, 28)), as_input).code == "empty_drawing"
    assert check_drawing(image).dtype == np.float64


# --- does it look like a digit? -------------------------------------------------------------------

from engine.preprocess import DARK_BACKGROUND, DOT, THICK_STROKES, digit_check  # noqa: E402

PAD = 128  # the draw page's pad sends 128 x 128
PEN = round(0.085 * PAD)  # with a pen 8.5% of its side wide (static/js/draw_canvas.js)
SEVEN = [(0.2, 0.2), (0.2, 0.75), (0.85, 0.4)]  # (row, column) in [0, 1]: a 7


def pad_drawing(points, scale=1.0, at=(0.1, 0.1), width=PEN):
    """A digit on the pad, drawn with the pad's pen at ``scale`` of the pad's size."""
    pts = [(PAD * (at[0] + scale * r), PAD * (at[1] + scale * c)) for r, c in points]
    return stroke(canvas(PAD, PAD), pts, width=width)


def test_mnist_digits_are_rarely_flagged(mnist_test):
    """The thresholds let real handwritten digits through: at most 1% of the 2,000 bundled MNIST test
    digits get a hint (0.3% do: 6 with unusually thick strokes; the edge holds at most 2% ink)."""
    images, _ = mnist_test
    checks = [digit_check(image) for image in images]
    flagged = np.mean([c.uncertain for c in checks])
    assert flagged <= 0.01, f"{100 * flagged:.2f}% of MNIST's test digits flagged"
    assert max(c.border_ink for c in checks) < 0.05  # MNIST's edges are nearly always blank
    assert max(c.ink for c in checks) < DARK_BACKGROUND
    assert max(c.stroke for c in checks) < DOT


@pytest.mark.parametrize("points", [SEVEN, [(0.1, 0.5), (0.9, 0.45)], [(0.1, 0.3), (0.1, 0.7), (0.5, 0.7), (0.9, 0.3)]])
def test_digit_drawn_on_most_of_the_pad_has_no_hint(points):
    check = digit_check(pad_drawing(points, scale=0.8))
    assert check.hint is None and not check.uncertain
    assert check.stroke < THICK_STROKES


def test_fully_inked_pad():
    check = digit_check(np.ones((PAD, PAD)))
    assert check.hint == "dark_on_light" and check.uncertain
    assert check.ink == 1 and check.border_ink == 1 and check.stroke == np.inf


def test_inverted_one():
    """Ink everywhere with a blank bar: a "1" drawn light on dark (the issue's 78% "2")."""
    d = np.ones((PAD, PAD))
    d[15:113, 58:70] = 0
    check = digit_check(d)
    assert check.hint == "dark_on_light" and check.uncertain
    assert check.border_ink == 1 and check.ink == pytest.approx(1 - 98 * 12 / PAD**2)


def test_ink_along_the_whole_edge():
    d = pad_drawing(SEVEN, scale=0.8)
    d[:6], d[-6:], d[:, :6], d[:, -6:] = 1, 1, 1, 1  # a frame drawn round the digit
    assert digit_check(d).hint == "dark_on_light"


@pytest.mark.parametrize("width", [20, 32, 48])
def test_a_dot(width):
    """One round blot (wider than the smallest drawing preprocess accepts): a disc's relative stroke is
    2 * pi r^2 / (2 pi r) / 2r = 0.5 in theory, about 0.36-0.40 on pixels."""
    d = stroke(canvas(PAD, PAD), [(64, 64), (64, 64)], width=width)
    preprocess(d)  # an accepted drawing, yet not a digit
    check = digit_check(d)
    assert check.hint == "dot" and check.uncertain and check.stroke > DOT


@pytest.mark.parametrize("points", [SEVEN, [(0.1, 0.5), (0.9, 0.45)], [(0.1, 0.3), (0.1, 0.7), (0.5, 0.7), (0.9, 0.3)]])
def test_a_digit_at_a_quarter_of_the_pad(points):
    """Drawn at a quarter of the pad with the same pen, the strokes are 4 times as thick for the digit's
    size: preprocessed to 20 x 20 it becomes a blob the network misreads (the issue: 3 right of 10)."""
    check = digit_check(pad_drawing(points, scale=0.25, at=(0.6, 0.1)))
    assert check.hint == "draw_bigger" and check.uncertain
    assert THICK_STROKES < check.stroke <= DOT
    # ... and at half the pad it is still a digit
    assert digit_check(pad_drawing(points, scale=0.5)).hint is None


def test_stroke_width_by_hand():
    """A 40 x 4 bar: area 160, perimeter 2 * (40 + 4) = 88; 2 * 160 / 88 = 3.64 pixels wide, over 40."""
    d = canvas(100, 100)
    d[30:70, 50:54] = 1
    check = digit_check(d)
    assert check.stroke == pytest.approx(2 * 160 / 88 / 40)
    assert check.ink == pytest.approx(160 / 10_000) and check.border_ink == 0
    d[30:70, 50:54] = 0.4  # faint ink: "dark" is relative to the darkest pixel
    assert digit_check(d).stroke == pytest.approx(check.stroke)
