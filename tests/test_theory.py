import math

import numpy as np
import pytest
from scipy import integrate, stats

from ganlib import theory

LOG_4 = np.log(4.0)


def grid_for(mean, margin=12.0, points=20001):
    return np.linspace(min(0.0, mean) - margin, max(0.0, mean) + margin, points)


def test_gaussian_log_density_matches_scipy():
    x = np.array([-3.0, 0.0, 0.5, 7.0])
    np.testing.assert_allclose(theory.gaussian_log_density(x, mean=0.5, std=2.0),
                               stats.norm.logpdf(x, loc=0.5, scale=2.0), rtol=1e-12)


def test_gaussian_log_density_rejects_a_non_positive_std():
    with pytest.raises(ValueError, match="std must be positive, got 0"):
        theory.gaussian_log_density(0.0, std=0)


def test_optimal_discriminator_on_hand_values():
    log_d, log_one_minus_d = theory.log_optimal_discriminator(np.log([0.3, 0.2]), np.log([0.1, 0.2]))
    np.testing.assert_allclose(np.exp(log_d), [0.75, 0.5], rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_one_minus_d), [0.25, 0.5], rtol=1e-12)


def test_optimal_discriminator_stays_finite_where_the_naive_ratio_underflows():
    log_p_data, log_p_generator = np.array([0.0]), np.array([-2000.0])
    with np.errstate(divide="ignore"):
        naive = np.log(1.0 - np.exp(log_p_data) / (np.exp(log_p_data) + np.exp(log_p_generator)))
    assert np.isneginf(naive[0])
    log_d, log_one_minus_d = theory.log_optimal_discriminator(log_p_data, log_p_generator)
    assert log_d[0] == 0.0
    np.testing.assert_allclose(log_one_minus_d, [-2000.0])


def test_optimal_discriminator_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        theory.log_optimal_discriminator(np.zeros(3), np.zeros(2))


def test_expectation_gives_gaussian_moments():
    x = grid_for(2.0)
    log_p = theory.gaussian_log_density(x, mean=2.0)
    assert theory.expectation(x, log_p, np.ones_like(x)) == pytest.approx(1.0, abs=1e-12)
    assert theory.expectation(x, log_p, x) == pytest.approx(2.0, abs=1e-12)
    assert theory.expectation(x, log_p, (x - 2.0) ** 2) == pytest.approx(1.0, abs=1e-12)


def test_expectation_ignores_infinite_values_where_the_density_is_zero():
    x = np.linspace(0.0, 2.0, 201)
    log_p = np.where(x <= 1.0, 0.0, -np.inf)  # uniform on [0, 1]
    values = np.where(x <= 1.0, 3.0, -np.inf)
    assert theory.expectation(x, log_p, values) == pytest.approx(3.0, abs=0.02)


def test_expectation_rejects_a_grid_that_is_not_increasing():
    with pytest.raises(ValueError, match="increasing 1-D grid"):
        theory.expectation(np.array([0.0, 2.0, 1.0]), np.zeros(3), np.zeros(3))


def test_expectation_rejects_values_off_the_grid():
    with pytest.raises(ValueError, match=r"grid's shape \(4,\), got \(3,\)"):
        theory.expectation(np.arange(4.0), np.zeros(3), np.zeros(3))


def test_jsd_is_zero_for_equal_densities_and_symmetric():
    x = grid_for(1.5)
    log_p = theory.gaussian_log_density(x)
    log_q = theory.gaussian_log_density(x, mean=1.5)
    assert theory.jensen_shannon_divergence(x, log_p, log_p) == pytest.approx(0.0, abs=1e-14)
    assert theory.jensen_shannon_divergence(x, log_p, log_q) == pytest.approx(
        theory.jensen_shannon_divergence(x, log_q, log_p), abs=1e-14)


def test_jsd_of_two_gaussians_matches_adaptive_quadrature():
    def integrand(x):
        p, q = stats.norm.pdf(x), stats.norm.pdf(x, loc=1.0)
        m = 0.5 * (p + q)
        return 0.5 * p * np.log(p / m) + 0.5 * q * np.log(q / m)

    expected, _ = integrate.quad(integrand, -15.0, 16.0, epsabs=1e-13)
    x = grid_for(1.0)
    got = theory.jensen_shannon_divergence(x, theory.gaussian_log_density(x),
                                           theory.gaussian_log_density(x, mean=1.0))
    assert got == pytest.approx(expected, abs=1e-10)
    assert 0.1 < got < 0.2  # about 0.1199 nats


def test_jsd_of_half_overlapping_uniforms_is_half_log_two():
    x = np.linspace(-0.5, 2.0, 25001)
    log_p = np.where((x >= 0.0) & (x <= 1.0), 0.0, -np.inf)
    log_q = np.where((x >= 0.5) & (x <= 1.5), 0.0, -np.inf)
    assert theory.jensen_shannon_divergence(x, log_p, log_q) == pytest.approx(0.5 * np.log(2.0), abs=1e-3)


def test_jsd_of_distant_gaussians_reaches_log_two():
    x = grid_for(60.0)
    jsd = theory.jensen_shannon_divergence(x, theory.gaussian_log_density(x),
                                           theory.gaussian_log_density(x, mean=60.0))
    assert jsd == pytest.approx(np.log(2.0), abs=1e-12)


@pytest.mark.parametrize("mean", [0.0, 0.3, 1.0, 3.0, 10.0, 40.0])
def test_virtual_training_criterion_is_minus_log_4_plus_twice_the_jsd(mean):
    x = grid_for(mean)
    log_p_data = theory.gaussian_log_density(x)
    log_p_generator = theory.gaussian_log_density(x, mean=mean)
    criterion = theory.virtual_training_criterion(x, log_p_data, log_p_generator)
    jsd = theory.jensen_shannon_divergence(x, log_p_data, log_p_generator)
    assert np.isfinite(criterion)
    assert criterion == pytest.approx(-LOG_4 + 2.0 * jsd, abs=1e-9)
    assert criterion >= -LOG_4 - 1e-12


def test_virtual_training_criterion_is_minus_log_4_only_at_equal_densities():
    x = grid_for(0.0)
    log_p = theory.gaussian_log_density(x)
    assert theory.virtual_training_criterion(x, log_p, log_p) == pytest.approx(-LOG_4, abs=1e-12)
    shifted = theory.gaussian_log_density(x, mean=0.1)
    assert theory.virtual_training_criterion(x, log_p, shifted) > -LOG_4 + 1e-4


@pytest.mark.parametrize("logit_shift", [-1.0, -0.1, 0.1, 1.0])
def test_optimal_discriminator_maximises_the_value_function(logit_shift):
    x = grid_for(2.0)
    log_p_data = theory.gaussian_log_density(x)
    log_p_generator = theory.gaussian_log_density(x, mean=2.0)
    log_d, log_one_minus_d = theory.log_optimal_discriminator(log_p_data, log_p_generator)
    logits = log_d - log_one_minus_d + logit_shift  # a discriminator that is not D*
    value = (theory.expectation(x, log_p_data, -np.logaddexp(0.0, -logits))
             + theory.expectation(x, log_p_generator, -np.logaddexp(0.0, logits)))
    assert value < theory.virtual_training_criterion(x, log_p_data, log_p_generator)


# The Dirac-GAN (Mescheder et al. 2018): the field at known points, eigenvalues, trajectories.

SIGMOID_1 = 1.0 / (1.0 + math.exp(-1.0))  # 0.731059


@pytest.mark.parametrize("method, expected", [
    ("gan", (SIGMOID_1, -SIGMOID_1)),            # G: psi * sigmoid(psi theta); D: -theta * sigmoid(psi theta)
    ("ns-gan", (1 - SIGMOID_1, -SIGMOID_1)),     # G: psi * sigmoid(-psi theta)
    ("wgan", (1.0, -1.0)),
    ("wgan-gp", (1.0, -1.0)),                    # |psi| = 1: the penalty's gradient is 0
    ("r1", (SIGMOID_1, -SIGMOID_1 - 2.0)),       # gamma = 2: -gamma * psi
])
def test_dirac_gan_field_at_theta_psi_1_1(method, expected):
    velocity = theory.dirac_gan_field(1.0, 1.0, method, gamma=2.0)
    assert [float(v) for v in velocity] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("method", theory.DIRAC_METHODS)
def test_dirac_gan_equilibrium_is_a_fixed_point(method):
    assert [float(v) for v in theory.dirac_gan_field(0.0, 0.0, method)] == [0.0, 0.0]


def test_instance_noise_tends_to_the_plain_game_as_the_noise_vanishes():
    theta, psi = np.array([0.7, -1.2]), np.array([0.4, 2.0])
    plain = theory.dirac_gan_field(theta, psi, "gan")
    noisy = theory.dirac_gan_field(theta, psi, "instance-noise", noise_std=1e-4)
    np.testing.assert_allclose(noisy, plain, atol=1e-6)
    assert not np.allclose(theory.dirac_gan_field(theta, psi, "instance-noise", noise_std=0.5), plain, atol=1e-2)


def test_dirac_gan_eigenvalues_at_the_equilibrium():
    np.testing.assert_allclose(sorted(theory.dirac_gan_eigenvalues("gan"), key=np.imag), [-0.5j, 0.5j], atol=1e-8)
    np.testing.assert_allclose(sorted(theory.dirac_gan_eigenvalues("wgan"), key=np.imag), [-1j, 1j], atol=1e-8)
    # R1 with gamma: J = [[0, 1/2], [-1/2, -gamma]]; gamma = 1 gives a double eigenvalue -1/2.
    np.testing.assert_allclose(theory.dirac_gan_eigenvalues("r1", gamma=1.0), [-0.5, -0.5], atol=1e-4)
    assert np.all(theory.dirac_gan_eigenvalues("instance-noise").real < 0)
    with pytest.raises(ValueError, match="not differentiable at the equilibrium"):
        theory.dirac_gan_eigenvalues("wgan-gp")


def test_dirac_gan_trajectories_diverge_circle_or_converge():
    def radius(method, alternating, steps=1000):
        path = theory.dirac_gan_trajectory(method, start=(1.0, 1.0), learning_rate=0.1, steps=steps,
                                           alternating=alternating)
        assert path.shape == (steps + 1, 2) and tuple(path[0]) == (1.0, 1.0)
        return float(np.hypot(*path[-1]))

    start = math.sqrt(2.0)
    assert radius("gan", alternating=False) > 1.5 * start        # simultaneous steps spiral out
    assert abs(radius("gan", alternating=True) - start) < 0.1    # alternating steps circle
    assert radius("wgan", alternating=False) > 5 * start
    assert radius("wgan-gp", alternating=True) > 1.0             # stuck away from (0, 0)
    assert radius("r1", alternating=False) < 1e-6                # R1 converges
    assert radius("instance-noise", alternating=False, steps=2000) < 1e-3


def test_dirac_gan_refuses_unknown_methods_and_bad_steps():
    with pytest.raises(ValueError, match="method must be one of .*got 'wgan-lp'"):
        theory.dirac_gan_field(1.0, 1.0, "wgan-lp")
    with pytest.raises(ValueError, match="learning_rate must be positive, got 0"):
        theory.dirac_gan_trajectory("gan", learning_rate=0)
