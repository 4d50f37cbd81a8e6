"""GAN losses against hand-derived values and against Keras' binary cross-entropy."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from ganlib import losses

LN2 = math.log(2.0)
# Fixed logits for the hand-computed values, shaped like a discriminator's output (batch, 1).
REAL = np.array([[2.0], [-1.0]], dtype=np.float32)
FAKE = np.array([[0.5], [-3.0]], dtype=np.float32)
ZEROS = np.zeros((4, 1), dtype=np.float32)


def softplus(x):
    """log(1 + e^x), written out: the test's own oracle, independent of keras.ops."""
    return math.log1p(math.exp(x))


def value(tensor):
    return float(tensor)


# Binary cross-entropy losses at zero logits: D outputs 1/2 everywhere.

def test_discriminator_loss_is_2_ln_2_at_zero_logits():
    assert value(losses.discriminator_loss(ZEROS, ZEROS)) == pytest.approx(2 * LN2, abs=1e-6)


def test_generator_loss_is_ln_2_at_zero_logits():
    assert value(losses.generator_loss(ZEROS)) == pytest.approx(LN2, abs=1e-6)


def test_minimax_generator_loss_is_minus_ln_2_at_zero_logits():
    assert value(losses.minimax_generator_loss(ZEROS)) == pytest.approx(-LN2, abs=1e-6)


def test_binary_cross_entropy_losses_at_fixed_logits():
    # -log sigmoid(x) = log(1 + e^-x) and -log(1 - sigmoid(x)) = log(1 + e^x).
    d_expected = (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2
    g_expected = (softplus(-0.5) + softplus(3.0)) / 2
    minimax_expected = -(softplus(0.5) + softplus(-3.0)) / 2
    # By hand: (0.126928 + 1.313262) / 2 + (0.974077 + 0.048587) / 2 = 0.720095 + 0.511332
    assert d_expected == pytest.approx(1.231427, abs=1e-6)
    assert value(losses.discriminator_loss(REAL, FAKE)) == pytest.approx(d_expected, abs=1e-6)
    assert value(losses.generator_loss(FAKE)) == pytest.approx(g_expected, abs=1e-6)
    assert value(losses.minimax_generator_loss(FAKE)) == pytest.approx(minimax_expected, abs=1e-6)


def test_binary_cross_entropy_losses_match_keras():
    rng = np.random.default_rng(0)
    real, fake = (rng.normal(0.0, 3.0, size=(64, 1)).astype(np.float32) for _ in range(2))
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    ones, zeros = np.ones_like(real), np.zeros_like(real)
    expected_d = value(bce(ones, real)) + value(bce(zeros, fake))
    assert value(losses.discriminator_loss(real, fake)) == pytest.approx(expected_d, abs=1e-5)
    assert value(losses.generator_loss(fake)) == pytest.approx(value(bce(ones, fake)), abs=1e-5)
    assert value(losses.minimax_generator_loss(fake)) == pytest.approx(-value(bce(zeros, fake)), abs=1e-5)


@pytest.mark.parametrize("logit", [100.0, -100.0])
def test_losses_and_gradients_are_finite_at_large_logits(logit):
    logits = tf.constant([[logit]] * 3)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        results = {"discriminator": losses.discriminator_loss(logits, logits),
                   "generator": losses.generator_loss(logits),
                   "minimax": losses.minimax_generator_loss(logits)}
    for name, loss in results.items():
        assert np.isfinite(value(loss)), name
        assert np.all(np.isfinite(tape.gradient(loss, logits).numpy())), name
    # Exact values: softplus(100) = 100 (to float precision), softplus(-100) = e^-100 ~ 0.
    if logit > 0:  # D calls everything real: right on real images, wrong on fakes
        assert value(results["discriminator"]) == pytest.approx(100.0)
        assert value(results["generator"]) == pytest.approx(0.0, abs=1e-6)
        assert value(results["minimax"]) == pytest.approx(-100.0)
    else:
        assert value(results["discriminator"]) == pytest.approx(100.0)
        assert value(results["generator"]) == pytest.approx(100.0)
        assert value(results["minimax"]) == pytest.approx(0.0, abs=1e-6)


def test_minimax_loss_saturates_where_the_non_saturating_loss_does_not():
    # D confidently rejects the fakes (logit -10): the minimax generator gets almost no
    # gradient, the non-saturating one a gradient of about -1 per example (Goodfellow, Sec. 3).
    fake = tf.constant([[-10.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(fake)
        minimax, non_saturating = losses.minimax_generator_loss(fake), losses.generator_loss(fake)
    assert abs(float(tape.gradient(minimax, fake)[0, 0])) < 1e-4  # -sigmoid(-10) = -4.5e-5
    assert float(tape.gradient(non_saturating, fake)[0, 0]) == pytest.approx(-1.0, abs=1e-4)


# Least squares, Wasserstein and hinge losses. Hand-computed with REAL = [2, -1], FAKE = [0.5, -3].

@pytest.mark.parametrize("name, d_at_zero, g_at_zero, d_expected, g_expected", [
    # 0.5 * mean(1, 4) + 0.5 * mean(0.25, 9) = 1.25 + 2.3125;  0.5 * mean(0.25, 16)
    ("lsgan", 0.5, 0.5, 3.5625, 4.0625),
    # mean(fake) - mean(real) = -1.25 - 0.5;  -mean(fake)
    ("wgan", 0.0, 0.0, -1.75, 1.25),
    # mean(relu(-1), relu(2)) + mean(relu(1.5), relu(-2)) = 1 + 0.75;  -mean(fake)
    ("hinge", 2.0, 0.0, 1.75, 1.25),
])
def test_loss_pair_golden_values(name, d_at_zero, g_at_zero, d_expected, g_expected):
    d_loss_fn, g_loss_fn = losses.PAIRS[name]
    assert value(d_loss_fn(ZEROS, ZEROS)) == pytest.approx(d_at_zero, abs=1e-7)
    assert value(g_loss_fn(ZEROS)) == pytest.approx(g_at_zero, abs=1e-7)
    assert value(d_loss_fn(REAL, FAKE)) == pytest.approx(d_expected, abs=1e-6)
    assert value(g_loss_fn(FAKE)) == pytest.approx(g_expected, abs=1e-6)


def test_pairs_name_every_loss_pair():
    assert losses.PAIRS["bce"] == (losses.discriminator_loss, losses.generator_loss)
    assert losses.PAIRS["minimax"] == (losses.discriminator_loss, losses.minimax_generator_loss)
    assert set(losses.PAIRS) == {"bce", "minimax", "lsgan", "wgan", "hinge", "relativistic"}


@pytest.mark.parametrize("name", ["lsgan", "wgan", "hinge"])
def test_score_losses_are_finite_at_large_logits(name):
    d_loss_fn, g_loss_fn = losses.PAIRS[name]
    big = np.full((3, 1), 100.0, dtype=np.float32)
    assert np.isfinite(value(d_loss_fn(big, -big))) and np.isfinite(value(g_loss_fn(-big)))


# The gradient penalty of WGAN-GP.

def test_gradient_penalty_of_a_linear_critic_is_known():
    # D(x) = w . x has gradient w everywhere: the penalty is (||w|| - 1)^2 = (3 - 1)^2 whatever eps is.
    weights = np.zeros((1, 2, 2, 1), dtype=np.float32)
    weights[0, 0, 0, 0], weights[0, 1, 1, 0] = 3.0 * 0.6, 3.0 * 0.8  # norm 3

    def linear_critic(images, training=True):
        return keras.ops.sum(images * weights, axis=(1, 2, 3))

    rng = np.random.default_rng(0)
    real, fake = (rng.uniform(-1, 1, size=(16, 2, 2, 1)).astype(np.float32) for _ in range(2))
    assert value(losses.gradient_penalty(linear_critic, real, fake, seed=1)) == pytest.approx(4.0, rel=1e-5)


def test_gradient_penalty_draws_one_uniform_eps_per_example():
    # Critic D(x) = ||x||^2 / 2 has gradient x. With real = a unit-norm image and fake = 0,
    # x_hat = eps * real, so the recorded inputs reveal eps and the penalty is mean((eps - 1)^2).
    seen = []

    def quadratic_critic(images, training=True):
        seen.append(keras.ops.convert_to_numpy(images))
        return 0.5 * keras.ops.sum(keras.ops.square(images), axis=(1, 2, 3))

    count = 4000
    real = np.full((count, 2, 2, 1), 0.5, dtype=np.float32)  # norm sqrt(4 * 0.25) = 1
    fake = np.zeros_like(real)
    penalty = value(losses.gradient_penalty(quadratic_critic, real, fake, seed=3))

    eps = seen[0] / 0.5
    assert np.allclose(eps, eps[:, :1, :1, :1]), "one eps per example, shared by its pixels"
    eps = eps[:, 0, 0, 0]
    assert len(np.unique(eps)) > count * 0.99, "a different eps for each example"
    assert eps.min() >= 0.0 and eps.max() <= 1.0
    assert stats.kstest(eps, "uniform").pvalue > 0.01  # a normal draw would fail this
    assert penalty == pytest.approx(np.mean((eps - 1.0) ** 2), rel=1e-4)
    assert penalty == pytest.approx(1.0 / 3.0, abs=0.02)  # E[(eps - 1)^2] for eps ~ U(0, 1)


# The relativistic pairing loss and the zero-centred penalties (R3GAN's loss).

def test_relativistic_pair_at_equal_and_fixed_logits():
    d_loss_fn, g_loss_fn = losses.PAIRS["relativistic"]
    assert g_loss_fn.takes_real_logits
    assert value(d_loss_fn(ZEROS, ZEROS)) == pytest.approx(LN2, abs=1e-7)
    assert value(g_loss_fn(ZEROS, ZEROS)) == pytest.approx(LN2, abs=1e-7)
    # Pairs (2, 0.5) and (-1, -3): D pays softplus(fake - real), G softplus(real - fake).
    d_expected = (softplus(0.5 - 2.0) + softplus(-3.0 + 1.0)) / 2  # (0.201413 + 0.126928) / 2
    g_expected = (softplus(2.0 - 0.5) + softplus(-1.0 + 3.0)) / 2  # (1.701413 + 2.126928) / 2
    assert d_expected == pytest.approx(0.164171, abs=1e-6)
    assert value(d_loss_fn(REAL, FAKE)) == pytest.approx(d_expected, abs=1e-6)
    assert value(g_loss_fn(FAKE, REAL)) == pytest.approx(g_expected, abs=1e-6)
    # Only the differences count: shifting every score by the same amount changes nothing.
    assert value(d_loss_fn(REAL + 5.0, FAKE + 5.0)) == pytest.approx(d_expected, abs=1e-6)


def test_zero_centred_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    weights = np.zeros((1, 2, 2, 1), dtype=np.float32)
    weights[0, 0, 0, 0], weights[0, 1, 1, 0] = 3.0 * 0.6, 3.0 * 0.8  # norm 3

    def linear_discriminator(images, training=True):
        return keras.ops.sum(images * weights, axis=(1, 2, 3)) + 7.0

    images = np.random.default_rng(0).uniform(-1, 1, size=(16, 2, 2, 1)).astype(np.float32)
    assert value(losses.zero_centred_penalty(linear_discriminator, images)) == pytest.approx(9.0, rel=1e-6)


def test_zero_centred_penalty_takes_each_images_own_gradient():
    # D(x) = ||x||^2 / 2 has gradient x, so the penalty is the mean squared norm of the images.
    def quadratic_discriminator(images, training=True):
        return 0.5 * keras.ops.sum(keras.ops.square(images), axis=(1, 2, 3))

    images = np.random.default_rng(1).normal(size=(8, 2, 2, 1)).astype(np.float32)
    expected = np.mean(np.sum(images ** 2, axis=(1, 2, 3)))
    assert value(losses.zero_centred_penalty(quadratic_discriminator, tf.constant(images))) == pytest.approx(
        expected, rel=1e-5)
