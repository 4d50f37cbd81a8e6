"""The theory of GANs on a line: the optimal discriminator, C(G) and the JSD; the Dirac-GAN.

Goodfellow et al. (2014), Section 4. Densities are given by their logarithms on a grid
of points ``x`` and integrals are taken with the trapezoid rule. Working with log
densities keeps everything finite where the densities themselves underflow to 0:
``log D*(x) = log p_data(x) - logaddexp(log p_data(x), log p_g(x))``.

The Dirac-GAN (Mescheder, Geiger and Nowozin 2018, Section 2) is the smallest game that
shows why gradient steps on the 2014 game need not converge: at its one equilibrium the
discriminator is flat, and what each method does near it is a vector field in two numbers.
"""

import numpy as np
from scipy.special import expit


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


# The Dirac-GAN ---------------------------------------------------------------------------

DIRAC_METHODS = ("gan", "ns-gan", "wgan", "wgan-gp", "r1", "instance-noise")
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)  # E[f(e)], e ~ N(0, 1), by quadrature
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def dirac_gan_field(theta, psi, method: str = "gan", gamma: float = 1.0, noise_std: float = 0.5):
    """The direction gradient steps move the Dirac-GAN's two parameters (Mescheder et al. 2018).

    The real data are one point, x = 0. The generator has one parameter and makes one
    point, x = theta. The discriminator is linear, with logit ``D(x) = psi * x``. The only
    equilibrium is theta = psi = 0: the generator on the data, the discriminator flat.
    Each network descends its own loss, written as ganlib's losses write it:

    - ``"gan"``: the 2014 minimax game. D's binary cross-entropy
      ``softplus(-D(0)) + softplus(D(theta))``, and G's ``-softplus(D(theta))``, its negative;
    - ``"ns-gan"``: the same D, G's non-saturating ``softplus(-D(theta))``;
    - ``"wgan"``: D's ``D(theta) - D(0)``, G's ``-D(theta)`` (no Lipschitz constraint);
    - ``"wgan-gp"``: WGAN plus D's gradient penalty ``gamma * (|psi| - 1)^2`` (D's input
      gradient is psi everywhere, so the interpolation does not matter);
    - ``"r1"``: the minimax GAN plus D's penalty ``gamma / 2 * psi^2``, R1 at the real point;
    - ``"instance-noise"``: the minimax GAN with N(0, noise_std^2) noise added to real and fake
      points alike (Sonderby et al. 2017; Arjovsky and Bottou 2017), expectations by
      Gauss-Hermite quadrature.

    Args:
        theta: the generator's point (a number or an array).
        psi: the discriminator's slope (same shape as theta).
        method: one of ``DIRAC_METHODS``.
        gamma: weight of the WGAN-GP or R1 penalty.
        noise_std: standard deviation of the instance noise.

    Returns:
        ``(theta_velocity, psi_velocity)``: minus each loss's gradient with respect to the
        network's own parameter.

    Example:
        >>> [round(float(v), 4) for v in dirac_gan_field(1.0, 1.0)]  # sigmoid(1), -sigmoid(1)
        [0.7311, -0.7311]
    """
    if method not in DIRAC_METHODS:
        raise ValueError(f"method must be one of {DIRAC_METHODS}, got {method!r}.")
    theta, psi = np.asarray(theta, dtype=np.float64), np.asarray(psi, dtype=np.float64)
    if method in ("wgan", "wgan-gp"):
        theta_velocity, psi_velocity = psi, -theta
        if method == "wgan-gp":
            psi_velocity = psi_velocity - 2.0 * gamma * (np.abs(psi) - 1.0) * np.sign(psi)
        return theta_velocity, psi_velocity
    if method == "instance-noise":
        if not noise_std > 0:
            raise ValueError(f"noise_std must be positive, got {noise_std!r}.")
        noise = noise_std * _NODES.reshape((-1,) + (1,) * theta.ndim)
        fake, real = theta + noise, noise
        weights = _WEIGHTS.reshape(noise.shape)
        theta_velocity = np.sum(weights * psi * expit(psi * fake), axis=0)
        psi_velocity = np.sum(weights * (real * expit(-psi * real) - fake * expit(psi * fake)), axis=0)
        return theta_velocity, psi_velocity
    # d/dt softplus(t) = sigmoid(t); D's loss at the real point, softplus(-psi * 0), is constant.
    theta_velocity = psi * expit((1.0 if method != "ns-gan" else -1.0) * psi * theta)
    psi_velocity = -theta * expit(psi * theta)
    if method == "r1":
        psi_velocity = psi_velocity - gamma * psi
    return theta_velocity, psi_velocity


def dirac_gan_trajectory(method: str = "gan", start=(1.0, 1.0), learning_rate: float = 0.1,
                         steps: int = 200, alternating: bool = False, **field_options) -> np.ndarray:
    """Gradient steps on the Dirac-GAN from ``start = (theta, psi)``.

    Simultaneous steps move both parameters along the field at the same point.
    Alternating steps move the discriminator first and then the generator against the
    updated discriminator, as Algorithm 1 (and ``ganlib.GAN``) does.

    Returns:
        An array of shape ``(steps + 1, 2)``: ``(theta, psi)`` after each step, the start first.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}.")
    path = np.empty((int(steps) + 1, 2))
    theta, psi = path[0] = start
    for step in range(1, len(path)):
        theta_velocity, psi_velocity = dirac_gan_field(theta, psi, method, **field_options)
        psi = psi + learning_rate * psi_velocity
        if alternating:
            theta_velocity, _ = dirac_gan_field(theta, psi, method, **field_options)
        theta = theta + learning_rate * theta_velocity
        path[step] = theta, psi
    return path


def dirac_gan_eigenvalues(method: str = "gan", **field_options) -> np.ndarray:
    """Eigenvalues of the field's Jacobian at the equilibrium (0, 0), by central differences.

    Purely imaginary eigenvalues (the classic GAN: +-i/2; WGAN: +-i) mean the continuous
    dynamics circle the equilibrium forever and simultaneous steps spiral away from it;
    negative real parts (R1, instance noise) mean small enough steps converge.
    WGAN-GP has no Jacobian there: its penalty's gradient jumps at psi = 0.
    """
    if method == "wgan-gp":
        raise ValueError("WGAN-GP's field is not differentiable at the equilibrium: its penalty "
                         "(|psi| - 1)^2 pushes psi towards +-1, away from psi = 0.")
    step = 1e-5
    columns = []
    for offset in ((step, 0.0), (0.0, step)):
        plus = np.array(dirac_gan_field(offset[0], offset[1], method, **field_options), dtype=np.float64)
        minus = np.array(dirac_gan_field(-offset[0], -offset[1], method, **field_options), dtype=np.float64)
        columns.append((plus - minus) / (2 * step))
    return np.linalg.eigvals(np.stack(columns, axis=1))


def _same_shape(first, second):
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError(f"Expected two arrays of the same shape, got {first.shape} and {second.shape}.")
    return first, second
