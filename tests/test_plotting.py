"""ganlib.plotting: grids of the right shape with the right pixels, curves with the right points."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ganlib.data import make_faces2x2  # noqa: E402
from ganlib.plotting import plot_curves, show_images  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _grid_shape(figure):
    geometry = figure.axes[0].get_subplotspec().get_geometry()
    return geometry[0], geometry[1]


def test_grid_has_one_axis_per_cell_and_hides_the_empty_ones():
    figure = show_images(make_faces2x2(10), ncols=4, title="Faces")
    assert isinstance(figure, matplotlib.figure.Figure)
    assert _grid_shape(figure) == (3, 4)
    assert len(figure.axes) == 12
    drawn = [axis for axis in figure.axes if axis.images]
    assert len(drawn) == 10
    assert not any(axis.axison for axis in figure.axes[10:])
    assert figure._suptitle.get_text() == "Faces"


def test_pixels_are_mapped_from_value_range_to_unit_interval():
    images = np.array([[[-1.0, 0.0], [0.5, 1.0]], [[-3.0, 3.0], [1.0, -1.0]]])  # (2, 2, 2)
    figure = show_images(images[..., None], ncols=2)
    shown = [np.asarray(axis.images[0].get_array()) for axis in figure.axes]
    np.testing.assert_allclose(shown[0], [[0.0, 0.5], [0.75, 1.0]])
    np.testing.assert_allclose(shown[1], [[0.0, 1.0], [1.0, 0.0]])  # clipped
    assert figure.axes[0].images[0].get_cmap().name == "gray"


def test_value_range_and_cmap_are_used():
    figure = show_images(np.array([[[0.0, 0.25], [0.5, 1.0]]]), value_range=(0, 1), cmap="Greys")
    np.testing.assert_allclose(figure.axes[0].images[0].get_array(), [[0.0, 0.25], [0.5, 1.0]])
    assert figure.axes[0].images[0].get_cmap().name == "Greys"


def test_colour_images_are_drawn_in_colour():
    figure = show_images(np.zeros((3, 4, 4, 3)), ncols=3)
    assert figure.axes[0].images[0].get_array().shape == (4, 4, 3)


def test_ncols_larger_than_the_batch_gives_one_row():
    figure = show_images(make_faces2x2(3), ncols=8)
    assert _grid_shape(figure) == (1, 3)


def test_row_labels_label_each_row():
    figure = show_images(make_faces2x2(6), ncols=3, row_labels=["epoch 1", "epoch 9"])
    assert [figure.axes[i].get_ylabel() for i in (0, 3)] == ["epoch 1", "epoch 9"]


@pytest.mark.parametrize("images, kwargs, message", [
    (np.zeros((0, 2, 2)), {}, "non-empty batch"),
    (np.zeros((2, 2)), {}, "got shape (2, 2)"),
    (np.zeros((2, 2, 2, 2)), {}, "got shape (2, 2, 2, 2)"),
    (np.zeros((2, 2, 2)), {"ncols": 0}, "ncols must be an integer >= 1, got 0"),
    (np.zeros((2, 2, 2)), {"value_range": (1, 1)}, "high > low"),
    (np.zeros((4, 2, 2)), {"ncols": 2, "row_labels": ["a"]}, "Expected 2 row_labels"),
])
def test_bad_arguments_say_what_was_expected(images, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        show_images(images, **kwargs)


def test_curves_are_plotted_per_epoch_from_one():
    figure = plot_curves({"d_loss": [1.4, 1.2, 1.3], "g_loss": np.array([0.7, 0.9, 0.8])},
                         title="Errors", ylabel="error")
    axis = figure.axes[0]
    lines = axis.get_lines()
    assert [line.get_label() for line in lines] == ["d_loss", "g_loss"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.7, 0.9, 0.8])
    assert (axis.get_title(), axis.get_xlabel(), axis.get_ylabel()) == ("Errors", "epoch", "error")
    assert axis.get_legend() is not None


def test_no_curves_is_an_error():
    with pytest.raises(ValueError, match="at least one curve"):
        plot_curves({})


def test_curves_have_whole_epochs_on_the_x_axis():
    figure = plot_curves({"d_loss": np.linspace(1.0, 2.0, 20)})
    ticks = [tick for tick in figure.axes[0].get_xticks() if 1 <= tick <= 20]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
