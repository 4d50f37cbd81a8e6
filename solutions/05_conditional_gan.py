"""Notebook 05, your turn: the label in the generator's input."""

import numpy as np


def join_noise_and_label(noise, labels, embeddings):
    # the embedding of label y is row y of the table: the same as one_hot(y) @ embeddings
    return np.concatenate([noise, embeddings[labels]], axis=1)


# Exercises
#
# Worked solutions of the Exercises at the end of the notebook. Each runs its experiment at the size of the
# notebook's "cpu" preset (minutes of training), or with quick=True a few steps of small networks on the
# shipped subset (seconds: it shows that the code runs, and its numbers answer nothing). Each prints what it
# measured and returns it as a dict.

NUM_CLASSES, LATENT_DIM, EMBEDDING_DIM, LEARNING_RATE = 10, 64, 16, 2e-3
_evaluators = {}  # (dataset, source, seed) -> ganlib.metrics.Evaluator, made on first use


def _sizes(quick, dataset_name="fashion_mnist"):
    """The notebook's "cpu" preset, or a few steps of small networks."""
    if quick:
        return {"dataset_name": dataset_name, "source": "subset", "limit": 256, "batch_size": 16, "passes": None,
                "steps": 6, "filters": 8, "per_class_count": 20}
    return {"dataset_name": dataset_name, "source": "auto", "limit": None, "batch_size": 32, "passes": 4,
            "steps": None, "filters": 24, "per_class_count": 200}


def _networks(sizes, acgan=False):
    """The notebook's generator and discriminator (section 3, or section 5's AC-GAN discriminator)."""
    from ganlib import conditional_gan

    generator = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, image_shape=(28, 28, 1),
                                                     embedding_dim=EMBEDDING_DIM, filters=sizes["filters"])
    build = conditional_gan.build_acgan_discriminator if acgan else conditional_gan.build_conv_discriminator
    return generator, build((28, 28, 1), NUM_CLASSES, filters=sizes["filters"])


def _train(cgan, sizes, seed, optimizers=None):
    """Section 6: Adam (beta_1 = 0.5) from 2e-3 along a cosine to 0, unless other optimizers are given."""
    import ganlib
    from ganlib import dcgan

    data = ganlib.data.load(sizes["dataset_name"], batch_size=sizes["batch_size"], seed=seed,
                            limit=sizes["limit"], source=sizes["source"])
    steps = sizes["steps"] or sizes["passes"] * len(data)
    cgan.compile(**(optimizers or dcgan.optimizers(LEARNING_RATE, decay_steps=steps)))
    cgan.fit(data.repeat(), epochs=1, steps_per_epoch=steps, verbose=0)
    return cgan


def _trained_cgan(sizes, seed):
    """The notebook's default run: the plain conditional GAN of sections 2 to 6."""
    import ganlib

    ganlib.utils.seed_everything(seed, deterministic=False)
    generator, discriminator = _networks(sizes)
    return _train(ganlib.ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, seed=seed), sizes, seed)


def _evaluator(sizes, seed):
    from ganlib import metrics

    key = (sizes["dataset_name"], sizes["source"], seed)
    if key not in _evaluators:
        _evaluators[key] = metrics.Evaluator(sizes["dataset_name"], source=sizes["source"], seed=seed)
    return _evaluators[key]


def _measure(cgan, sizes, seed):
    """Sections 8 and 10: label accuracy and FD on the evaluator's sample, recall of each class."""
    import ganlib

    evaluator = _evaluator(sizes, seed)
    labels = np.tile(np.arange(NUM_CLASSES), evaluator.sample_size // NUM_CLASSES + 1)[:evaluator.sample_size]
    numbers = evaluator.evaluate(cgan.generate(labels), labels)
    count = min(sizes["per_class_count"], np.bincount(evaluator.test.labels).min())
    per_class_labels = np.repeat(np.arange(NUM_CLASSES), count)
    per_class = evaluator.per_class(cgan.generate(per_class_labels), per_class_labels, count=count)
    hardest = int(np.argmin(per_class["recall"]))
    return {"label_accuracy": numbers["label_accuracy"], "fd": numbers["fd"],
            "class_counts": numbers["class_counts"], "class_recall": per_class["recall"],
            "min_class_recall": per_class["recall"][hardest],
            "hardest_class": ganlib.data.CLASS_NAMES[sizes["dataset_name"]][hardest]}


def _summary(numbers):
    return (f"label accuracy {numbers['label_accuracy']:.3f}, FD {numbers['fd']:.3g}, "
            f"lowest class recall {numbers['min_class_recall']:.2f} ({numbers['hardest_class']})")


def exercise_1(quick: bool = False, seed: int = 0) -> dict:
    """AC-GAN (lambda = 1) trained with the paper's Adam, a constant 2e-4, for the notebook's 4 passes.

    Answer: read the three numbers against section 5's table, where the AC-GAN trained at the conditional
    GAN's learning rate collapsed (label accuracy 0.10, the chance level of ten classes; lowest class recall
    0.00). If this run keeps label accuracy far above 0.10 and no class at recall 0, the collapse came from
    how it was trained; if it collapses too, it is the cooperation on the class loss that section 5 describes.
    A constant 2e-4 also slows the plain conditional GAN (section 6's table: FD 6.1 against 2.2), so judge FD
    against that row, not against this notebook's run. quick=True trains 6 steps: its numbers answer nothing.
    """
    import ganlib
    from ganlib import dcgan

    sizes = _sizes(quick)
    ganlib.utils.seed_everything(seed, deterministic=False)
    generator, discriminator = _networks(sizes, acgan=True)
    acgan = ganlib.ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, classifier_weight=1.0,
                                  seed=seed)
    numbers = _measure(_train(acgan, sizes, seed, optimizers=dcgan.optimizers()), sizes, seed)
    print(f"AC-GAN, lambda = 1, Adam 2e-4: {_summary(numbers)}")
    return numbers


def exercise_2(quick: bool = False, seed: int = 0) -> dict:
    """The conditional GAN with a discriminator that is always told class 0.

    Answer: no. With a constant label, D judges images alone, so the game is the unconditional one, won as
    soon as p_g(x) = p_data(x) whatever class is drawn for each y; nothing rewards drawing class y when asked
    for y. Label accuracy falls to about 0.10, the chance level of ten classes. The label still changes the
    image (it is an input like the noise), so each label may lean towards some class (`consistency`: the
    share of its images in its most frequent class), but not the class asked for. quick=True trains 6 steps:
    its numbers answer nothing.
    """
    from keras import ops

    import ganlib
    from ganlib import metrics

    class LabelBlindGAN(ganlib.ConditionalGAN):
        def discriminator_inputs(self, images, labels):
            return [images, ops.zeros_like(labels)]  # the generator still gets the real labels

    sizes = _sizes(quick)
    ganlib.utils.seed_everything(seed, deterministic=False)
    generator, discriminator = _networks(sizes)
    cgan = _train(LabelBlindGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, seed=seed), sizes, seed)
    numbers = _measure(cgan, sizes, seed)
    labels = np.repeat(np.arange(NUM_CLASSES), 50)
    classifier = _evaluator(sizes, seed).classifier
    predicted = metrics.classifier_outputs(classifier, cgan.generate(labels))["logits"].argmax(axis=1)
    numbers["consistency"] = float(np.mean([np.bincount(predicted[labels == label], minlength=NUM_CLASSES).max() / 50
                                            for label in range(NUM_CLASSES)]))
    print(f"discriminator told class 0: {_summary(numbers)}")
    print(f"classes drawn {sum(count > 0 for count in numbers['class_counts'])} of {NUM_CLASSES}; "
          f"share of each label's images in its most frequent class {numbers['consistency']:.2f}")
    return numbers


def build_one_hot_generator(latent_dim: int, num_classes: int, filters: int = 24):
    """``conditional_gan.build_conv_generator`` with ``one_hot(y)`` in place of the embedding ``e(y)``."""
    import keras
    from keras import layers, ops

    from ganlib import dcgan

    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="label")
    joined = layers.Concatenate(name="noise_and_label")([noise, ops.one_hot(labels, num_classes)])
    body = dcgan.build_generator(latent_dim + num_classes, (28, 28, 1), filters=filters)
    return keras.Model([noise, labels], body(joined), name="one_hot_generator")


def exercise_3(quick: bool = False, seed: int = 0) -> dict:
    """The generator with a one-hot label: weights, the label's effect before training, and the trained numbers.

    Answer: the one-hot generator has 14,272 weights fewer (203,737 against 218,009): the 160 of the 10 x 16
    embedding and 6 x 2,352 in the first layer, which reads 74 inputs instead of 80. Both can draw the same
    images: one-hot(y) times the first layer's weights is a learned vector per class, as e(y) times them is,
    and with 16 >= 10 the embedding restricts nothing. They start differently: a one-hot vector has norm 1,
    an N(0, 1) embedding of 16 numbers about 4, so before training the label moves the one-hot generator's
    pixels less than half as much. Trained, compare with the notebook's run and with the seed-to-seed spread
    of section 6's table. quick=True trains 6 steps of a smaller one-hot generator: only the weight counts
    and the untrained effect (always of the notebook's networks) mean anything then.
    """
    from keras import ops

    import ganlib
    from ganlib import conditional_gan

    sizes = _sizes(quick)
    ganlib.utils.seed_everything(seed, deterministic=False)
    # The notebook's networks (24 filters) for the weight counts and the untrained effect, even with quick=True.
    embedded = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, embedding_dim=EMBEDDING_DIM, filters=24)
    one_hot = build_one_hot_generator(LATENT_DIM, NUM_CLASSES, filters=24)
    noise = np.random.default_rng(seed).normal(size=(200, LATENT_DIM)).astype("float32")

    def class_effect(generator):  # mean pixel change from class 0 to class 7, same noise (section 3's check)
        images = [ops.convert_to_numpy(generator([noise, np.full(200, label, "int32")], training=False))
                  for label in (0, 7)]
        return float(np.abs(images[0] - images[1]).mean())

    numbers = {"embedding_weights": embedded.count_params(), "one_hot_weights": one_hot.count_params(),
               "embedding_class_effect": class_effect(embedded), "one_hot_class_effect": class_effect(one_hot)}
    if sizes["filters"] != 24:
        one_hot = build_one_hot_generator(LATENT_DIM, NUM_CLASSES, filters=sizes["filters"])
    discriminator = conditional_gan.build_conv_discriminator((28, 28, 1), NUM_CLASSES, filters=sizes["filters"])
    cgan = _train(ganlib.ConditionalGAN(one_hot, discriminator, LATENT_DIM, NUM_CLASSES, seed=seed), sizes, seed)
    numbers.update(_measure(cgan, sizes, seed))
    print(f"weights: embedding {numbers['embedding_weights']:,}, one-hot {numbers['one_hot_weights']:,}; untrained, "
          f"class 0 -> 7 moves pixels by {numbers['embedding_class_effect']:.4f} and "
          f"{numbers['one_hot_class_effect']:.4f}")
    print(f"one-hot, trained: {_summary(numbers)}")
    return numbers


def exercise_4(quick: bool = False, seed: int = 0, cgan=None) -> dict:
    """Straight lines in z with the class fixed, next to section 7's class paths with z fixed.

    Pass the notebook's trained model (``exercise_4(cgan=cgan)``) to skip training the default run here.

    Answer: along a line in z the class stays: the reference classifier files about as many of the images
    under the fixed class as it does for random samples (section 8's label accuracy), the middle of the line
    included. What changes is what z controls, the style: shape, width, brightness, pattern. Along section 7's
    class path it is the other way round: z, so the style, stays and the class changes. Both paths move the
    pixels by similar amounts from end to end. The middle of a straight line has a shorter z (norm about
    sqrt(64 / 2) = 5.7 instead of 8, notebook 04), and the images there are still filed under the class.
    quick=True trains 6 steps: its numbers answer nothing.
    """
    from ganlib import conditional_gan, dcgan, metrics

    sizes = _sizes(quick)
    cgan = cgan if cgan is not None else _trained_cgan(sizes, seed)
    classifier = _evaluator(sizes, seed).classifier
    rng, steps, lines = np.random.default_rng(seed), 8, 5
    paths, labels = [], []
    for label in range(NUM_CLASSES):
        for _ in range(lines):
            start, end = rng.normal(size=(2, LATENT_DIM))
            paths.append(dcgan.interpolate(start, end, steps, method="linear"))
            labels.append(np.full(steps, label))
    noise, labels = np.concatenate(paths), np.concatenate(labels)
    z_path = cgan.generate(labels, noise=noise)
    kept = metrics.classifier_outputs(classifier, z_path)["logits"].argmax(axis=1) == labels
    pairs = [(7, 9), (0, 3), (2, 4), (1, 8)]  # section 7's
    class_paths = [conditional_gan.interpolate_classes(cgan.generator, rng.normal(size=(lines, LATENT_DIM)), a, b,
                                                       steps=steps) for a, b in pairs]
    predicted = [metrics.classifier_outputs(classifier, path)["logits"].argmax(axis=1) for path in class_paths]
    in_pair = np.mean([np.isin(p, pair) for p, pair in zip(predicted, pairs)])

    def end_to_end(images):  # mean pixel change from the first image of each path to its last
        images = np.asarray(images).reshape(-1, steps, *images.shape[1:])
        return float(np.abs(images[:, -1] - images[:, 0]).mean())

    numbers = {"z_path_kept_class": float(kept.mean()), "z_path_middle_kept_class":
               float(kept.reshape(-1, steps)[:, 1:-1].mean()), "z_path_change": end_to_end(z_path),
               "class_path_in_pair": float(in_pair),
               "class_path_change": float(np.mean([end_to_end(path) for path in class_paths])),
               "label_accuracy": _measure(cgan, sizes, seed)["label_accuracy"]}
    print(f"line in z, class fixed: {numbers['z_path_kept_class']:.0%} filed under that class "
          f"({numbers['z_path_middle_kept_class']:.0%} inside the line; random samples "
          f"{numbers['label_accuracy']:.0%}), pixels move {numbers['z_path_change']:.2f} end to end")
    print(f"class path, z fixed: {numbers['class_path_in_pair']:.0%} filed under one of its two classes, "
          f"pixels move {numbers['class_path_change']:.2f} end to end")
    return numbers


def exercise_5(quick: bool = False, seed: int = 0) -> dict:
    """The notebook's default run on MNIST, and each digit's recall next to real held-out digits'.

    Answer: read the hardest digits off your run's per-class recall, next to the floor of real held-out
    digits measured the same way. Which digits come last changes from run to run (the notebook's section 10:
    one class's recall moves by about 0.1 between runs), and on the shipped subset each class is measured on
    only 100 images. The subset also makes the run short: 4 passes over 4,000 images are 500 steps, against
    7,500 on the full Fashion-MNIST. quick=True trains 6 steps: its numbers answer nothing.
    """
    sizes = {**_sizes(quick, "mnist"), "per_class_count": 200}  # all 100 of the subset's, even when quick
    numbers = _measure(_trained_cgan(sizes, seed), sizes, seed)
    evaluator = _evaluator(sizes, seed)
    count = min(sizes["per_class_count"], np.bincount(evaluator.test.labels).min())
    numbers["floor_class_recall"] = evaluator.per_class(evaluator.test.images, evaluator.test.labels,
                                                        count=count)["recall"]
    order = np.argsort(numbers["class_recall"])
    print(f"MNIST: {_summary(numbers)}")
    print("hardest digits by recall: " + ", ".join(
        f"{digit} {numbers['class_recall'][digit]:.2f} (real {numbers['floor_class_recall'][digit]:.2f})"
        for digit in order[:3]))
    return numbers
