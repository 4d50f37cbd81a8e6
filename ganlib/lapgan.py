"""Laplacian pyramids (Burt and Adelson 1983), the representation LAPGAN (Denton et al. 2015) generates.

A Laplacian pyramid stores an image as band-pass detail at each scale plus one small low-pass
image. With ``d`` a downsampling (here 2x2 averaging) and ``u`` an upsampling (here bilinear):

    I_0 = image,   I_{k+1} = d(I_k),   h_k = I_k - u(I_{k+1}),

and the pyramid is ``[h_0, h_1, ..., h_{K-1}, I_K]``. Reconstruction runs coarse to fine,
``I_k = u(I_{k+1}) + h_k``, and gives the image back exactly (up to float rounding) whatever
``d`` and ``u`` are, because each band stores precisely what ``u`` misses. LAPGAN generates the
low-pass image with a GAN and each band ``h_k`` with a GAN conditioned on ``u(I_{k+1})``.

Example:
    >>> pyramid = lapgan.build_pyramid(images, levels=3)   # 28x28 -> bands 28, 14 and low-pass 7
    >>> np.abs(lapgan.reconstruct(pyramid) - images).max() < 1e-5
    True
"""

import numpy as np
from keras import ops

from ganlib.gan import _check_positive_int


def downsample(images):
    """Halve the height and width by averaging 2x2 blocks: ``(N, H, W, C) -> (N, H/2, W/2, C)``."""
    images = _check_images(images)
    height, width = images.shape[1], images.shape[2]
    if height % 2 or width % 2:
        raise ValueError(f"Expected an even height and width to halve, got {height}x{width}.")
    return ops.average_pool(images, pool_size=2, strides=2, padding="valid")


def upsample(images):
    """Double the height and width by bilinear interpolation: ``(N, H, W, C) -> (N, 2H, 2W, C)``."""
    images = _check_images(images)
    height, width = images.shape[1], images.shape[2]
    return ops.image.resize(images, (2 * height, 2 * width), interpolation="bilinear")


def build_pyramid(images, levels: int) -> list:
    """The Laplacian pyramid of a batch of images, finest band first.

    Args:
        images: ``(N, H, W, C)`` images; ``H`` and ``W`` divisible by ``2 ** (levels - 1)``.
        levels: number of pyramid levels, at least 1 (1 gives just the image as its low-pass).

    Returns:
        ``[h_0, ..., h_{levels-2}, low_pass]``: the band-pass images from full size down, then
        the low-pass image of size ``H / 2 ** (levels - 1)``, as float32 NumPy arrays.
    """
    images = _check_images(images)
    _check_positive_int("levels", levels)
    factor = 2 ** (levels - 1)
    height, width = images.shape[1], images.shape[2]
    if height % factor or width % factor:
        raise ValueError(f"Expected a height and width divisible by 2 ** (levels - 1) = {factor} for "
                         f"{levels} levels, got {height}x{width}.")
    pyramid, current = [], images
    for _ in range(levels - 1):
        coarser = downsample(current)
        pyramid.append(ops.convert_to_numpy(current - upsample(coarser)))
        current = coarser
    pyramid.append(ops.convert_to_numpy(current))
    return pyramid


def reconstruct(pyramid):
    """The images a pyramid from ``build_pyramid`` stores: ``I_k = u(I_{k+1}) + h_k``, coarse to fine."""
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError(f"Expected a non-empty list of levels (bands, then the low-pass image), "
                         f"got {type(pyramid).__name__}.")
    images = _check_images(pyramid[-1])
    for band in reversed(pyramid[:-1]):
        band = _check_images(band)
        if band.shape[1:3] != (2 * images.shape[1], 2 * images.shape[2]):
            raise ValueError(f"Expected each band twice the size of the level below it: a "
                             f"{band.shape[1]}x{band.shape[2]} band above a "
                             f"{images.shape[1]}x{images.shape[2]} level.")
        images = ops.convert_to_numpy(upsample(images) + band)
    return np.asarray(images, np.float32)


def _check_images(images):
    images = np.asarray(ops.convert_to_numpy(images), np.float32)
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (batch, height, width, channels), got shape "
                         f"{images.shape}.")
    return images
