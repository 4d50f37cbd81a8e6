"""Every argument and data check of ganlib, in one place.

Each check raises ``ValueError`` saying what was expected and what came, before any work
is lost, and returns the value in the form the caller needs. The other modules import them.
"""

import math
import warnings
from numbers import Real

import numpy as np

# Real images in [-1, 1] almost always reach below 0 (dark pixels); data that never do were
# most likely scaled to [0, 1] (or are uint8 0..255 cast to float), which trains silently on
# a shifted range and ruins every measurement.
ZERO_ONE_HINT = ("they look scaled to [0, 1]; rescale them with images * 2 - 1 (ganlib.data.load "
                 "returns images ready to use)")


def integer(name: str, value, minimum: int = 1, maximum: int | None = None, why: str = "") -> int:
    """``value`` as an int after checking it is an integer (not a bool) in ``minimum..maximum``.

    ``why``, when given, is said in brackets after the bound, e.g. "a band level".
    """
    bound = f"in {minimum}..{maximum}" if maximum is not None else f">= {minimum}"
    bound += f" ({why})" if why else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}.")
    return int(value)


def number(name: str, value, minimum: float = 0.0) -> float:
    """``value`` as a float after checking it is a finite real number ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)) \
            or not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum:g}, got {value!r}.")
    return float(value)


def value_range(values, what: str = "images", low: float = -1.0, high: float = 1.0,
                zero_one: bool | str = False) -> np.ndarray:
    """``values`` as a NumPy array after checking they are finite and within ``[low, high]`` (+-1e-3).

    With ``zero_one=True``, data that never go below 0 are refused too (see ``ZERO_ONE_HINT``);
    with ``zero_one="warn"`` they get a warning (generated images may be all bright by accident).
    """
    values = np.asarray(values)
    if values.size == 0:
        raise ValueError(f"Expected {what}, got an empty array of shape {values.shape}.")
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"Expected float {what} scaled to [{low:g}, {high:g}], got dtype {values.dtype}; "
                         "ganlib.data.load returns them ready to use.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Expected finite {what}, got {np.size(values) - np.isfinite(values).sum()} "
                         "NaN or infinite values.")
    smallest, largest = float(values.min()), float(values.max())
    if smallest < low - 1e-3 or largest > high + 1e-3:
        raise ValueError(f"Expected {what} scaled to [{low:g}, {high:g}] (the generator's tanh range), "
                         f"got values in [{smallest:.3g}, {largest:.3g}].")
    if zero_one and smallest >= 0.0 and values.size > 16:
        message = f"Expected {what} scaled to [-1, 1], got values in [{smallest:.3g}, {largest:.3g}]: {ZERO_ONE_HINT}."
        if zero_one == "warn":
            warnings.warn(message, stacklevel=3)
        else:
            raise ValueError(message)
    return values


def images(values, expected_shape=None, what: str = "images", zero_one: bool | str = True,
           taker: str = "the discriminator", low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """A batch of float images in ``[low, high]``, of ``(batch, *expected_shape)`` when given.

    ``taker`` names what expects that shape, for the message.
    """
    values = np.asarray(values)
    if expected_shape is not None:
        expected = tuple(expected_shape)
        shape = values.shape
        if len(shape) != len(expected) + 1:
            raise ValueError(f"Expected a batch of {what} of rank {len(expected) + 1} "
                             f"(batch, {', '.join(map(str, expected))}), got shape {shape}.")
        if any(e is not None and e != s for e, s in zip(expected, shape[1:])):
            raise ValueError(f"Data {what} have shape {shape[1:]} but {taker} expects {expected}; "
                             "resize the data or build the networks for its shape.")
    return value_range(values, what, low, high, zero_one=zero_one)


def labels(values, num_classes: int, num_images: int | None = None) -> np.ndarray:
    """Integer class indices ``0 .. num_classes - 1``, as int32 of shape ``(batch,)``.

    Accepts ``(batch,)`` or ``(batch, 1)``; with ``num_images`` the count must match.
    """
    values = np.asarray(values)
    shape = values.shape
    if values.ndim == 2 and shape[1] == num_classes and num_classes > 1:
        raise ValueError(f"Expected integer class labels of shape (batch,), got shape {shape}, "
                         "which looks one-hot; pass labels.argmax(axis=1) instead.")
    if values.ndim not in (1, 2) or (values.ndim == 2 and shape[1] != 1):
        raise ValueError(f"Expected integer class labels of shape (batch,) or (batch, 1), got shape {shape}.")
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"Expected integer class labels 0..{num_classes - 1}, got dtype {values.dtype}.")
    values = values.reshape(-1)
    if num_images is not None and len(values) != num_images:
        raise ValueError(f"Expected one label per image ({num_images}), got {len(values)} labels.")
    if len(values) and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(f"Expected labels in 0..{num_classes - 1} (num_classes={num_classes}), "
                         f"got values in {values.min()}..{values.max()}.")
    return values.astype("int32")


def choice(name: str, value, allowed) -> str:
    """``value`` after checking it is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"Unknown {name} {value!r}; expected one of {', '.join(map(repr, allowed))}.")
    return value
