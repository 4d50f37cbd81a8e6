"""Notebook 01, your turn: the discriminator's gradients by hand."""

import numpy as np


def discriminator_gradients(real, fake, weights, bias):
    """Gradients of mean(-ln D(real)) + mean(-ln(1 - D(fake))) for D(x) = sigmoid(x . w + b)."""
    p_real = 1.0 / (1.0 + np.exp(-(real @ weights + bias)))
    p_fake = 1.0 / (1.0 + np.exp(-(fake @ weights + bias)))
    # d/dw -ln p = -(1 - p) x on real images; d/dw -ln(1 - p) = p x on fakes
    gradient_w = np.mean(-(1 - p_real)[:, None] * real, axis=0) + np.mean(p_fake[:, None] * fake, axis=0)
    gradient_b = np.mean(-(1 - p_real)) + np.mean(p_fake)
    return gradient_w, gradient_b


# Exercises ---------------------------------------------------------------------------------------
# exercise_<K> runs exercise K of the notebook's last section and returns its numbers. Parts 1 to 6
# of the notebook are in plain NumPy, so the one-layer GAN of section 6 is written out again here,
# with the knobs the exercises turn; exercises 3 and 4 train ganlib.GAN as section 7 does.

def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def _discriminate(images, weights, bias):
    return _sigmoid(images @ weights + bias)


def _generate(noise, generator_weights, generator_biases):
    return _sigmoid(noise @ generator_weights + generator_biases)


def _generator_gradients(noise, generator_weights, generator_biases, weights, bias, saturating=False):
    """Gradients of mean(-ln D(G(z))), or with saturating=True of mean(ln(1 - D(G(z)))), D held fixed."""
    fake = _generate(noise, generator_weights, generator_biases)
    scores = _discriminate(fake, weights, bias)
    # d/dp -ln p = -1/p and d/dp ln(1 - p) = -1/(1 - p); times p(1 - p) from the sigmoid this leaves
    # -(1 - p) for the non-saturating error and -p for the saturating one.
    pixel_gradient = -(scores if saturating else 1 - scores)[:, None] * weights * fake * (1 - fake)
    return noise.T @ pixel_gradient / len(noise), pixel_gradient.mean(axis=0)


def _train_numpy_gan(faces, epochs, latent_dim, rng, fixed_noise, batch_size=32, learning_rate=0.3,
                     saturating=False, generator_biases=None):
    """Section 6's train_numpy_gan, with the generator's loss and starting biases to choose.

    Returns the parameters (weights, bias, generator_weights, generator_biases), the mean D(G(z))
    of each epoch, and G(fixed_noise) before training and after each epoch.
    """
    weights, bias = rng.normal(size=4), rng.normal()
    generator_weights, start_biases = rng.normal(size=(latent_dim, 4)), rng.normal(size=4)
    biases = start_biases if generator_biases is None else np.array(generator_biases, dtype=float)
    d_of_g, snapshots = [], [_generate(fixed_noise, generator_weights, biases)]
    for _ in range(epochs):
        shuffled, scores = rng.permutation(faces), []
        for start in range(0, len(faces), batch_size):
            real = shuffled[start:start + batch_size]
            fake = _generate(rng.normal(size=(len(real), latent_dim)), generator_weights, biases)
            weights_gradient, bias_gradient = discriminator_gradients(real, fake, weights, bias)
            weights, bias = weights - learning_rate * weights_gradient, bias - learning_rate * bias_gradient

            noise = rng.normal(size=(len(real), latent_dim))
            scores.append(_discriminate(_generate(noise, generator_weights, biases), weights, bias).mean())
            v_gradient, c_gradient = _generator_gradients(noise, generator_weights, biases, weights, bias,
                                                          saturating)
            generator_weights = generator_weights - learning_rate * v_gradient
            biases = biases - learning_rate * c_gradient
        d_of_g.append(float(np.mean(scores)))
        snapshots.append(_generate(fixed_noise, generator_weights, biases))
    return (weights, bias, generator_weights, biases), d_of_g, snapshots


def _faces(seed=0):
    """The 1000 training faces of slanted land as rows of 4 pixels in [0, 1], as in the notebook."""
    import ganlib

    return (ganlib.data.load_arrays("faces2x2", seed=seed).images.reshape(-1, 4) + 1) / 2


def _face_contrast(images):
    """The notebook's face contrast: the diagonal pixels' mean minus the others' (0.70 for real faces)."""
    means = images.reshape(-1, 4).mean(axis=0)
    return float(min(means[[0, 3]]) - max(means[[1, 2]]))


def _rank_correlations(images):
    """|Spearman correlation| of the 6 pairs of pixels: 1 for a pair that always moves together."""
    ranks = np.argsort(np.argsort(images, axis=0), axis=0)
    return np.abs(np.corrcoef(ranks.T)[np.triu_indices(4, 1)])


def exercise_1(quick: bool = False, seed: int = 0):
    """One noise number: the generated faces still vary, but only along one curve.

    With latent_dim = 1 every pixel is sigmoid(v_i z + c_i), a monotone function of the same number z:
    as z grows each pixel only darkens or only lightens. All the images lie on one curve through the
    space of 4 pixels, and any two pixels are perfectly rank-correlated (|Spearman| = 1), while the
    real faces' pixels vary independently (|Spearman| <= 0.06). The variation is small, too: after
    60 epochs the largest standard deviation of a pixel was 0.016 to 0.030 (seeds 0 to 2), against
    0.087 for real faces, because a one-layer discriminator is fooled once the average fake matches
    the average face.
    """
    faces = _faces(seed)
    epochs = 10 if quick else 60
    results = {"real_largest_pixel_std": float(faces.std(axis=0).max()),
               "real_largest_rank_correlation": float(_rank_correlations(faces).max())}
    for latent_dim in (1, 2):
        rng = np.random.default_rng(seed)
        fixed_noise = rng.normal(size=(8, latent_dim))
        parameters, _, _ = _train_numpy_gan(faces, epochs, latent_dim, rng, fixed_noise)
        generated = _generate(rng.normal(size=(1000, latent_dim)), *parameters[2:])
        results[f"latent_{latent_dim}_largest_pixel_std"] = float(generated.std(axis=0).max())
        results[f"latent_{latent_dim}_smallest_rank_correlation"] = float(_rank_correlations(generated).min())
        results[f"latent_{latent_dim}_face_contrast"] = _face_contrast(generated)
    print(f"largest standard deviation of a pixel: real {results['real_largest_pixel_std']:.3f}, latent_dim 1 "
          f"{results['latent_1_largest_pixel_std']:.3f}, latent_dim 2 {results['latent_2_largest_pixel_std']:.3f}")
    print(f"smallest |rank correlation| between two pixels: latent_dim 1 "
          f"{results['latent_1_smallest_rank_correlation']:.3f}, latent_dim 2 "
          f"{results['latent_2_smallest_rank_correlation']:.3f} (real faces: all within "
          f"{results['real_largest_rank_correlation']:.2f} of 0)")
    return results


def exercise_2(quick: bool = False, seed: int = 0):
    """The saturating loss: the same end, a slow start.

    Its gradient is -p w_i x_i (1 - x_i) z_j: the factor 1 - p of the non-saturating error becomes
    p = D(G(z)). Started from the negative of a face, c = (-3, 3, 3, -3), the fakes are rejected
    (D(G(z)) 0.08 to 0.15 over the first 5 epochs), so the saturating generator moves several times
    more slowly: its faces took 13 to 18 epochs to reach a contrast of 0.3, against 4 with -ln D(G(z))
    (seeds 0 to 2). Both draw faces in the end: the two losses share their fixed point.
    """
    faces = _faces(seed)
    epochs = 25 if quick else 60
    results = {}
    for name, saturating in (("non_saturating", False), ("saturating", True)):
        rng = np.random.default_rng(seed)
        fixed_noise = rng.normal(size=(256, 2))
        _, d_of_g, snapshots = _train_numpy_gan(faces, epochs, 2, rng, fixed_noise, saturating=saturating,
                                                generator_biases=(-3.0, 3.0, 3.0, -3.0))
        contrasts = [_face_contrast(images) for images in snapshots]
        reached = [epoch for epoch, contrast in enumerate(contrasts) if contrast > 0.3]
        results[f"{name}_epochs_to_contrast_0.3"] = reached[0] if reached else None
        results[f"{name}_contrast_after_5_epochs"] = contrasts[5]
        results[f"{name}_final_contrast"] = contrasts[-1]
        results[f"{name}_d_of_g_first_5_epochs"] = float(np.mean(d_of_g[:5]))
    for name in ("non_saturating", "saturating"):
        print(f"{name:<15} contrast > 0.3 after {results[f'{name}_epochs_to_contrast_0.3']} epochs; contrast "
              f"after 5 epochs {results[f'{name}_contrast_after_5_epochs']:+.2f}, after {epochs} "
              f"{results[f'{name}_final_contrast']:+.2f}; D(G(z)) in the first 5 epochs "
              f"{results[f'{name}_d_of_g_first_5_epochs']:.2f}")
    return results


def _train_ganlib_gan(images, epochs, seed, hidden_units=(), d_learning_rate=0.01, d_steps=1,
                      learning_rate=0.01, latent_dim=2, batch_size=32):
    """Section 7's ganlib.GAN on ``images`` (in [-1, 1]); returns the GAN and its history."""
    import keras

    import ganlib

    keras.utils.set_random_seed(seed)
    generator = ganlib.build_mlp_generator(latent_dim, (2, 2, 1), hidden_units=hidden_units)
    discriminator = ganlib.build_mlp_discriminator((2, 2, 1), hidden_units=hidden_units)
    gan = ganlib.GAN(generator, discriminator, latent_dim=latent_dim, d_steps=d_steps, seed=seed)
    gan.compile(keras.optimizers.Adam(d_learning_rate, beta_1=0.5), keras.optimizers.Adam(learning_rate, beta_1=0.5))
    history = gan.fit(ganlib.data.batches(images, batch_size, seed=seed), epochs=epochs, verbose=0)
    return gan, history.history


def exercise_3(quick: bool = False, seed: int = 0):
    """An unfair game: the stronger discriminator wins the first two epochs, then the game evens out.

    With ten times the generator's learning rate, or d_steps=5, D(G(z)) (the history's d_fake) was
    0.34 to 0.42 in the first epoch against 0.51 to 0.53 in the fair game, and the discriminator's
    error 0.65 to 0.95 against 1.09 to 1.34 (seeds 0 to 2). Then the generator catches up; the
    discriminator's error overshoots further than in the fair game (1.52 to 1.62 against 1.45 to 1.46)
    and by epoch 12 every run is back near D(G(z)) = 1/2 and errors 1.39 and 0.69. A one-layer
    discriminator weighs pixels one by one: once the fakes' average matches the faces', learning
    faster does not help it.
    """
    import ganlib

    faces = ganlib.data.load_arrays("faces2x2", seed=seed).images
    epochs = 2 if quick else 12
    settings = {"fair": {}, "d_rate_x10": {"d_learning_rate": 0.1}, "d_steps_5": {"d_steps": 5}}
    results = {}
    for name, setting in settings.items():
        _, history = _train_ganlib_gan(faces, epochs, seed, **setting)
        for key in ("d_fake", "d_loss", "g_loss"):
            results[f"{name}_first_{key}"] = float(history[key][0])
            results[f"{name}_last_{key}"] = float(history[key][-1])
        results[f"{name}_largest_d_loss"] = float(max(history["d_loss"]))
    def row(key):
        return " ".join(f"{results[f'{name}_{key}']:.2f}" for name in settings)

    print(f"epoch 1 (fair, D rate x10, d_steps=5): D(G(z)) {row('first_d_fake')}, D error {row('first_d_loss')}")
    print(f"epoch {epochs} (same order): D(G(z)) {row('last_d_fake')}, D error {row('last_d_loss')}, "
          f"G error {row('last_g_loss')}; largest D error {row('largest_d_loss')}")
    return results


def _face_kinds(images):
    """The fractions of faces of each slant: both diagonal pixels darker than both others, or the reverse."""
    pixels = images.reshape(-1, 4)
    first = np.minimum(pixels[:, 0], pixels[:, 3]) > np.maximum(pixels[:, 1], pixels[:, 2])
    second = np.minimum(pixels[:, 1], pixels[:, 2]) > np.maximum(pixels[:, 0], pixels[:, 3])
    return float(first.mean()), float(second.mean())


def exercise_4(quick: bool = False, seed: int = 0):
    """Two kinds of face: one-layer networks draw many blends; one hidden layer of 8 units draws both kinds.

    After 10 epochs only 35 to 62% of the one-layer generator's images were a face of either kind
    (seeds 0 to 2; four independent random pixels would give 1/3), the rest blends. With
    hidden_units=(8,) in both networks 91 to 96% were faces, 38 to 53% of each kind. A blend halfway
    between two faces gets the logit w.x + b halfway between theirs, so a one-layer discriminator
    cannot reject blends while accepting both kinds, and nothing pushes the generator away from them.
    """
    import ganlib

    faces = ganlib.data.load_arrays("faces2x2", seed=seed).images
    both_kinds = np.concatenate([faces, faces[:, :, ::-1]])  # the mirror image: pixels 2 and 3 dark
    epochs = 3 if quick else 10
    results = {}
    for name, hidden_units in (("one_layer", ()), ("hidden_8", (8,))):
        gan, _ = _train_ganlib_gan(both_kinds, epochs, seed, hidden_units=hidden_units)
        first, second = _face_kinds(gan.generate(1000))
        results[f"{name}_first_kind"], results[f"{name}_second_kind"] = first, second
    for name in ("one_layer", "hidden_8"):
        first, second = results[f"{name}_first_kind"], results[f"{name}_second_kind"]
        print(f"{name:<9} after {epochs} epochs: {first:.0%} faces of the first kind, {second:.0%} of the second, "
              f"{1 - first - second:.0%} neither")
    return results
