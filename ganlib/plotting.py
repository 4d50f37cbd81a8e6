"""Small Matplotlib helpers for the notebooks: image grids and curves per epoch."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def show_images(images, ncols: int = 8, title: str | None = None, row_labels=None,
                value_range=(-1.0, 1.0), cmap: str = "gray", image_size: float = 0.9):
    """Draw a batch of images as a grid, without axes.

    Args:
        images: array of shape ``(n, height, width)``, ``(n, height, width, 1)`` or
            ``(n, height, width, 3)``, with values in ``value_range``.
        ncols: images per row; the last row may be partly empty.
        title: title above the grid.
        row_labels: one label per row, written left of the row (e.g. ``"epoch 5"``).
        value_range: ``(low, high)`` of the pixel values; ``low`` is drawn black and
            ``high`` white with the default ``cmap``. Values outside are clipped.
        cmap: colour map of one-channel images, e.g. ``"Greys"`` to draw high values dark.
        image_size: width and height of one image in inches.

    Returns:
        The ``matplotlib.figure.Figure``; its ``axes`` hold one subplot per grid cell.

    Example:
        >>> figure = show_images(ganlib.data.make_faces2x2(8), ncols=4, title="Faces")
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3) or len(images) == 0:
        raise ValueError("Expected a non-empty batch of images shaped (n, height, width), "
                         f"(n, height, width, 1) or (n, height, width, 3), got shape {images.shape}.")
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be an integer >= 1, got {ncols!r}.")
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}.")
    ncols = min(int(ncols), len(images))
    nrows = -(-len(images) // ncols)
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(f"Expected {nrows} row_labels (one per row of {ncols} images), "
                         f"got {len(row_labels)}.")

    unit = np.clip((images - low) / (high - low), 0.0, 1.0)  # 0 = low, 1 = high
    figure, axes = plt.subplots(nrows, ncols, squeeze=False,
                                figsize=(ncols * image_size + 0.6 * (row_labels is not None),
                                         nrows * image_size + 0.4 * (title is not None)))
    for index, axis in enumerate(axes.flat):
        axis.set_xticks([])
        axis.set_yticks([])
        if index < len(unit):
            axis.imshow(unit[index], cmap=None if unit.ndim == 4 else cmap, vmin=0.0, vmax=1.0,
                        interpolation="nearest")
        else:
            axis.axis("off")
    for row, label in enumerate(row_labels or ()):
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_curves(curves: dict, title: str | None = None, xlabel: str = "epoch",
                ylabel: str | None = None, figsize=(5, 3)):
    """Plot named sequences of numbers (one value per epoch) as lines on one axis.

    Args:
        curves: ``{name: values}``, e.g. ``history.history`` or ``{"D error": [...]}``.
        title: title of the plot.
        xlabel: label of the x axis; the x values are 1, 2, ... (epochs counted from one).
        ylabel: label of the y axis.
        figsize: size of the figure in inches.

    Returns:
        The ``matplotlib.figure.Figure``, with one line per curve and a legend.
    """
    if not curves:
        raise ValueError("Expected at least one curve, as {name: values}; got none.")
    figure, axis = plt.subplots(figsize=figsize)
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float64).ravel()
        axis.plot(np.arange(1, len(values) + 1), values, label=name)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    axis.set_xlabel(xlabel)
    if ylabel:
        axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


def plot_history(history, title: str | None = None, panel_size=(4.0, 3.0)):
    """Loss curves and discriminator-output curves of a GAN's ``fit``, side by side.

    Panels: the two losses (``d_loss``, ``g_loss``); what D says (``d_real``, ``d_fake``,
    ``d_accuracy``, with 1/2, the equilibrium value, dotted); and, when
    ``ganlib.callbacks.HealthMonitor`` ran, the sample ``diversity`` and ``nearest_ratio``
    (1 = as spread as the real images).

    Args:
        history: the ``keras.callbacks.History`` returned by ``fit``, or its ``.history`` dict.
        title: title above the panels.
        panel_size: width and height of one panel in inches.

    Returns:
        The ``matplotlib.figure.Figure``; ``figure.axes`` holds one axis per panel.

    Example:
        >>> figure = plot_history(gan.fit(dataset, epochs=10, verbose=0))
    """
    curves = getattr(history, "history", history)
    if not isinstance(curves, dict) or not {"d_loss", "g_loss"} <= set(curves):
        found = sorted(curves) if isinstance(curves, dict) else type(curves).__name__
        raise ValueError(f"Expected the History of a GAN's fit, with d_loss and g_loss; got {found}.")
    epochs = getattr(history, "epoch", None) or range(len(curves["d_loss"]))
    epochs = np.asarray(epochs) + 1  # counted from one, like the progress bar
    panels = [("Losses", ("d_loss", "g_loss"), None),
              ("Discriminator", ("d_real", "d_fake", "d_accuracy"), 0.5),
              ("Samples vs real images", ("diversity", "nearest_ratio"), 1.0)]
    panels = [(name, [key for key in keys if key in curves], line) for name, keys, line in panels]
    panels = [panel for panel in panels if panel[1]]
    figure, axes = plt.subplots(1, len(panels), squeeze=False,
                                figsize=(panel_size[0] * len(panels), panel_size[1]))
    for axis, (name, keys, line) in zip(axes[0], panels):
        for key in keys:
            axis.plot(epochs, np.asarray(curves[key], dtype=np.float64), label=key,
                      linestyle="--" if key == "d_accuracy" else "-")
        if line is not None:
            axis.axhline(line, color="gray", linestyle=":", linewidth=1)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
