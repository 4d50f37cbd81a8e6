"""Callbacks that watch a GAN train: a fixed-noise sample grid, a health monitor, a progress bar.

Both draw their own noise with NumPy, never from the GAN's seed generator, so adding
them to ``fit`` does not change what the GAN learns.

Example:
    >>> real_batch = next(iter(dataset))
    >>> history = gan.fit(dataset, epochs=2, verbose=0, callbacks=[
    ...     SampleGrid(num_images=64, folder="build/samples/04_dcgan", display=False),
    ...     HealthMonitor(real_batch)])
"""

import json
import math
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image
from tqdm import tqdm

from ganlib import checks


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of samples from the same fixed noise every ``every`` epochs.

    Fixed noise makes the frames comparable: each shows where the same latent points
    land as training goes on. Writes ``<folder>/epoch_001.png``, ``epoch_002.png``, ...
    (numbered like Keras' progress bar), and at the end of ``fit`` an animated
    ``<folder>/progress.gif`` of all the frames. In a notebook each grid is also shown
    below the cell.

    Args:
        noise: fixed noise, shape ``(n, latent_dim)``; drawn once from ``seed`` when None.
        num_images: n, when ``noise`` is None (one image per label when ``labels`` are given).
        folder: folder for the PNG files and the GIF (created if missing).
        every: save every ``every`` epochs; the last epoch of ``fit`` is always saved.
        ncols: images per row; by default the grid is as square as possible.
        scale: each pixel becomes ``scale x scale`` pixels; by default images are
            enlarged to at least 64 pixels high (28x28 MNIST -> x3, 2x2 faces -> x32).
        labels: class labels for a conditional GAN, which is called as
            ``model.generate(labels, noise=noise)``.
        display: show each grid inline; None shows it when running inside a notebook.
        gif_duration: milliseconds per GIF frame.
        seed: seed of the NumPy generator that draws ``noise``.

    Example:
        >>> grid = SampleGrid(num_images=16, folder="build/samples", display=False)
        >>> history = gan.fit(dataset, epochs=5, verbose=0, callbacks=[grid])
        >>> grid.paths[-1]
        PosixPath('build/samples/epoch_005.png')
    """

    def __init__(self, noise=None, num_images: int = 64, folder="samples", every: int = 1,
                 ncols: int | None = None, scale: int | None = None, labels=None,
                 display: bool | None = None, gif_duration: int = 300, seed: int = 0):
        super().__init__()
        checks.integer("every", every)
        if noise is None:
            num_images = num_images if labels is None else len(labels)
            checks.integer("num_images", num_images)
        self.noise = None if noise is None else np.asarray(noise, dtype=np.float32)
        self.num_images = num_images if noise is None else len(self.noise)
        self.folder = Path(folder)
        self.every = every
        self.ncols = ncols
        self.scale = scale
        self.labels = labels
        self.display = display
        self.gif_duration = gif_duration
        self.seed = seed
        self.paths = []  # the PNG files written so far, in order
        self.gif_path = None

    def on_train_begin(self, logs=None):
        latent_dim = self.model.latent_dim
        conditional = len(self.model.generator.inputs) > 1
        if conditional and self.labels is None:
            raise ValueError(f"{type(self.model).__name__} draws images of given classes: pass "
                             "SampleGrid(labels=...), e.g. labels=np.repeat(np.arange(10), 8).")
        if not conditional and self.labels is not None:
            raise ValueError(f"labels were given, but {type(self.model).__name__} takes none; "
                             "drop labels=... (they are for a ConditionalGAN).")
        if self.noise is None:  # drawn once, then reused by every later fit
            rng = np.random.default_rng(self.seed)
            self.noise = rng.standard_normal((self.num_images, latent_dim)).astype(np.float32)
        if self.noise.ndim != 2 or self.noise.shape[1] != latent_dim:
            raise ValueError(f"Expected noise of shape (n, {latent_dim}) for this GAN's latent_dim, "
                             f"got {self.noise.shape}.")
        self.folder.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        if self.labels is None:
            images = self.model.generate(noise=self.noise)
        else:
            images = self.model.generate(self.labels, noise=self.noise)
        path = self.folder / f"epoch_{epoch + 1:03d}.png"
        Image.fromarray(image_grid(images, self.ncols, self.scale)).save(path)
        if path not in self.paths:
            self.paths.append(path)
        if self.display or (self.display is None and in_notebook()):
            from IPython.display import Image as ImageOutput
            from IPython.display import display
            display(ImageOutput(filename=str(path)))

    def on_train_end(self, logs=None):
        if not self.paths:
            return
        frames = [Image.open(path) for path in self.paths]
        self.gif_path = self.folder / "progress.gif"
        frames[0].save(self.gif_path, save_all=True, append_images=frames[1:],
                       duration=self.gif_duration, loop=0)


class HealthMonitor(keras.callbacks.Callback):
    """Watch a GAN's vital signs and say in plain words when training goes wrong.

    After every batch, a NaN or infinite loss stops training at once, naming the epoch
    and batch. After every epoch, from the epoch's metrics and from a fixed probe (the
    given real images and a fixed batch of noise), it adds to the logs (so to
    ``history.history``):

    - ``diversity``: mean distance between two generated samples divided by the same
      for two real images (about 1 when the samples spread like the data);
    - ``nearest_ratio``: median distance from a generated sample to its nearest other
      sample, divided by the same for the real images; near 0 when many samples are
      copies of each other, which also catches collapse onto a few modes;
    - ``d_grad_norm``, ``g_grad_norm``: L2 norms of the gradients of the two losses on
      the probe, over all of each network's weights (one extra forward and backward
      pass per epoch, in inference mode so batch-norm statistics are not touched).

    and prints a warning when:

    - the discriminator wins outright: ``d_accuracy >= win_accuracy``;
    - samples collapse: ``nearest_ratio < collapse_ratio``;

    and a report when ``d_accuracy`` stays within ``0.5 +- convergence_band`` for
    ``convergence_patience`` epochs (D cannot tell real from fake), stopping training
    there if ``stop_at_convergence``. Each warning is printed when its condition starts,
    again only after it has cleared. Everything printed is also kept in ``messages``.

    ``d_accuracy`` counts real logits > 0 and fake logits < 0, the decision rule of the
    cross-entropy and hinge losses. The probe is skipped (only the metric checks run)
    for networks that take labels, as in ``ConditionalGAN``.

    Args:
        real_images: a batch of real images, e.g. ``next(iter(dataset))[0]``; the probe
            uses up to ``num_samples`` of them.
        num_samples: size of the probe (real images and fixed noise vectors).
        win_accuracy: D accuracy at or above which the discriminator "wins outright".
        collapse_ratio: ``nearest_ratio`` below which samples count as collapsed. A
            generator with batch norm starts out looking collapsed (0.02 for an untrained
            ``dcgan.build_generator``, 0.2 after 16 steps on MNIST), so a warning after
            only a few steps can be a false alarm.
        convergence_band: half-width of the band around 50% D accuracy.
        convergence_patience: epochs in the band before convergence is reported.
        stop_at_convergence: stop training when convergence is reported.
        seed: seed of the probe's fixed noise.

    Example:
        >>> monitor = HealthMonitor(real_batch, stop_at_convergence=True)
        >>> history = gan.fit(dataset, epochs=5, verbose=0, callbacks=[monitor])
        >>> sorted(history.history)[:4]   # the probe's numbers join the metrics; monitor.messages has its words
        ['d_accuracy', 'd_fake', 'd_grad_norm', 'd_loss']
    """

    def __init__(self, real_images, num_samples: int = 64, win_accuracy: float = 0.95,
                 collapse_ratio: float = 0.1, convergence_band: float = 0.05,
                 convergence_patience: int = 3, stop_at_convergence: bool = False, seed: int = 0):
        super().__init__()
        checks.integer("num_samples", num_samples)
        checks.integer("convergence_patience", convergence_patience)
        real_images = np.asarray(real_images)[:num_samples]
        if len(real_images) < 2:
            raise ValueError("Expected a batch of at least 2 real images, "
                             f"got shape {real_images.shape}.")
        real_images = checks.images(real_images, what="HealthMonitor's real images").astype(np.float32)
        self.real_images = real_images
        # The yardsticks for the generated samples, measured once.
        self.real_mean_distance = mean_pairwise_distance(real_images)
        self.real_nearest_distance = median_nearest_distance(real_images)
        if self.real_nearest_distance == 0:
            raise ValueError("Expected distinct real images, got a batch in which most images "
                             "have an exact copy; pass a batch drawn from the training data.")
        self.win_accuracy = win_accuracy
        self.collapse_ratio = collapse_ratio
        self.convergence_band = convergence_band
        self.convergence_patience = convergence_patience
        self.stop_at_convergence = stop_at_convergence
        self.seed = seed
        self.messages = []
        self.noise = None
        self._active = set()  # warnings whose condition held at the last check
        self._epochs_near_half = 0
        self._epoch = 0
        self._stopped_on_nan = False

    def on_train_begin(self, logs=None):
        if self.noise is None:
            rng = np.random.default_rng(self.seed)
            shape = (len(self.real_images), self.model.latent_dim)
            self.noise = rng.standard_normal(shape).astype(np.float32)
        self._epochs_near_half = 0
        self._stopped_on_nan = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        broken = [name for name, value in (logs or {}).items() if not np.all(np.isfinite(value))]
        if broken:
            self.model.stop_training = self._stopped_on_nan = True
            self._say(f"Training stopped at epoch {self._epoch + 1}, batch {batch + 1}: "
                      f"{', '.join(broken)} became NaN or infinite. The weights are probably "
                      "broken too: restart from a checkpoint or from scratch, with a lower "
                      "learning rate (or a loss that cannot overflow).")

    def on_epoch_end(self, epoch, logs=None):
        if self._stopped_on_nan:
            return  # nothing more to diagnose
        logs = logs if logs is not None else {}
        if self._probe_applies():
            logs.update(self.probe())
        accuracy = logs.get("d_accuracy")
        if accuracy is not None:
            d_real, d_fake = logs.get("d_real", math.nan), logs.get("d_fake", math.nan)
            self._warn("wins", accuracy >= self.win_accuracy,
                       f"Epoch {epoch + 1}: the discriminator wins outright: it tells real from "
                       f"fake {accuracy:.0%} of the time (mean D(real) {d_real:.2f}, D(fake) "
                       f"{d_fake:.2f}). Its feedback to the generator may be too weak to learn "
                       f"from (generator gradient norm {logs.get('g_grad_norm', math.nan):.3g}). "
                       "Try a smaller discriminator or learning rate, or another loss pair "
                       "(ganlib.losses.PAIRS).")
        if "nearest_ratio" in logs:
            self._warn("collapse", logs["nearest_ratio"] < self.collapse_ratio,
                       f"Epoch {epoch + 1}: mode collapse: {len(self.noise)} different noise vectors "
                       "give nearly the same few images (median distance to the nearest other "
                       f"sample is {logs['nearest_ratio']:.0%} of the real images'). Look at the "
                       "samples; try a lower learning rate or the Wasserstein loss with gradient "
                       "penalty (ganlib.losses.PAIRS['wgan'], GAN(gp_weight=10)).")
        if accuracy is not None:
            self._check_convergence(epoch, accuracy)

    def probe(self) -> dict:
        """Diversity, nearest-neighbour ratio and gradient norms on the fixed probe."""
        generator, discriminator = self.model.generator, self.model.discriminator
        noise, real_images = tf.constant(self.noise), tf.constant(self.real_images)
        with tf.GradientTape(persistent=True) as tape:
            fake_images = generator(noise, training=False)
            fake_logits = discriminator(fake_images, training=False)
            real_logits = discriminator(real_images, training=False)
            d_loss = self.model.d_loss_fn(real_logits, fake_logits)
            g_loss = self.model.generator_adversarial_loss(fake_logits, lambda: real_logits)
        norms = {name: _global_norm(tape.gradient(loss, network.trainable_weights))
                 for name, loss, network in (("d_grad_norm", d_loss, discriminator),
                                             ("g_grad_norm", g_loss, generator))}
        del tape
        fake = fake_images.numpy()
        return {"diversity": mean_pairwise_distance(fake) / self.real_mean_distance,
                "nearest_ratio": median_nearest_distance(fake) / self.real_nearest_distance,
                **norms}

    def _check_convergence(self, epoch, accuracy):
        near_half = abs(accuracy - 0.5) <= self.convergence_band
        self._epochs_near_half = self._epochs_near_half + 1 if near_half else 0
        if self._epochs_near_half != self.convergence_patience:
            return
        message = (f"Epoch {epoch + 1}: D accuracy has stayed within 50% +- "
                   f"{self.convergence_band:.0%} for {self.convergence_patience} epochs: the "
                   "discriminator cannot tell real from fake, as at the game's equilibrium "
                   "(D = 1/2 everywhere). A discriminator that stopped learning looks the same, "
                   "so check the samples.")
        if self.stop_at_convergence:
            self.model.stop_training = True
            message += " Stopping training (stop_at_convergence=True)."
        self._say(message)

    def _probe_applies(self):
        networks = (self.model.generator, self.model.discriminator)
        return all(len(getattr(network, "inputs", None) or ()) == 1 for network in networks)

    def _warn(self, kind, condition, message):
        if not condition:
            self._active.discard(kind)
        elif kind not in self._active:  # new, or back after having cleared
            self._active.add(kind)
            self._say(message)

    def _say(self, message):
        self.messages.append(message)
        print(f"HealthMonitor: {message}")


class ProgressBar(keras.callbacks.Callback):
    """One text progress bar over all of ``fit``'s steps, with the latest epoch's metrics.

    Keras' own ``verbose=1`` prints a bar per epoch (hundreds of lines in a long run) and
    ``verbose=2`` a line per epoch with no sense of time left; this is a single tqdm bar
    with the elapsed and remaining time, for notebooks and terminals alike (plain text on
    standard output, so it needs no widget library and reads the same in a stored notebook).
    Use it with ``fit(..., verbose=0)``.

    Args:
        metrics: names of the logged metrics to show after each epoch.
        description: the bar's label.
        min_interval: seconds between redraws (keeps stored notebook outputs small).
        file: where to write; standard output by default.

    Example:
        >>> bar = ProgressBar(file=io.StringIO())  # standard output by default
        >>> history = gan.fit(dataset, epochs=60, verbose=0, callbacks=[bar])
        >>> print(bar.file.getvalue().splitlines()[-1])  # each redraw starts a line  # doctest: +ELLIPSIS
        training: 100%|...| 240/240 [..., epoch=60, d_loss=...]
    """

    def __init__(self, metrics=("d_loss", "g_loss", "d_accuracy"), description: str = "training",
                 min_interval: float = 2.0, file=None):
        super().__init__()
        self.metric_names = tuple(metrics)
        self.description = description
        self.min_interval = min_interval
        self.file = file
        self.bar = None

    def on_train_begin(self, logs=None):
        steps, epochs = self.params.get("steps"), self.params.get("epochs", 1)
        self.bar = tqdm(total=steps * epochs if steps else None, desc=self.description,
                        unit="step", mininterval=self.min_interval, ascii=" #",
                        file=self.file or sys.stdout, dynamic_ncols=False, ncols=110)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        shown = {"epoch": epoch + 1}
        shown.update({name: f"{float(logs[name]):.3g}" for name in self.metric_names
                      if logs and name in logs})
        self.bar.set_postfix(shown, refresh=False)

    def on_train_end(self, logs=None):
        self.bar.close()


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` that keeps two checkpoints and explains a broken one.

    It saves at the end of every epoch, keeping the previous checkpoint too
    (``double_checkpoint=True``): a latest checkpoint cut short by a crash while it was
    written falls back to the one before. A folder it cannot restore from (weights without
    their ``training_metadata.json``, an unreadable file) stops ``fit`` before any step with
    a ``ValueError`` naming the folder and the fix, instead of an h5py or JSON error, or of
    silently training every epoch again on top of the restored weights.

    Args:
        backup_dir: folder of the checkpoints; removed after a finished ``fit``.
        **kwargs: passed to ``keras.callbacks.BackupAndRestore``.
    """

    def __init__(self, backup_dir, **kwargs):
        kwargs.setdefault("double_checkpoint", True)
        super().__init__(str(backup_dir), **kwargs)

    def on_train_begin(self, logs=None):
        folder = Path(self.backup_dir)
        weights, metadata = Path(self._weights_path), Path(self._training_metadata_path)
        fix = f"delete the folder to start training from scratch (rm -r {folder})"
        backups = (Path(self._prev_weights_path), Path(self._prev_training_metadata_path))
        latest_broken = any(path.exists() and not _readable(path) for path in (weights, metadata))
        if latest_broken and all(path.exists() and _readable(path) for path in backups):
            for backup, path in zip(backups, (weights, metadata)):  # weights and epoch fall back together
                shutil.copy(backup, path)
        if weights.exists() and not metadata.exists():
            raise ValueError(f"{folder} holds weights but no training_metadata.json, so it does not say "
                             f"which epoch they finished; Keras would train every epoch again on top of "
                             f"them. Restore the file, or {fix}.")
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f"Could not restore the checkpoint in {folder} ({type(error).__name__}: "
                             f"{error}); {fix}.") from error


def _readable(path):
    """Whether a checkpoint file opens: JSON metadata parses, an HDF5 weights file has its signature."""
    try:
        if ".json" in path.name:  # training_metadata.json, or its backup training_metadata.json.bkp
            json.loads(path.read_text())["epoch"]
            return True
        import h5py

        with h5py.File(path, "r"):
            return True
    except Exception:  # noqa: BLE001 - any failure means "cannot restore from this file"
        return False


def training_callbacks(log_dir=None, progress: bool = True, backup_dir=None, **progress_options) -> list:
    """The callbacks every course notebook trains with: a progress bar and, if asked, TensorBoard and backups.

    Args:
        log_dir: folder for TensorBoard logs (losses and metrics per epoch); None for no
            logging. View them with ``tensorboard --logdir <log_dir>``.
        progress: show a ``ProgressBar``.
        backup_dir: folder for ``BackupAndRestore`` checkpoints (a killed run resumes from its last
            finished epoch when ``fit`` is called again); None for none.
        **progress_options: passed to ``ProgressBar`` (e.g. ``metrics``, ``description``).

    Returns:
        A list of callbacks for ``fit(..., callbacks=...)``.
    """
    callbacks = [ProgressBar(**progress_options)] if progress else []
    if log_dir is not None:
        # write_graph=False: a GAN's train_step graph is large and says little to a learner.
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False))
    if backup_dir is not None:
        callbacks.append(BackupAndRestore(backup_dir))
    return callbacks


def image_grid(images, ncols: int | None = None, scale: int | None = None, padding: int = 1,
               value_range=(-1.0, 1.0)) -> np.ndarray:
    """Tile a batch of images into one uint8 picture, ready for ``PIL.Image.fromarray``.

    Args:
        images: ``(n, height, width)``, ``(n, height, width, 1)`` or ``(n, height, width, 3)``.
        ncols: images per row; by default ``ceil(sqrt(n))``.
        scale: each pixel becomes ``scale x scale`` pixels; by default the smallest
            factor making an image at least 64 pixels high.
        padding: gray pixels between images (before scaling).
        value_range: pixel values drawn black and white.

    Returns:
        ``(rows, columns)`` for one-channel images, ``(rows, columns, 3)`` for colour ones.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3) or not len(images):
        raise ValueError("Expected a non-empty batch of images shaped (n, height, width), "
                         f"(n, height, width, 1) or (n, height, width, 3), got shape {images.shape}.")
    count, height, width = images.shape[:3]
    ncols = min(ncols or math.ceil(math.sqrt(count)), count)
    nrows = math.ceil(count / ncols)
    scale = scale or math.ceil(64 / height)
    low, high = value_range
    pixels = np.round(np.clip((images - low) / (high - low), 0.0, 1.0) * 255).astype(np.uint8)
    cell_height, cell_width = height + padding, width + padding
    grid = np.full((nrows * cell_height + padding, ncols * cell_width + padding, *images.shape[3:]),
                   128, dtype=np.uint8)
    for index, image in enumerate(pixels):
        row, column = divmod(index, ncols)
        top, left = padding + row * cell_height, padding + column * cell_width
        grid[top:top + height, left:left + width] = image
    return grid.repeat(scale, axis=0).repeat(scale, axis=1)


def mean_pairwise_distance(images) -> float:
    """Mean Euclidean distance between two different images of the batch."""
    distances = _pairwise_distances(images)
    count = len(distances)
    return float(distances.sum() / (count * (count - 1)))


def median_nearest_distance(images) -> float:
    """Median over the batch of the distance from an image to its nearest other image."""
    distances = _pairwise_distances(images)
    np.fill_diagonal(distances, np.inf)
    return float(np.median(distances.min(axis=1)))


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, papermill), False in scripts and pytest."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")


def _pairwise_distances(images):
    vectors = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    squared = np.sum(vectors ** 2, axis=1)
    squared_distances = squared[:, None] + squared[None, :] - 2.0 * vectors @ vectors.T
    distances = np.sqrt(np.maximum(squared_distances, 0.0))  # rounding can dip below 0
    np.fill_diagonal(distances, 0.0)  # exactly, not a rounding error away
    return distances


def _global_norm(gradients):
    squares = [float(tf.reduce_sum(tf.square(gradient))) for gradient in gradients
               if gradient is not None]
    return math.sqrt(sum(squares))
