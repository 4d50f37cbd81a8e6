"""Notebook 07, your turn: build a Laplacian pyramid and rebuild the image from it."""

import numpy as np

from ganlib import lapgan


def build(images, levels):
    pyramid, current = [], images
    for _ in range(levels - 1):
        coarser = lapgan.downsample(current)
        pyramid.append(current - lapgan.upsample(coarser))  # what the upsampling misses
        current = coarser
    return pyramid + [current]


def reconstruct(pyramid):
    images = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        images = lapgan.upsample(images) + band
    return images


# Exercises
#
# Worked solutions of the Exercises at the end of the notebook. Each runs its experiment at the size of the
# notebook's "cpu" preset (minutes of training), or with quick=True 2 steps per level of the "smoke" preset's
# small networks on the shipped subset (seconds: it shows that the code runs, and its numbers answer
# nothing). Each prints what it measured and returns it as a dict.

LATENT_DIM, BATCH_SIZE, LEARNING_RATE, KERNEL_SIZE, DEPTH = 32, 32, 2e-3, 3, 3
_evaluators = {}  # (dataset, source, seed) -> ganlib.metrics.Evaluator, made on first use


def _sizes(quick, dataset="fashion_mnist", levels=3):
    """The notebook's "cpu" preset (3 passes per level, 2 for the finest) or 2 steps of the "smoke" networks."""
    if quick:  # run_eagerly: 2 steps run faster than tracing them into a graph
        return {"dataset": dataset, "epochs": (1,) * levels, "steps_per_epoch": 2, "source": "subset",
                "limit": 512, "hidden_units": (32,), "filters": 8, "run_eagerly": True}
    return {"dataset": dataset, "epochs": (3,) * (levels - 1) + (2,), "steps_per_epoch": None, "source": "auto",
            "limit": None, "hidden_units": (256, 256), "filters": 16, "run_eagerly": False}


def _build(sizes, seed, levels=3, filters=None, depth=DEPTH):
    """Section 3's model."""
    from ganlib import lapgan

    return lapgan.build_lapgan((28, 28, 1), levels=levels, latent_dim=LATENT_DIM, hidden_units=sizes["hidden_units"],
                               filters=filters or sizes["filters"], depth=depth, kernel_size=KERNEL_SIZE, seed=seed)


def _train(model, sizes, seed, levels=None):
    """Section 4's loop: each level (or each of ``levels``) with its own data, optimizers and fit."""
    import time

    import ganlib
    from ganlib import dcgan

    images = ganlib.data.load_arrays(sizes["dataset"], "train", source=sizes["source"], limit=sizes["limit"]).images
    report = {}
    for level, network in enumerate(model.levels):
        if levels is not None and level not in levels:
            continue
        batches = model.dataset(images, level, batch_size=BATCH_SIZE, seed=seed)
        steps = sizes["epochs"][level] * (sizes["steps_per_epoch"] or int(batches.cardinality()))
        network.compile(**dcgan.optimizers(LEARNING_RATE, decay_steps=steps), run_eagerly=sizes["run_eagerly"])
        start = time.perf_counter()
        history = network.fit(batches, epochs=sizes["epochs"][level], verbose=0,
                              steps_per_epoch=sizes["steps_per_epoch"])
        report[level] = {"size": "x".join(map(str, model.shapes[level][:2])), "steps": steps,
                         "seconds": time.perf_counter() - start, "d_accuracy": history.history["d_accuracy"][-1]}
    return report


def _trained(sizes, seed, **build_options):
    import ganlib

    ganlib.utils.seed_everything(seed, deterministic=False)
    model = _build(sizes, seed, **build_options)
    return model, _train(model, sizes, seed)


def _evaluator(sizes, seed):
    from ganlib import metrics

    key = (sizes["dataset"], sizes["source"], seed)
    if key not in _evaluators:
        _evaluators[key] = metrics.Evaluator(sizes["dataset"], source=sizes["source"], seed=seed)
    return _evaluators[key]


def _chain(model, sizes, seed, rows=("upsampled", "bands", "LAPGAN")):
    """Section 6: FD, precision, recall and classes of images generated from real held-out images at each level.

    ``rows``: "upsampled" (the real low-pass images, upsampled), "bands" (real images of each size refined
    by the band generators above it; "finest band": the finest band generator only) and "LAPGAN" (the whole
    chain, from noise).
    """
    from ganlib import lapgan

    evaluator = _evaluator(sizes, seed)
    held_out = evaluator.test.images[:evaluator.sample_size]
    levels = len(model.levels)
    side = lambda level: model.shapes[level][0]  # noqa: E731
    images = {}
    if "upsampled" in rows:
        upsampled = model.level_data(held_out, 0)
        for _ in range(levels - 1):
            upsampled = lapgan.upsample(upsampled)
        images[f"real {side(0)}x{side(0)}, upsampled"] = np.clip(upsampled, -1, 1)
    if "bands" in rows or "finest band" in rows:
        for start in range(levels - 1, 0 if "bands" in rows else levels - 2, -1):  # the finest generator alone first
            coarse = held_out
            for _ in range(levels - start):
                coarse = lapgan.downsample(coarse)
            generators = ", ".join(f"G_{levels - 1 - level}" for level in range(start, levels))
            images[f"real {side(start - 1)}x{side(start - 1)} + {generators}"] = model.refine(coarse, start)
    if "LAPGAN" in rows:
        images["LAPGAN"] = model.generate(evaluator.sample_size)
    measured = {name: evaluator.evaluate(batch) for name, batch in images.items()}
    return {name: {key: row[key] for key in ("fd", "precision", "recall", "classes_hit")}
            for name, row in measured.items()}


def _spread(model):
    """Section 5: pixel spread across 8 refinements of each of 5 coarse samples, and across samples."""
    drawn = model.generate_levels(10)
    refinements = model.refine(np.repeat(drawn[0][:5], 8, axis=0)).reshape(5, 8, *model.image_shape)
    return float(refinements.std(axis=1).mean()), float(drawn[-1].std(axis=0).mean())


def _row(name, row):
    return f"{name}: FD {row['fd']:.2f}, precision {row['precision']:.3f}, recall {row['recall']:.3f}"


def exercise_1(quick: bool = False, seed: int = 0) -> dict:
    """LAPGAN with two levels: a 14x14 low-pass GAN and one 28x28 band GAN, trained with section 4's loop.

    Answer: the 28x28 band level plays exactly the game of the three-level model's finest level: its pairs
    (h_0, u(I_1)) come from real images either way (the same numbers up to float rounding). The game that
    changes, and gets harder, is the low-pass one: 196 numbers instead of 49, drawn by the same two layers
    of 256 units from the same 32 noise numbers (126,660 generator weights instead of 88,881). Training drops
    the 14x14 band level (105 s of the 312 s in the notebook's run), and the MLP steps cost a little more.
    "real 14x14 + G_0" measures the finest level alone, as in section 6, so the gap from it to "LAPGAN" is
    all the low-pass GAN's. quick=True trains 2 steps per level of small networks: only the weight counts
    (always of the notebook's networks) mean anything then.
    """
    sizes = _sizes(quick, levels=2)
    full_size = _build(_sizes(False, levels=2), seed, levels=2)  # the notebook's networks, even when quick
    weights = [(network.generator.count_params(), network.discriminator.count_params())
               for network in full_size.levels]
    model, report = _trained(sizes, seed, levels=2)
    chain = _chain(model, sizes, seed)
    seconds = sum(level["seconds"] for level in report.values())
    print("two levels, G + D weights: " + ", ".join(f"{generator:,} + {discriminator:,}"
                                                     for generator, discriminator in weights)
          + f"; {seconds:.0f} s of training; D accuracy " + ", ".join(
              f"{level['size']} {level['d_accuracy']:.2f}" for level in report.values()))
    print("; ".join(_row(name, row) for name, row in chain.items()))
    return {"levels": report, "weights": weights, "train_seconds": seconds, "chain": chain}


def exercise_2(quick: bool = False, seed: int = 0, model=None) -> dict:
    """The finest generator fed zeros instead of noise, on the same coarse images.

    Pass the notebook's trained model (``exercise_2(model=model)``) to skip training one here.

    Answer: the samples barely change. Zeros move the pixels by about as much as a second draw of noise
    does, a small fraction of the band the generator adds: the all-zero plane, a noise vector it never saw
    in training, is just another input it has learned to ignore. That is section 5's small spread seen from
    the other side: given the coarse image, the band generator is nearly a deterministic function.
    quick=True trains 2 steps per level: its numbers answer nothing.
    """
    from ganlib import lapgan

    if model is None:
        model, _ = _trained(_sizes(quick), seed)
    count, finest = 500, model.levels[-1]
    coarse = lapgan.upsample(model.generate_levels(count)[-2])  # u(I_1) of samples drawn coarse to fine
    bands = finest.generate(coarse)
    again = finest.generate(coarse)  # fresh noise
    zeros = finest.generate(coarse, noise=np.zeros((count, finest.latent_dim), "float32"))
    samples = {name: np.clip(coarse + band, -1, 1) for name, band in (("noise", bands), ("again", again),
                                                                       ("zeros", zeros))}
    numbers = {"change_with_zeros": float(np.abs(samples["zeros"] - samples["noise"]).mean()),
               "largest_change_with_zeros": float(np.abs(samples["zeros"] - samples["noise"]).max()),
               "change_with_new_noise": float(np.abs(samples["again"] - samples["noise"]).mean()),
               "band_size": float(np.abs(bands).mean())}
    print(f"finest generator fed zeros: pixels move {numbers['change_with_zeros']:.4f} on average (largest "
          f"{numbers['largest_change_with_zeros']:.2f}); fresh noise moves them "
          f"{numbers['change_with_new_noise']:.4f}; the band itself averages {numbers['band_size']:.3f}")
    return numbers


def exercise_3(quick: bool = False, seed: int = 0) -> dict:
    """Band discriminators given zeros in place of the coarse image, next to the notebook's, on section 6's rows.

    Answer: with zeros in place of u(I_{k+1}), D judges the band alone (zeros + h, and a channel of zeros),
    so its game only asks that bands look like real bands, p_g(h) = p_data(h), wherever they are drawn: a
    band that does not fit its coarse image costs nothing. Whatever fit remains comes from the generator's
    own input, the coarse image in a 7x7 window, not from the game. Read it off the "real ... + G" rows
    (FD, recall) and `band_correlation`, the correlation of the finest generated bands with the true bands
    of held-out images (1: the true band, 0: unrelated). quick=True trains 2 steps of the finest level only:
    its numbers answer nothing.
    """
    from keras import ops

    import ganlib
    from ganlib import lapgan

    class BlindBandGAN(lapgan.BandGAN):
        def discriminator_inputs(self, bands, coarse):
            return [bands, ops.zeros_like(coarse)]  # the generator still gets the coarse image

    sizes = _sizes(quick)
    evaluator = _evaluator(sizes, seed)
    numbers = {}
    for name in ("sighted", "blind"):
        ganlib.utils.seed_everything(seed, deterministic=False)
        model = _build(sizes, seed)
        if name == "blind":
            model = lapgan.LAPGAN([model.levels[0]] + [BlindBandGAN(network.generator, network.discriminator,
                                                                    seed=seed + level)
                                                       for level, network in enumerate(model.levels) if level])
        finest = len(model.levels) - 1
        _train(model, sizes, seed, levels=[finest] if quick else range(1, finest + 1))  # the band levels
        bands, coarse = model.level_data(evaluator.test.images[:evaluator.sample_size], finest)
        generated = model.levels[finest].generate(coarse)
        correlation = float(np.sum(generated * bands) / np.sqrt(np.sum(generated ** 2) * np.sum(bands ** 2)))
        chain = _chain(model, sizes, seed, rows=("finest band",) if quick else ("bands",))
        numbers[name] = {"chain": chain, "band_correlation": correlation}
        print(f"{name} band discriminators: " + "; ".join(_row(row, values) for row, values in
                                                          numbers[name]["chain"].items())
              + f"; band correlation {correlation:.2f}")
    return numbers


def exercise_4(quick: bool = False, seed: int = 0) -> dict:
    """Band networks of 32 filters and band generators of 5 convolutions, trained with section 4's loop.

    Answer: each band generator grows from 2,865 to 29,025 weights and sees an 11x11 window of the noise
    plane and coarse image instead of 7x7 (each 3x3 convolution widens it by 2); a training step costs three
    to four times as much (measured at both band levels). Section 5's reason for the small spread is in the
    data, one band per coarse image, and a bigger network does not change the data: compare your spread with
    the notebook's 0.0058 and with the spread across samples (0.48). The chain's recall is held down by the
    7x7 level (section 6: 0.11 from real 7x7 images, 0.016 from the 7x7 GAN's), which this change does not
    touch. quick=True trains 2 steps per level of smaller networks: only the weight counts (always of the
    notebook's size) mean anything then.
    """
    sizes = _sizes(quick)
    full_size = _build(_sizes(False), seed, filters=32, depth=5)  # the notebook's size, even when quick
    weights = [network.generator.count_params() for network in full_size.levels[1:]]
    model, report = _trained(sizes, seed, filters=2 * sizes["filters"], depth=5)
    spread_same, spread_all = _spread(model)
    chain = _chain(model, sizes, seed, rows=("LAPGAN",) if quick else ("bands", "LAPGAN"))
    seconds = sum(level["seconds"] for level in report.values())
    print(f"filters=32, depth=5: band generators {', '.join(f'{w:,}' for w in weights)} weights; "
          f"{seconds:.0f} s of training; spread across refinements {spread_same:.4f}, across samples {spread_all:.3f}")
    print("; ".join(_row(name, row) for name, row in chain.items()))
    return {"levels": report, "band_generator_weights": weights, "train_seconds": seconds,
            "spread_same_coarse": spread_same, "spread_all": spread_all, "chain": chain}


def exercise_5(quick: bool = False, seed: int = 0) -> dict:
    """The notebook's default run on MNIST: each level's discriminator accuracy at the end, and the chain.

    Answer: the discriminator that finds its game hardest is the one whose accuracy ends nearest 0.5. On the
    shipped MNIST subset (375, 375 and 250 steps) a run with seed 0 ended at 0.58 (7x7), 0.59 (14x14) and
    0.82 (28x28): the two coarse games are nearly balanced and hardest for their discriminators, while the
    28x28 discriminator wins most of the time, the same order as on Fashion-MNIST in section 4 (0.59, 0.66,
    0.97). The two coarse levels are too close to rank by one run. quick=True trains 2 steps per level: its
    numbers answer nothing.
    """
    sizes = _sizes(quick, "mnist")
    model, report = _trained(sizes, seed)
    chain = _chain(model, sizes, seed, rows=("LAPGAN",))
    print("MNIST, discriminator accuracy at the end: " + ", ".join(
        f"{level['size']} {level['d_accuracy']:.2f} ({level['steps']} steps)" for level in report.values()))
    print(_row("LAPGAN", chain["LAPGAN"]))
    return {"levels": report, "chain": chain}
