"""ganlib.checks: the argument and data checks every module shares."""

import math

import numpy as np
import pytest

from ganlib import checks


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3)])
def test_integers_of_any_integer_type_pass(value):
    assert checks.integer("steps", value) == 3 and type(checks.integer("steps", value)) is int


@pytest.mark.parametrize("value, message", [
    (True, "steps must be an integer >= 1, got True"),
    (np.bool_(True), "steps must be an integer >= 1, got "),
    (1.5, "steps must be an integer >= 1, got 1.5"),
    ("3", "steps must be an integer >= 1, got '3'"),
    (0, "steps must be an integer >= 1, got 0"),
])
def test_non_integers_and_small_integers_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        checks.integer("steps", value)


def test_an_integer_range_names_both_ends():
    with pytest.raises(ValueError, match=r"level must be an integer in 1..2, got 3"):
        checks.integer("level", 3, minimum=1, maximum=2)


@pytest.mark.parametrize("value", ["10", math.nan, math.inf, -0.5, True, None])
def test_numbers_must_be_finite_reals_above_the_minimum(value):
    with pytest.raises(ValueError, match=rf"gp_weight must be a finite number >= 0, got {value!r}"):
        checks.number("gp_weight", value)


def test_images_in_minus_one_to_one_pass_and_other_ranges_say_what_came():
    images = np.linspace(-1, 1, 2 * 4 * 4).reshape(2, 4, 4, 1).astype(np.float32)
    assert checks.images(images, (4, 4, 1)) is not None
    with pytest.raises(ValueError, match=r"got values in \[0, 255\]"):
        checks.images(np.arange(32, dtype=np.float32).reshape(2, 4, 4, 1) * 255 / 31, (4, 4, 1))
    with pytest.raises(ValueError, match="they look scaled to \\[0, 1\\]; rescale them with images \\* 2 - 1"):
        checks.images((images + 1) / 2, (4, 4, 1))
    with pytest.raises(ValueError, match="Expected finite images, got 1 NaN or infinite values"):
        checks.images(np.where(images == images.max(), np.nan, images), (4, 4, 1))
    with pytest.raises(ValueError, match="Expected float images scaled to \\[-1, 1\\], got dtype uint8"):
        checks.images(np.zeros((2, 4, 4, 1), np.uint8))


def test_labels_out_of_range_either_side_are_refused():
    assert checks.labels([0, 2, 1], 3).tolist() == [0, 2, 1]
    for bad in ([0, 7], [0, -3]):
        with pytest.raises(ValueError, match=r"Expected labels in 0..2 \(num_classes=3\)"):
            checks.labels(np.array(bad), 3)
