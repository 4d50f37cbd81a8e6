"""The names ganlib's docstring examples use, so that every example runs as a doctest.

``pytest --doctest-modules ganlib`` (part of ``make check`` and ``make test``) runs them in a
temporary folder with small stand-ins: ``dataset`` (batches of 2x2 faces), ``gan`` (a compiled
GAN for them), ``images`` (28x28 Fashion-MNIST test images), ``generator`` and ``noise`` (an
untrained DCGAN generator and 2,000 noise vectors), ``cgan`` (a conditional GAN for 10 classes).
"""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402
import os  # noqa: E402

# nbval's kernels inherit this: with no widget front end, ganlib.widgets shows static figures
# (the stored notebooks were made the same way by make course).
os.environ.setdefault("GANLIB_STATIC_WIDGETS", "1")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy  # noqa: E402
import tensorflow as tf  # noqa: E402

import ganlib  # noqa: E402
from ganlib import conditional_gan, dcgan, lapgan, srgan  # noqa: E402


@pytest.fixture(autouse=True)
def _op_determinism_stays_in_its_test():
    # ganlib.utils.seed_everything turns TensorFlow's op determinism on for the whole process,
    # and Keras then silently drops jit_compile=True: a test that seeds must not change the
    # tests that run after it.
    from tensorflow.python.framework import config

    enabled = config.is_op_determinism_enabled()
    yield
    if config.is_op_determinism_enabled() != enabled:
        (config.enable_op_determinism if enabled else config.disable_op_determinism)()


@pytest.fixture(autouse=True)
def _doctest_names(request, tmp_path, monkeypatch):
    if type(request.node).__name__ != "DoctestItem":
        return
    namespace = request.getfixturevalue("doctest_namespace")
    monkeypatch.chdir(tmp_path)  # examples write build/... files
    keras.utils.set_random_seed(0)
    gan = ganlib.GAN(ganlib.build_mlp_generator(4, (2, 2, 1), (8,)), ganlib.build_mlp_discriminator((2, 2, 1), (8,)),
                     latent_dim=4, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    dataset = ganlib.data.load("faces2x2", batch_size=250)
    cgan = conditional_gan.ConditionalGAN(conditional_gan.build_conv_generator(64, 10, filters=8),
                                          conditional_gan.build_conv_discriminator((28, 28, 1), 10, filters=8),
                                          latent_dim=64, num_classes=10, seed=0)
    namespace.update(io=io, np=np, keras=keras, tf=tf, scipy=scipy, ganlib=ganlib, ops=keras.ops, dcgan=dcgan,
                     lapgan=lapgan, srgan=srgan, gan=gan, dataset=dataset, cgan=cgan,
                     real_batch=next(iter(dataset)),
                     images=ganlib.data.load_arrays("fashion_mnist", "test", source="subset").images[:2000],
                     generator=dcgan.build_generator(100, filters=8),
                     noise=np.random.default_rng(0).standard_normal((2000, 100)).astype("float32"))
