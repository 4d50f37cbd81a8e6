"""ganlib.widgets: moving a slider redraws the image; without a widget front end the figure is static."""

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from ganlib import dcgan, widgets


def views():
    generator = dcgan.build_generator(16, filters=8)
    z_start, z_end = np.random.default_rng(0).standard_normal((2, 16))
    return {"slanted_land": (widgets.slanted_land(), "w", -2.0),
            "optimal_discriminator": (widgets.optimal_discriminator(), "mu", 0.5),
            "latent_path": (widgets.latent_path(generator, z_start, z_end), "t", 1.0)}


@pytest.mark.parametrize("name", ["slanted_land", "optimal_discriminator", "latent_path"])
def test_moving_a_slider_changes_the_image(name, monkeypatch):
    monkeypatch.delenv(widgets.STATIC_ENVIRONMENT, raising=False)
    view, slider, moved_to = views()[name]
    box = view.widget()
    before = bytes(view.image.value)
    assert before.startswith(b"\x89PNG") and len(box.children) == len(view.sliders) + 1
    view.controls[slider].value = moved_to  # what dragging the slider does: the observer redraws
    assert view.values[slider] == moved_to
    assert bytes(view.image.value) != before
    view.controls[slider].value = view.sliders[slider][0]
    assert bytes(view.image.value) == before, "the same values draw the same image"


def test_a_toggle_redraws_and_a_wrong_path_is_refused(monkeypatch):
    view = views()["latent_path"][0]
    view.widget()
    view.set(t=0.5)
    linear = bytes(view.image.value)
    view.controls["path"].value = "spherical"
    assert bytes(view.image.value) != linear  # at t = 0.5 the two paths' z differ in norm
    with pytest.raises(ValueError, match="unknown slider"):
        view.set(speed=2)
    view.values["path"] = "straight"
    with pytest.raises(ValueError, match="Unknown path 'straight'"):
        view.png()


def test_latent_path_refuses_vectors_of_different_lengths():
    with pytest.raises(ValueError, match=r"got shapes \(16,\) and \(8,\)"):
        widgets.latent_path(dcgan.build_generator(16, filters=8), np.zeros(16), np.zeros(8))


@pytest.mark.parametrize("static, expected", [("1", "image/png"), ("", "application/vnd.jupyter.widget-view+json")])
def test_static_where_widgets_cannot_render(static, expected, monkeypatch):
    monkeypatch.setenv(widgets.STATIC_ENVIRONMENT, static)
    InteractiveShell.instance()
    with capture_output() as captured:
        widgets.optimal_discriminator()._ipython_display_()
    (shown,) = captured.outputs
    assert expected in shown.data
