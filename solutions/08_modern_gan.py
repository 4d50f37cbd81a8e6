"""Notebook 08, your turn: R1, the zero-centred gradient penalty, by hand."""


def r1(discriminator, images):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(images)  # images are not weights: the tape must be told to follow them
        total = tf.reduce_sum(discriminator(images, training=True))  # inside the tape: it records the sum too
    gradients = tape.gradient(total, images)  # each logit depends on its own image only
    return tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))


# Exercises
# exercise_<K> runs the experiment of exercise K at the notebook's settings, prints what it measured
# and returns the numbers. quick=True runs tiny sizes, only to check that the code runs.

_LATENT_DIM = 100


def exercise_1(quick: bool = False) -> dict:
    """Simultaneous steps on the 2014 game spiral out at the rate the eigenvalues predict.

    Near the equilibrium the field is the rotation ``J = [[0, 1/2], [-1/2, 0]]``; a simultaneous step
    multiplies the point by ``I + h J``, whose eigenvalues ``1 +- i h / 2`` have modulus
    ``sqrt(1 + h^2 / 4)``. From (0.01, 0.01), where the field is close to linear, the measured growth
    after 500 steps matches ``(1 + h^2 / 4)^250`` to 3 digits: x1.169, x1.867 and x12.03 for h = 0.05,
    0.1 and 0.2. Alternating steps keep the distance (x0.9999, x0.9996, x0.997). A smaller step only
    slows the spiral; no step size makes simultaneous steps converge.
    """
    import numpy as np

    from ganlib import theory

    steps = 20 if quick else 500
    start = (0.01, 0.01)
    results = {}
    for rate in (0.05, 0.1, 0.2):
        grown = {}
        for alternating in (False, True):
            path = theory.dirac_gan_trajectory("gan", start=start, learning_rate=rate, steps=steps,
                                               alternating=alternating)
            grown[alternating] = float(np.hypot(*path[-1]) / np.hypot(*start))
        predicted = (1 + rate**2 / 4) ** (steps / 2)
        results[f"h={rate:g}"] = {"simultaneous": round(grown[False], 4), "predicted": round(predicted, 4),
                                  "alternating": round(grown[True], 4)}
        print(f"h = {rate:<5g} distance x{grown[False]:.4f} after {steps} simultaneous steps "
              f"(predicted x{predicted:.4f}); alternating x{grown[True]:.4f}")
    return results


def exercise_2(quick: bool = False) -> dict:
    """How much friction? R1's weight gamma against the distance left after 100 steps.

    With R1 the Jacobian at the equilibrium is ``[[0, 1/2], [-1/2, -gamma]]``, with eigenvalues
    ``-gamma/2 +- sqrt(gamma^2/4 - 1/4)``. Below gamma = 1 they are complex with real part -gamma/2: the
    path spirals in, slowly for a small gamma (100 alternating steps of 0.1 from (1, 1) leave 0.92 of the
    start's 1.41 at gamma 0.1, 0.40 at 0.3). At gamma = 1 both are -1/2 (critical damping): 0.17 left,
    the fastest. Above 1 one eigenvalue tends to 0 (-0.086 at gamma 3, -0.025 at 10): the slope is pinned
    near 0 and drags the generator along slowly, 0.54 and 0.79 left. Too much R1 slows training too.
    """
    import numpy as np

    from ganlib import theory

    steps = 10 if quick else 100
    results = {}
    for gamma in (0.1, 0.3, 1.0, 3.0, 10.0):
        path = theory.dirac_gan_trajectory("r1", start=(1.0, 1.0), learning_rate=0.1, steps=steps,
                                           alternating=True, gamma=gamma)
        values = theory.dirac_gan_eigenvalues("r1", gamma=gamma)
        results[f"gamma={gamma:g}"] = {"distance": round(float(np.hypot(*path[-1])), 4),
                                       "slowest_real_part": round(float(values.real.max()), 4)}
        print(f"gamma {gamma:<5g} eigenvalues {np.round(values, 3)}   distance after {steps} alternating steps "
              f"{results[f'gamma={gamma:g}']['distance']:.3f}")
    return results


def _recipe(quick, seed=0, **changes):
    """The notebook's compiled recipe (section 2); ``changes`` override GAN's arguments."""
    import ganlib
    from ganlib import dcgan, losses, r3gan

    ganlib.utils.seed_everything(seed)
    generator = dcgan.build_generator(latent_dim=_LATENT_DIM, filters=8 if quick else 24)
    discriminator = r3gan.build_discriminator(widths=(4, 8, 16) if quick else (16, 32, 64), blocks=(0, 1, 1))
    options = {**dict(r1_weight=1.0, r2_weight=1.0, penalty_every=4, average_momentum=0.999), **changes}
    gan = ganlib.GAN(generator, discriminator, latent_dim=_LATENT_DIM, seed=seed, **options)
    gan.compile(**r3gan.optimizers(2e-3), d_loss_fn=losses.PAIRS["relativistic"][0],
                g_loss_fn=losses.PAIRS["relativistic"][1])
    return gan


def exercise_3(quick: bool = False, rounds: int = 3) -> dict:
    """Lazy penalties: CPU milliseconds per step with R1 and R2 every step, every 4th step, and never.

    The three models take turns (A B C, B C A, C A B), ``steps`` steps each per turn, and the median turn
    counts, so a busy moment of the machine hits all three alike. In the worked solution (the 2-core AMD
    EPYC machine, with another training job on it): 457 CPU ms per step with both penalties every step,
    287 every 4th step, 211 with none. Every step, R1 and R2 more than double the step (their double
    backward pass through D); lazily they add a third, for the same average pull.
    """
    import time

    import ganlib

    steps = 4 if quick else 80
    batches = ganlib.data.load("fashion_mnist", batch_size=32, seed=0, drop_remainder=True,
                               source="subset" if quick else "auto").repeat()
    variants = {"every step": dict(penalty_every=1), "every 4th step": dict(penalty_every=4),
                "no penalty": dict(r1_weight=0.0, r2_weight=0.0)}
    models = {name: _recipe(quick, **change) for name, change in variants.items()}
    for gan in models.values():
        gan.fit(batches, epochs=1, steps_per_epoch=max(steps // 4, 4), verbose=0)  # trace and warm up
    spent = {name: [] for name in models}
    names = list(models)
    for turn in range(1 if quick else rounds):
        for name in names[turn:] + names[:turn]:
            start = time.process_time()
            models[name].fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
            spent[name].append(1000 * (time.process_time() - start) / steps)
    results = {name: round(sorted(values)[len(values) // 2], 1) for name, values in spent.items()}
    for name, value in results.items():
        print(f"{name:<15} {value:6.1f} CPU ms per step (turns: {', '.join(f'{v:.0f}' for v in spent[name])})")
    return results


def exercise_4(quick: bool = False) -> dict:
    """Only differences count: shift every logit by c and compare the classic and the relativistic losses.

    The relativistic pair reads ``fake_i - real_i``, so adding the same c to every score changes
    nothing: (D loss, G loss) stays (0.236, 2.246) for c = -5, -2, 0, 2 and 5 on the logits drawn here.
    The classic pair reads each score on its own: D's loss goes 3.97, 1.42, 0.79, 1.51, 4.09 and G's
    5.95, 3.02, 1.36, 0.39, 0.03. Under the classic loss D fights over where its scores sit as well as
    over their order, and G can gain by moving D's fakes' scores up wholesale; under the relativistic
    pair only the order of each pair counts (so D's output bias gets no gradient: ganlib's tests check it).
    """
    import numpy as np

    from ganlib import losses

    rng = np.random.default_rng(0)
    real, fake = rng.normal(1.0, 1.0, 64).astype("float32"), rng.normal(-1.0, 1.0, 64).astype("float32")
    shifts = (-5.0, 0.0, 5.0) if quick else (-5.0, -2.0, 0.0, 2.0, 5.0)
    results = {}
    for name in ("bce", "relativistic"):
        d_loss, g_loss = losses.PAIRS[name]
        values = []
        for shift in shifts:
            relativistic = getattr(g_loss, "takes_real_logits", False)
            g_arguments = (fake + shift, real + shift) if relativistic else (fake + shift,)
            values.append((float(d_loss(real + shift, fake + shift)), float(g_loss(*g_arguments))))
        pairs = zip(shifts, values, strict=True)
        results[name] = {f"c={shift:g}": [round(d, 4), round(g, 4)] for shift, (d, g) in pairs}
        print(f"{name:<13} D loss, G loss at shifts {shifts}: " + "  ".join(f"({d:.3f}, {g:.3f})" for d, g in values))
    return results
