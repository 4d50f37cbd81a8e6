"""Interactive views for the notebooks: sliders that redraw a figure (ipywidgets).

A ``View`` draws a matplotlib figure from its sliders' values. In JupyterLab, Jupyter Notebook and
Colab it shows the sliders above the figure, and moving one redraws it. Where widgets cannot
render (papermill, nbval, exported slides) it shows the figure at the sliders' starting values
instead, so the stored outputs stay the same from run to run: ``make course`` and the tests set
``GANLIB_STATIC_WIDGETS=1``, and a missing ``ipywidgets`` has the same effect.

    >>> view = slanted_land()
    >>> view.values["z"], len(view.png()) > 1000
    (0.7, True)
"""

import io
import os

import matplotlib.pyplot as plt
import numpy as np

from . import checks, theory

STATIC_ENVIRONMENT = "GANLIB_STATIC_WIDGETS"


def interactive() -> bool:
    """Whether views show sliders: ipywidgets is installed and ``GANLIB_STATIC_WIDGETS`` is not set."""
    if os.environ.get(STATIC_ENVIRONMENT, "") not in ("", "0"):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class View:
    """Sliders and the figure that ``draw(**values)`` makes from them.

    Args:
        draw: returns a matplotlib Figure for keyword values, one per slider.
        sliders: name -> (start, low, high, step) for a float slider, or name -> a list of
            choices for a toggle (its first entry is the start).
    """

    def __init__(self, draw, **sliders):
        self.draw, self.sliders = draw, sliders
        self.values = {name: spec[0] for name, spec in sliders.items()}
        self.image = self.controls = None

    def png(self) -> bytes:
        """The figure at the current values, as PNG bytes."""
        figure = self.draw(**self.values)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(figure)
        return buffer.getvalue()

    def set(self, **values):
        """Change some values (as moving their sliders would) and redraw the image widget."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise ValueError(f"unknown slider(s) {sorted(unknown)}; this view has {sorted(self.sliders)}")
        self.values.update(values)
        if self.image is not None:
            self.image.value = self.png()

    def widget(self):
        """The ipywidgets box: one control per slider, then the image; moving a control redraws."""
        import ipywidgets as widgets

        self.controls = {}
        for name, spec in self.sliders.items():
            if isinstance(spec, list):
                control = widgets.ToggleButtons(options=spec, value=self.values[name], description=name)
            else:
                start, low, high, step = spec
                control = widgets.FloatSlider(value=start, min=low, max=high, step=step, description=name,
                                              continuous_update=True, readout_format=".2f")
            control.observe(lambda change, name=name: self.set(**{name: change["new"]}), names="value")
            self.controls[name] = control
        self.image = widgets.Image(value=self.png(), format="png")
        return widgets.VBox([*self.controls.values(), self.image])

    def _ipython_display_(self):
        from IPython.display import Image, display

        display(self.widget() if interactive() else Image(self.png()))


# --- notebook 01: the slanted land -------------------------------------------------------------


def slanted_land(discriminator_weights=(1.0, -1.0, -1.0, 1.0), discriminator_bias=-1.0) -> View:
    """The article's one-number generator G(z) = sigmoid(z w + b), its face and D's score.

    Sliders: the noise ``z``, the weight ``w`` on every pixel (with the slanted sign pattern
    +, -, -, +) and the bias ``b`` (same pattern). D is the article's discriminator.
    """
    weights, signs = np.asarray(discriminator_weights, float), np.array([1.0, -1.0, -1.0, 1.0])

    def draw(z, w, b):
        face = 1 / (1 + np.exp(-(z * w + b) * signs))
        score = 1 / (1 + np.exp(-(face @ weights + discriminator_bias)))
        figure, axis = plt.subplots(figsize=(2.6, 2.9))
        axis.imshow(face.reshape(2, 2), cmap="Greys", vmin=0, vmax=1)
        for index, value in enumerate(face):
            axis.text(index % 2, index // 2, f"{value:.2f}", ha="center", va="center",
                      color="white" if value > 0.5 else "black")
        axis.set_title(f"G({z:.2f}), D(G(z)) = {score:.2f}")
        axis.axis("off")
        return figure

    return View(draw, z=(0.7, -1.0, 1.0, 0.05), w=(1.0, -3.0, 3.0, 0.1), b=(2.0, -3.0, 3.0, 0.1))


# --- notebook 02: D* and the Jensen-Shannon divergence -------------------------------------------


def optimal_discriminator(data_mean: float = 0.0, data_std: float = 1.0) -> View:
    """p_data = N(data_mean, data_std) against p_g = N(mu, sigma): both densities, D* and JSD.

    Sliders: the generator's mean ``mu`` and standard deviation ``sigma``. The title gives
    JSD(p_data || p_g) and C(G) = -ln 4 + 2 JSD, the value of the game against D*.
    """

    def draw(mu, sigma):
        x = np.linspace(min(data_mean - 4 * data_std, mu - 4 * sigma),
                        max(data_mean + 4 * data_std, mu + 4 * sigma), 2001)
        log_p_data = theory.gaussian_log_density(x, data_mean, data_std)
        log_p_g = theory.gaussian_log_density(x, mu, sigma)
        log_d_star, _ = theory.log_optimal_discriminator(log_p_data, log_p_g)
        wide = np.linspace(min(data_mean - 12 * data_std, mu - 12 * sigma),  # the JSD's integral: 12 sigma
                           max(data_mean + 12 * data_std, mu + 12 * sigma), 20001)
        jsd = theory.jensen_shannon_divergence(wide, theory.gaussian_log_density(wide, data_mean, data_std),
                                               theory.gaussian_log_density(wide, mu, sigma))
        figure, axis = plt.subplots(figsize=(6.0, 3.2))
        axis.plot(x, np.exp(log_p_data), label="$p_{data}$")
        axis.plot(x, np.exp(log_p_g), label="$p_g$")
        axis.plot(x, np.exp(log_d_star), "k--", label="$D^*$")
        axis.set_ylim(0, 1.05)
        axis.set_title(f"JSD = {jsd:.3f} nats,  C(G) = -ln 4 + 2 JSD = {-np.log(4) + 2 * jsd:.3f}")
        axis.legend(loc="upper right")
        return figure

    return View(draw, mu=(2.0, -4.0, 4.0, 0.1), sigma=(1.0, 0.3, 3.0, 0.1))


# --- notebook 04: walking the latent space -------------------------------------------------------


def latent_path(generator, z_start, z_end) -> View:
    """G along the line or the great circle from ``z_start`` to ``z_end``.

    Sliders: the position ``t`` from 0 (z_start) to 1 (z_end), and the ``path``, linear or
    spherical (``dcgan.interpolate``'s two methods). The title gives the norm of z there.
    """
    from .dcgan import interpolate

    z_start, z_end = np.asarray(z_start, "float32"), np.asarray(z_end, "float32")
    if z_start.shape != z_end.shape or z_start.ndim != 1:
        raise ValueError(f"z_start and z_end must be two vectors of one length; got shapes {z_start.shape} "
                         f"and {z_end.shape}")

    def draw(t, path):
        checks.choice("path", path, ("linear", "spherical"))
        steps = 21
        z = interpolate(z_start, z_end, steps=steps, method=path)[int(round(t * (steps - 1)))]
        image = np.asarray(generator(z[None], training=False))[0, ..., 0]
        figure, axis = plt.subplots(figsize=(2.8, 3.1))
        axis.imshow(image, cmap="gray", vmin=-1, vmax=1)
        axis.set_title(f"t = {t:.2f}, |z| = {np.linalg.norm(z):.1f}")
        axis.axis("off")
        return figure

    return View(draw, t=(0.5, 0.0, 1.0, 0.05), path=["linear", "spherical"])
