"""Notebook 07, your turn: build a Laplacian pyramid and rebuild the image from it."""

from ganlib import lapgan


def build(images, levels):
    pyramid, current = [], images
    for _ in range(levels - 1):
        coarser = lapgan.downsample(current)
        pyramid.append(current - lapgan.upsample(coarser))  # what the upsampling misses
        current = coarser
    return pyramid + [current]


def reconstruct(pyramid):
    images = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        images = lapgan.upsample(images) + band
    return images
