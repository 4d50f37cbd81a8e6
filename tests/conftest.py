"""Fixtures and helpers shared by the tests: a tiny GAN on 2x2 "faces", which fits in about a second."""

import keras
import pytest

from ganlib import data, losses
from ganlib.gan import GAN, build_mlp_discriminator, build_mlp_generator

collect_ignore = ["distributed_step.py"]  # a script the tests run, not a test module

IMAGE_SHAPE = (2, 2, 1)
LATENT_DIM = 4


def make_gan(generator=None, discriminator=None, *, dropout=0.0, learning_rate=1e-2, d_learning_rate=None,
             g_learning_rate=None, seed=0, d_loss_fn=losses.discriminator_loss, g_loss_fn=losses.generator_loss,
             compile_kwargs=None, **gan_kwargs):
    """A compiled ``GAN`` of one-hidden-layer MLPs (8 units) for 2x2 images, from seed 0.

    Import it in a test module with ``from conftest import make_gan``.
    """
    keras.utils.set_random_seed(0)
    gan = GAN(generator or build_mlp_generator(LATENT_DIM, IMAGE_SHAPE, hidden_units=(8,)),
              discriminator or build_mlp_discriminator(IMAGE_SHAPE, hidden_units=(8,), dropout=dropout),
              latent_dim=LATENT_DIM, seed=seed, **gan_kwargs)
    d_rate = learning_rate if d_learning_rate is None else d_learning_rate
    g_rate = learning_rate if g_learning_rate is None else g_learning_rate
    gan.compile(keras.optimizers.Adam(d_rate), keras.optimizers.Adam(g_rate),
                d_loss_fn, g_loss_fn, **(compile_kwargs or {}))
    return gan


@pytest.fixture(scope="module")
def faces():
    """64 slanted-land faces, (64, 2, 2, 1) in [-1, 1]."""
    return data.make_faces2x2(64)
