"""Output-size arithmetic and its explanations."""
import pytest

from engine.errors import EngineError
from engine.shapes import conv_output_shape, formula, output_size, pair, pool_output_shape


@pytest.mark.parametrize("h,k,p,s,d,expected", [(28, 5, 2, 1, 1, 28), (28, 5, 0, 1, 1, 24), (24, 2, 0, 2, 1, 12),
                                                 (7, 3, 0, 2, 1, 3), (9, 3, 0, 1, 2, 5), (3, 2, 1, 1, 1, 4)])
def test_output_size_matches_the_formula(h, k, p, s, d, expected):
    assert output_size(h, k, p, s, d) == expected == (h + 2 * p - d * (k - 1) - 1) // s + 1


def test_kernel_too_big_shows_the_arithmetic_as_in_the_issue():
    with pytest.raises(EngineError) as e:
        conv_output_shape(2, 2, 3, 3, 0, 1)
    assert e.value.code == "kernel_too_big"
    assert str(e.value) == "a 3x3 kernel does not fit a 2x2 input with padding 0: OH = (2 + 2*0 - 3)/1 + 1 = 0"


def test_stride_that_does_not_fit_is_explained_not_floored():
    with pytest.raises(EngineError) as e:
        conv_output_shape(5, 5, 2, 2, 0, 2)
    assert e.value.code == "stride_does_not_fit"
    assert "2.5" in str(e.value) and "multiple of 2" in str(e.value)


@pytest.mark.parametrize("kwargs,code", [({"stride": 0}, "bad_stride"), ({"stride": -1}, "bad_stride"),
                                         ({"padding": -1}, "bad_padding"), ({"dilation": 0}, "bad_dilation"),
                                         ({"stride": 1.5}, "not_integer"), ({"stride": [1, 2, 3]}, "bad_pair")])
def test_bad_settings(kwargs, code):
    args = {"padding": 0, "stride": 1, "dilation": 1, **kwargs}
    with pytest.raises(EngineError) as e:
        conv_output_shape(5, 5, 3, 3, args["padding"], args["stride"], args["dilation"])
    assert e.value.code == code


def test_pairs_and_pool_padding():
    assert pair(3) == (3, 3) and pair([1, 2]) == (1, 2)
    assert pool_output_shape(4, 4, 2) == (2, 2)
    assert pool_output_shape(5, 5, 3, 2, 1) == (3, 3)
    with pytest.raises(EngineError) as e:
        pool_output_shape(4, 4, 2, 2, 2)
    assert e.value.code == "pool_padding_too_big"


@pytest.mark.parametrize("value", [1_000_001, -10**400, (1, 10**30)])
def test_a_setting_beyond_any_size_is_refused_in_short(value):
    with pytest.raises(EngineError) as e:
        conv_output_shape(28, 28, 3, 3, padding=value)
    assert e.value.code == "setting_too_large" and len(str(e.value)) < 80, str(e.value)


def test_a_pooling_window_under_1_is_said_to_be_one():
    for size in (0, -3, (2, -1)):  # not "padding 0 is more than half the window -3x-3"
        with pytest.raises(EngineError) as e:
            pool_output_shape(4, 4, size)
        assert e.value.code == "bad_kernel"


def test_formula_text():
    assert formula(3, 2, 1, 1) == "OH = (3 + 2*1 - 2)/1 + 1 = 4"
    assert formula(4, 2, 0, 2, axis="W") == "OW = (4 + 2*0 - 2)/2 + 1 = 2"


def test_an_engine_error_survives_pickling_whole():
    """Errors raised in the server's worker processes (app/compute.py) travel pickled."""
    import pickle

    from engine.errors import EngineError

    with pytest.raises(EngineError) as caught:
        conv_output_shape(3, 3, 5, 5, 0, 1, 1)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is EngineError and str(copy) == str(caught.value)
    assert (copy.code, copy.message, copy.params) == (caught.value.code, caught.value.message, caught.value.params)
    assert copy.params  # the numbers the message shows, for another language
