"""The theory of the original GAN on a line: optimal discriminator, C(G) and the JSD.

Goodfellow et al. (2014), Section 4. Densities are given by their logarithms on a grid
of points ``x`` and integrals are taken with the trapezoid rule. Working with log
densities keeps everything finite where the densities themselves underflow to 0:
``log D*(x) = log p_data(x) - logaddexp(log p_data(x), log p_g(x))``.
"""

import numpy as np


def gaussian_log_density(x, mean: float = 0.0, std: float = 1.0):
    """Log density of the normal distribution N(mean, std^2) at ``x``.

    Example:
        >>> float(gaussian_log_density(0.0))  # -log sqrt(2 pi)
        -0.918...
    """
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}.")
    x = np.asarray(x, dtype=np.float64)
    return -0.5 * ((x - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2.0 * np.pi)


def log_optimal_discriminator(log_p_data, log_p_generator):
    """Logarithms of the optimal discriminator and of its complement (Proposition 1).

    ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``, computed as
    ``log D* = log p_data - logaddexp(log p_data, log p_g)`` and
    ``log(1 - D*) = log p_g - logaddexp(log p_data, log p_g)``, so that neither
    underflows where one density is far below the other.

    Args:
        log_p_data: log density of the data at some points.
        log_p_generator: log density of the generator at the same points.

    Returns:
        ``(log_d, log_one_minus_d)``, two arrays of the inputs' shape.

    Example:
        >>> log_d, log_one_minus_d = log_optimal_discriminator(-1.0, -1.0)
        >>> float(np.exp(log_d))  # equal densities: D* = 1/2
        0.5
    """
    log_p_data, log_p_generator = _same_shape(log_p_data, log_p_generator)
    log_total = np.logaddexp(log_p_data, log_p_generator)
    with np.errstate(invalid="ignore"):  # -inf - (-inf) = nan where both densities are 0
        return log_p_data - log_total, log_p_generator - log_total


def expectation(x, log_density, values):
    """``E_p[values] = integral of p(x) * values(x) dx`` by the trapezoid rule on the grid ``x``.

    Points where the density is exactly 0 contribute 0, even where ``values`` is
    infinite (the convention 0 * log 0 = 0 of information theory).

    Args:
        x: increasing grid of points, shape ``(n,)`` with n >= 2.
        log_density: log p at the grid points; ``-inf`` where p is 0.
        values: the function to average, at the grid points.

    Returns:
        A float.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.diff(x) > 0):
        raise ValueError(f"x must be an increasing 1-D grid of at least 2 points, got shape {x.shape}.")
    log_density, values = _same_shape(log_density, values)
    if log_density.shape != x.shape:
        raise ValueError(f"log_density and values must have the grid's shape {x.shape}, "
                         f"got {log_density.shape}.")
    density = np.exp(log_density)
    integrand = np.where(density > 0, density * np.where(density > 0, values, 0.0), 0.0)
    return float(np.trapezoid(integrand, x))


def virtual_training_criterion(x, log_p_data, log_p_generator):
    """C(G) = max_D V(D, G) = E_data[log D*(x)] + E_g[log(1 - D*(x))] (Eq. 4 and 5).

    Equal to ``-log 4 + 2 * JSD(p_data || p_g)`` (Theorem 1, Eq. 6); its minimum
    ``-log 4`` is reached exactly when the two densities are equal.

    Args:
        x: increasing grid of points covering both densities' mass.
        log_p_data: log p_data on the grid.
        log_p_generator: log p_g on the grid.

    Returns:
        A float.
    """
    log_d, log_one_minus_d = log_optimal_discriminator(log_p_data, log_p_generator)
    return expectation(x, log_p_data, log_d) + expectation(x, log_p_generator, log_one_minus_d)


def jensen_shannon_divergence(x, log_p, log_q):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats.

    Symmetric, 0 when p = q and at most ``log 2`` (reached when p and q do not overlap).

    Args:
        x: increasing grid of points covering both densities' mass.
        log_p: log p on the grid.
        log_q: log q on the grid.

    Returns:
        A float.
    """
    log_p, log_q = _same_shape(log_p, log_q)
    log_mixture = np.logaddexp(log_p, log_q) - np.log(2.0)
    with np.errstate(invalid="ignore"):  # -inf - (-inf) where both are 0; expectation() drops those
        kl_p = expectation(x, log_p, log_p - log_mixture)
        kl_q = expectation(x, log_q, log_q - log_mixture)
    return 0.5 * kl_p + 0.5 * kl_q


def _same_shape(first, second):
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError(f"Expected two arrays of the same shape, got {first.shape} and {second.shape}.")
    return first, second
