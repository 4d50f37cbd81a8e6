"""SampleGrid and HealthMonitor on 2x2 "faces", with generators built to misbehave on purpose.

Also ganlib.plotting.plot_history, which draws what these callbacks add to the History.
"""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import IMAGE_SHAPE, LATENT_DIM, make_gan
from ganlib import callbacks, data, losses  # noqa: E402
from ganlib.callbacks import HealthMonitor, SampleGrid, image_grid  # noqa: E402
from ganlib.plotting import plot_history  # noqa: E402


def constant_generator(value=0.3):
    """Every noise vector gives the same image: total collapse."""
    noise = keras.Input((LATENT_DIM,))
    x = layers.Dense(4, kernel_initializer="zeros",
                     bias_initializer=keras.initializers.Constant(value))(noise)
    return keras.Model(noise, layers.Reshape(IMAGE_SHAPE)(x))


def two_mode_generator():
    """Noise picks one of two images, +0.5 or -0.5 everywhere: collapse onto two modes.

    The two modes are far apart, so the *mean* pairwise distance stays large; only the
    nearest-neighbour ratio sees that every sample has copies.
    """
    noise = keras.Input((LATENT_DIM,))
    side = layers.Dense(1, use_bias=False, activation="tanh",
                        kernel_initializer=keras.initializers.Constant(50.0))(noise)
    x = layers.Dense(4, kernel_initializer=keras.initializers.Constant(0.5))(side)
    return keras.Model(noise, layers.Reshape(IMAGE_SHAPE)(x))


def undecided_discriminator():
    """Logit 0.01 for every image: D(x) just above 1/2, so exactly half its calls are right."""
    images = keras.Input(IMAGE_SHAPE)
    logit = layers.Dense(1, kernel_initializer="zeros",
                         bias_initializer=keras.initializers.Constant(0.01))(layers.Flatten()(images))
    return keras.Model(images, logit)


def kinds(monitor):
    text = " ".join(monitor.messages)
    return {kind for kind, phrase in (("wins", "wins outright"), ("collapse", "mode collapse"),
                                      ("nan", "NaN"), ("converged", "50% +-")) if phrase in text}


# SampleGrid

def test_sample_grid_writes_a_png_per_epoch_and_a_gif(tmp_path, faces):
    gan = make_gan(g_learning_rate=0.05)
    grid = SampleGrid(num_images=9, folder=tmp_path / "samples", display=False)
    gan.fit(faces, batch_size=16, epochs=3, verbose=0, callbacks=[grid])
    assert [path.name for path in grid.paths] == ["epoch_001.png", "epoch_002.png", "epoch_003.png"]
    # The last frame shows what the trained generator makes of the fixed noise.
    last = np.asarray(Image.open(grid.paths[-1]))
    np.testing.assert_array_equal(last, image_grid(gan.generate(noise=grid.noise)))
    assert last.shape == ((3 * 2 + 4) * 32,) * 2  # 3x3 images of 2x2 pixels, 4 paddings, x32
    frames = [np.asarray(Image.open(path)) for path in grid.paths]
    assert not np.array_equal(frames[0], frames[-1]), "the generator learned, so the frames differ"
    gif = Image.open(grid.gif_path)
    assert grid.gif_path.name == "progress.gif" and gif.n_frames == 3


def test_sample_grid_reuses_the_same_noise_every_epoch(tmp_path, faces):
    # A generator that does not learn (learning rate 0) must give identical frames.
    gan = make_gan(g_learning_rate=0.0)
    grid = SampleGrid(num_images=4, folder=tmp_path, display=False)
    gan.fit(faces, batch_size=16, epochs=3, verbose=0, callbacks=[grid])
    frames = [np.asarray(Image.open(path)) for path in grid.paths]
    assert len(frames) == 3
    assert all(np.array_equal(frames[0], frame) for frame in frames[1:])
    assert grid.noise.shape == (4, LATENT_DIM)


def test_sample_grid_every_n_epochs_and_always_the_last(tmp_path, faces):
    grid = SampleGrid(num_images=4, folder=tmp_path, every=2, display=False)
    make_gan().fit(faces, batch_size=32, epochs=5, verbose=0, callbacks=[grid])
    assert [path.name for path in grid.paths] == ["epoch_002.png", "epoch_004.png", "epoch_005.png"]


def test_sample_grid_displays_inline_when_asked(tmp_path, faces, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    make_gan().fit(faces, batch_size=32, epochs=2, verbose=0,
                   callbacks=[SampleGrid(num_images=4, folder=tmp_path / "on", display=True),
                              SampleGrid(num_images=4, folder=tmp_path / "auto")])
    assert not callbacks.in_notebook()  # pytest is no notebook: the second grid stays quiet
    assert len(shown) == 2 and all(isinstance(item, IPython.display.Image) for item in shown)


def test_sample_grid_rejects_noise_of_the_wrong_length(tmp_path, faces):
    grid = SampleGrid(noise=np.zeros((4, LATENT_DIM + 1)), folder=tmp_path)
    with pytest.raises(ValueError, match=r"\(n, 4\).*\(4, 5\)"):
        make_gan().fit(faces, batch_size=32, epochs=1, verbose=0, callbacks=[grid])


def test_image_grid_pixels():
    images = np.stack([np.full((2, 2), -1.0), np.zeros((2, 2)), np.ones((2, 2))])[..., None]
    grid = image_grid(images, ncols=2, scale=1)
    # Two rows of two cells of 2x2 pixels, gray (128) padding of 1 pixel around each.
    assert grid.shape == (2 * 3 + 1, 2 * 3 + 1) and grid.dtype == np.uint8
    assert (grid[1:3, 1:3] == 0).all() and (grid[1:3, 4:6] == 128).all() and (grid[4:6, 1:3] == 255).all()
    assert (grid[0] == 128).all() and (grid[4:6, 4:6] == 128).all()  # padding and the empty cell
    assert image_grid(images, scale=3).shape == (21, 21)


# HealthMonitor

@pytest.mark.parametrize("generator, collapsed", [
    (constant_generator, True), (two_mode_generator, True), (None, False)],
    ids=["constant", "two_modes", "healthy"])
def test_health_monitor_warns_when_samples_collapse(faces, capsys, generator, collapsed):
    gan = make_gan(generator() if generator else None, g_learning_rate=0.0, d_learning_rate=0.0)
    monitor = HealthMonitor(faces, convergence_patience=99)
    history = gan.fit(faces, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    assert ("collapse" in kinds(monitor)) == collapsed
    assert ("mode collapse" in capsys.readouterr().out) == collapsed
    assert len(monitor.messages) == (1 if collapsed else 0), "said once, not every epoch"
    ratios = history.history["nearest_ratio"]
    assert (max(ratios) < 0.1) if collapsed else (min(ratios) > 0.5)
    if generator is two_mode_generator:  # far-apart modes: the mean distance alone looks healthy
        assert min(history.history["diversity"]) > 1.0


def test_health_monitor_warns_when_the_discriminator_wins(faces, capsys):
    # The generator is stuck on one image; D learns to reject it.
    gan = make_gan(constant_generator(), g_learning_rate=0.0, d_learning_rate=0.05)
    monitor = HealthMonitor(faces, convergence_patience=99)
    history = gan.fit(faces, batch_size=16, epochs=4, verbose=0, callbacks=[monitor])
    assert history.history["d_accuracy"][-1] >= 0.95
    assert "wins" in kinds(monitor)
    assert "the discriminator wins outright" in capsys.readouterr().out
    assert all(key in history.history for key in ("d_grad_norm", "g_grad_norm"))
    assert all(np.isfinite(history.history["d_grad_norm"]))


def test_health_monitor_probes_a_gan_with_the_relativistic_pair(faces):
    # The relativistic generator loss needs D's real logits too; the probe's gradient norm must see them.
    gan = make_gan(d_loss_fn=losses.relativistic_discriminator_loss, g_loss_fn=losses.relativistic_generator_loss)
    monitor = HealthMonitor(faces, convergence_patience=99)
    history = gan.fit(faces, batch_size=16, epochs=1, verbose=0, callbacks=[monitor])
    real_logits = gan.discriminator(monitor.real_images, training=False)
    with tf.GradientTape() as tape:
        fake_logits = gan.discriminator(gan.generator(monitor.noise, training=False), training=False)
        loss = losses.relativistic_generator_loss(fake_logits, real_logits)
    gradients = tape.gradient(loss, gan.generator.trainable_weights)
    expected = np.sqrt(sum(float(np.sum(np.square(gradient))) for gradient in gradients))
    assert monitor.probe()["g_grad_norm"] == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(history.history["g_grad_norm"][0])


def test_health_monitor_stops_on_nan_and_says_where(faces, capsys):
    gan = make_gan()

    def loss_that_breaks(real_logits, fake_logits):  # NaN from the third discriminator step on
        broken = keras.ops.where(gan.d_optimizer.iterations >= 2, np.nan, 0.0)
        return losses.discriminator_loss(real_logits, fake_logits) + broken

    gan.d_loss_fn = loss_that_breaks
    monitor = HealthMonitor(faces)
    history = gan.fit(faces, batch_size=16, epochs=3, verbose=0, callbacks=[monitor])
    output = capsys.readouterr().out
    assert "Training stopped at epoch 1, batch 3" in output and "d_loss" in output
    assert int(gan.g_optimizer.iterations) == 3, "no step after the broken one"
    assert len(history.history["d_loss"]) == 1 and kinds(monitor) == {"nan"}


@pytest.mark.parametrize("stop", [True, False])
def test_health_monitor_reports_convergence_and_can_stop_there(faces, capsys, stop):
    gan = make_gan(discriminator=undecided_discriminator(), g_learning_rate=0.0, d_learning_rate=0.0)
    monitor = HealthMonitor(faces, convergence_patience=2, stop_at_convergence=stop)
    history = gan.fit(faces, batch_size=16, epochs=4, verbose=0, callbacks=[monitor])
    assert history.history["d_accuracy"] == [0.5] * len(history.history["d_accuracy"])
    assert len(history.history["d_loss"]) == (2 if stop else 4)
    output = capsys.readouterr().out
    assert output.count("Epoch 2: D accuracy has stayed within 50% +- 5% for 2 epochs") == 1
    assert ("Stopping training" in output) == stop


def test_callbacks_do_not_change_what_the_gan_learns(tmp_path, faces):
    # Both callbacks draw their own NumPy noise, never from the GAN's seed generator.
    plain, watched = make_gan(), make_gan()
    plain.fit(faces, batch_size=16, epochs=2, verbose=0)
    watched.fit(faces, batch_size=16, epochs=2, verbose=0,
                callbacks=[SampleGrid(num_images=4, folder=tmp_path, display=False),
                           HealthMonitor(faces)])
    for a, b in zip(plain.weights, watched.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_distance_helpers():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0]])  # distances 5, 5, 0
    assert callbacks.mean_pairwise_distance(points) == pytest.approx(10 / 3)
    assert callbacks.median_nearest_distance(points) == pytest.approx(0.0)


# plot_history

def test_plot_history_draws_losses_and_discriminator_outputs(faces):
    monitor = HealthMonitor(faces, convergence_patience=99)
    history = make_gan().fit(faces, batch_size=16, epochs=3, verbose=0, callbacks=[monitor])
    figure = plot_history(history, title="faces")
    assert [axis.get_title() for axis in figure.axes] == [
        "Losses", "Discriminator", "Samples vs real images"]
    lines = {line.get_label(): line for axis in figure.axes for line in axis.get_lines()}
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy", "diversity", "nearest_ratio"):
        np.testing.assert_allclose(lines[key].get_ydata(), history.history[key])
        np.testing.assert_array_equal(lines[key].get_xdata(), [1, 2, 3])
    without_monitor = {key: history.history[key] for key in ("d_loss", "g_loss", "d_real")}
    assert len(plot_history(without_monitor).axes) == 2
    plt.close("all")


def test_plot_history_says_what_it_expected():
    with pytest.raises(ValueError, match=r"d_loss and g_loss; got \['loss'\]"):
        plot_history({"loss": [1.0]})


def test_health_monitor_needs_distinct_real_images():
    with pytest.raises(ValueError, match="Expected distinct real images"):
        HealthMonitor(np.full((8, 2, 2, 1), -0.5, np.float32))
    with pytest.raises(ValueError, match=r"at least 2 real images, got shape \(1, 2, 2, 1\)"):
        HealthMonitor(np.zeros((1, 2, 2, 1), np.float32))


def test_progress_bar_counts_every_step_and_shows_the_last_metrics(faces):
    import io
    stream = io.StringIO()
    gan = make_gan()
    history = gan.fit(faces, batch_size=16, epochs=3, verbose=0,
                      callbacks=[callbacks.ProgressBar(file=stream, min_interval=0)])
    text = stream.getvalue().split("\r")[-1]
    assert "12/12" in text  # 64 images / 16 per batch * 3 epochs
    assert "epoch=3" in text
    assert f"d_loss={history.history['d_loss'][-1]:.3g}" in text


def test_training_callbacks_write_tensorboard_logs_only_when_asked(faces, tmp_path):
    quiet = callbacks.training_callbacks(progress=False)
    assert quiet == []
    logged = callbacks.training_callbacks(tmp_path / "logs", progress=False)
    assert [type(c).__name__ for c in logged] == ["TensorBoard"]
    make_gan().fit(faces, batch_size=16, epochs=2, verbose=0, callbacks=logged)
    events = list((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 100
    with_bar = callbacks.training_callbacks(tmp_path / "logs")
    assert [type(c).__name__ for c in with_bar] == ["ProgressBar", "TensorBoard"]


def test_sample_grid_without_labels_on_a_conditional_gan_fails_before_training(tmp_path):
    from ganlib import conditional_gan

    generator = conditional_gan.build_mlp_generator(LATENT_DIM, 3, IMAGE_SHAPE, hidden_units=(8,))
    discriminator = conditional_gan.build_mlp_discriminator(IMAGE_SHAPE, 3, hidden_units=(8,))
    cgan = conditional_gan.ConditionalGAN(generator, discriminator, LATENT_DIM, num_classes=3)
    cgan.compile("adam", "adam")
    faces = data.make_faces2x2(16)
    with pytest.raises(ValueError, match=r"pass SampleGrid\(labels=...\)"):
        cgan.fit(faces, np.zeros(16, int), batch_size=8, epochs=1, verbose=0,
                 callbacks=[SampleGrid(num_images=4, folder=tmp_path, display=False)])
    assert int(cgan.d_optimizer.iterations) == 0


def test_health_monitor_refuses_real_images_on_another_scale(faces):
    with pytest.raises(ValueError, match=r"HealthMonitor's real images scaled to \[-1, 1\].*got values in \[[0-9.]+, 25[0-9.]*\]"):
        HealthMonitor((faces + 1) * 127.5)


# BackupAndRestore: a broken checkpoint says which folder and what to do

def interrupted_run(backup_dir, faces):
    """Two finished epochs backed up, then a crash: the folder holds a checkpoint and the one before."""
    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        make_gan().fit(faces, batch_size=16, epochs=4, verbose=0,
                       callbacks=[callbacks.BackupAndRestore(backup_dir), Crash()])


@pytest.mark.parametrize("broken", ["latest.weights.h5", "training_metadata.json"])
def test_a_cut_short_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, faces, broken):
    interrupted_run(tmp_path, faces)
    path = tmp_path / broken
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    history = make_gan().fit(faces, batch_size=16, epochs=4, verbose=0,
                             callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert history.epoch == [1, 2, 3], "resumed after the first epoch, the previous checkpoint"


def test_an_unreadable_checkpoint_without_a_previous_one_names_the_folder(tmp_path, faces):
    interrupted_run(tmp_path, faces)
    for path in tmp_path.glob("*.bkp"):
        path.unlink()
    (tmp_path / "latest.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=rf"Could not restore the checkpoint in {tmp_path} .*rm -r {tmp_path}"):
        make_gan().fit(faces, batch_size=16, epochs=4, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])


def test_weights_without_their_metadata_are_not_trained_again_silently(tmp_path, faces):
    interrupted_run(tmp_path, faces)
    for path in tmp_path.glob("training_metadata.json*"):
        path.unlink()
    with pytest.raises(ValueError, match="holds weights but no training_metadata.json"):
        make_gan().fit(faces, batch_size=16, epochs=4, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
