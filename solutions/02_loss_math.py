"""Notebook 02, your turn: both losses from logits, in NumPy, stable for logits of any size."""

import numpy as np


def discriminator_loss(real_logits, fake_logits):
    # -log sigmoid(a) = log(1 + e^-a) = logaddexp(0, -a); -log(1 - sigmoid(a)) = logaddexp(0, a)
    return np.mean(np.logaddexp(0.0, -real_logits)) + np.mean(np.logaddexp(0.0, fake_logits))


def generator_loss(fake_logits):
    return np.mean(np.logaddexp(0.0, -fake_logits))


# Exercises ---------------------------------------------------------------------------------------
# exercise_<K> runs exercise K of the notebook's last section (3, 4 and 5; 1 and 2 are the losses
# above) and returns its numbers.

def _train_logistic_discriminator(real_features, fake_features, steps, learning_rate=0.05):
    """Section 3's training: a one-layer ganlib discriminator, full-batch Adam steps on discriminator_loss."""
    import keras
    import tensorflow as tf

    import ganlib
    from ganlib import losses

    discriminator = ganlib.build_mlp_discriminator((real_features.shape[1],), hidden_units=())
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(discriminator(real_features, training=True),
                                             discriminator(fake_features, training=True))
        weights = discriminator.trainable_weights
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    for _ in range(steps):
        train_step()
    return discriminator


def exercise_3(quick: bool = False, s: float = 2.0, seed: int = 0):
    """Same mean, different spread: D* has a quadratic logit, which [x, x^2] features can learn.

    log D*/(1 - D*) = log p_data - log p_g = log s + (1/(2 s^2) - 1/2) x^2: a parabola, with no x term.
    A one-layer discriminator on x has a straight logit, so its D only rises or only falls with x and
    cannot follow the symmetric D*; trained, it learns D = 1/2 (weight and bias near 0), since by
    symmetry no straight logit does better. On [x, x^2] it lands on D*: for s = 2, D* has weights
    (0, -0.375) and bias ln 2 = 0.693; the trained ones came within 0.01 of them with 8192 samples and
    400 steps (within 0.02 with 2048 and 200, quick=True).
    """
    import keras

    from ganlib import theory

    samples, steps = (2048, 200) if quick else (8192, 400)
    rng = np.random.default_rng(seed)
    real = rng.normal(0.0, 1.0, size=(samples, 1)).astype("float32")
    fake = rng.normal(0.0, s, size=(samples, 1)).astype("float32")

    def with_square(x):
        return np.concatenate([x, x ** 2], axis=1)

    on_x = _train_logistic_discriminator(real, fake, steps)
    on_x_and_square = _train_logistic_discriminator(with_square(real), with_square(fake), steps)

    x = np.linspace(-4.0 * max(s, 1.0), 4.0 * max(s, 1.0), 401)[:, None].astype("float32")
    log_d_star, _ = theory.log_optimal_discriminator(theory.gaussian_log_density(x[:, 0]),
                                                     theory.gaussian_log_density(x[:, 0], std=s))
    d_star = np.exp(log_d_star)

    def mean_distance(discriminator, features):
        scores = keras.ops.convert_to_numpy(keras.ops.sigmoid(discriminator(features)))[:, 0]
        return float(np.mean(np.abs(scores - d_star)))

    weights, bias = on_x_and_square.get_layer("logit").get_weights()
    x_weight, x_bias = on_x.get_layer("logit").get_weights()
    results = {"weight_x": float(weights[0, 0]), "weight_x_squared": float(weights[1, 0]), "bias": float(bias[0]),
               "d_star_weight_x_squared": 1 / (2 * s ** 2) - 0.5, "d_star_bias": float(np.log(s)),
               "mae_x_and_square": mean_distance(on_x_and_square, with_square(x)),
               "x_only_weight": float(x_weight[0, 0]), "x_only_bias": float(x_bias[0]),
               "mae_x_only": mean_distance(on_x, x)}
    print(f"on [x, x^2]: logit {results['weight_x']:.3f} x {results['weight_x_squared']:+.3f} x^2 "
          f"{results['bias']:+.3f} (D*: 0 x {results['d_star_weight_x_squared']:+.3f} x^2 "
          f"{results['d_star_bias']:+.3f}), mean |D - D*| {results['mae_x_and_square']:.4f}")
    print(f"on x alone:  logit {results['x_only_weight']:.3f} x {results['x_only_bias']:+.3f}, "
          f"mean |D - D*| {results['mae_x_only']:.3f}  (x in [{x[0, 0]:g}, {x[-1, 0]:g}])")
    return results


def exercise_4(quick: bool = False):
    """Both generator gradients are theta times a weight, and the weights add up to 1.

    Holding D fixed, d a / d theta = -theta for every sample, and d/da log(1 - D) = -D while
    d/da (-log D) = -(1 - D). So the saturating gradient is theta E[D(G(z))], the non-saturating one
    theta E[1 - D(G(z))], and they add up to theta. Near the equilibrium D* -> 1/2 everywhere, so both
    are theta / 2 up to a term of order theta^3 (theta/2 -+ theta^3/8): the two losses move equally fast
    there, each step multiplying theta by 1 - eta/2 = 0.75 for eta = 0.5, and both took 16 steps to go
    from |theta| < 0.1 to |theta| < 0.001. The non-saturating loss wins only far from the equilibrium.
    """
    import tensorflow as tf
    from scipy import stats

    from ganlib import losses

    quantile_noise = stats.norm.ppf((np.arange(1000 if quick else 4000) + 0.5) / (1000 if quick else 4000))

    def generator_gradient(loss_function, theta):
        """The notebook's: d loss / d theta for G(z) = z + theta, against D* for theta held fixed."""
        theta_variable = tf.Variable(theta, dtype=tf.float64)
        with tf.GradientTape() as tape:
            loss = loss_function(theta ** 2 / 2 - theta * (quantile_noise + theta_variable))
        return float(tape.gradient(loss, theta_variable))

    generator_losses = {"saturating": losses.minimax_generator_loss, "non_saturating": losses.generator_loss}
    thetas = (0.1, 0.5, 2.0)
    results = {}
    for theta in thetas:
        gradients = {name: generator_gradient(loss, theta) for name, loss in generator_losses.items()}
        for name, gradient in gradients.items():
            results[f"{name}_over_theta_{theta}"] = gradient / theta
        results[f"sum_minus_theta_{theta}"] = sum(gradients.values()) - theta
    learning_rate = 0.5
    for name, loss in generator_losses.items():
        theta, path = 5.0, [5.0]
        while abs(theta) >= 0.001 and len(path) <= 200:
            theta -= learning_rate * generator_gradient(loss, theta)
            path.append(abs(theta))
        reached = int(np.argmax(np.array(path) < 0.1))
        results[f"{name}_steps_to_0.1"] = reached
        results[f"{name}_steps_0.1_to_0.001"] = len(path) - 1 - reached
        results[f"{name}_last_step_ratio"] = path[-1] / path[-2]
    largest_sum_error = max(abs(results[f"sum_minus_theta_{theta}"]) for theta in thetas)
    print("gradient / theta at theta = 0.1, 0.5, 2: " + ";  ".join(
        f"{name} " + ", ".join(f"{results[f'{name}_over_theta_{theta}']:.4f}" for theta in thetas)
        for name in generator_losses) + f"  (largest |sum - theta| {largest_sum_error:.1e})")
    print("from theta = 5, steps to |theta| < 0.1, then on to < 0.001: " + ";  ".join(
        f"{name} {results[f'{name}_steps_to_0.1']}, then {results[f'{name}_steps_0.1_to_0.001']} "
        f"(last step x{results[f'{name}_last_step_ratio']:.3f})" for name in generator_losses))
    return results


def exercise_5(quick: bool = False):
    """The naive C(G) is -inf from mu = 2.8 and nan from mu = 26.6 (mu > 0 in steps of 0.1).

    The ratio p_g / p_data = exp(mu x - mu^2 / 2) is smallest at the grid's left end x = -12. Once it
    falls below about 2^-53, p_data + p_g rounds to p_data, D* is exactly 1 and p_g log(1 - D*) is
    -inf: 12 mu + mu^2 / 2 > 53 ln 2 gives mu > 2.747. Further out p_g itself underflows to 0 at x = -12,
    when (12 + mu)^2 / 2 + ln sqrt(2 pi) > 745, that is mu > 26.58, and 0 * (-inf) is nan.
    """
    from ganlib import theory

    def grid_for(mu):
        return np.linspace(min(0.0, mu) - 12.0, max(0.0, mu) + 12.0, 20001)

    def naive_criterion(mu):
        """The notebook's: C(G) from the densities themselves, as the formula reads."""
        grid = grid_for(mu)
        with np.errstate(all="ignore"):
            p_data, p_g = np.exp(theory.gaussian_log_density(grid)), np.exp(theory.gaussian_log_density(grid, mean=mu))
            naive_d_star = p_data / (p_data + p_g)
            return np.trapezoid(p_data * np.log(naive_d_star) + p_g * np.log(1.0 - naive_d_star), grid)

    def first(mus, broken):
        return next(float(mu) for mu in mus if broken(naive_criterion(mu)))

    mus = np.arange(1, 301) / 10  # 0.1, 0.2, ..., 30
    results = {"first_minus_inf": first(mus, lambda value: value == -np.inf),
               "first_nan": first(mus, np.isnan),
               "predicted_minus_inf": float(-12 + np.sqrt(144 + 2 * 53 * np.log(2))),
               "predicted_nan": float(-12 + np.sqrt(2 * (745 - 0.5 * np.log(2 * np.pi))))}
    if not quick:  # to 0.001 just below each: where exactly the arithmetic gives way
        results["first_minus_inf_fine"] = first(np.arange(2700, 2801) / 1000, lambda value: value == -np.inf)
        results["first_nan_fine"] = first(np.arange(26500, 26601) / 1000, np.isnan)
    print(f"naive C(G) first -inf at mu = {results['first_minus_inf']}, first nan at mu = {results['first_nan']} "
          f"(predicted: mu > {results['predicted_minus_inf']:.3f} and mu > {results['predicted_nan']:.3f})")
    if not quick:
        print(f"to 0.001: -inf from mu = {results['first_minus_inf_fine']}, nan from mu = {results['first_nan_fine']}")
    return results
