"""Reliability of GAN training: resume, save/load, determinism, bad input, several devices."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import IMAGE_SHAPE, LATENT_DIM, make_gan
from ganlib import data, utils
from ganlib.gan import GAN, build_mlp_discriminator, build_mlp_generator

ROOT = Path(__file__).resolve().parent.parent


def snapshot(gan):
    """Everything a resumed run must get back: weights, both optimizers, random states."""
    return {"weights": [w.numpy() for w in gan.weights],
            "d_optimizer": [v.numpy() for v in gan.d_optimizer.variables],
            "g_optimizer": [v.numpy() for v in gan.g_optimizer.variables],
            "random": [v.numpy() for v in gan._random_states()]}


def assert_same(first, second):
    for part in first:
        assert len(first[part]) == len(second[part]), part
        for a, b in zip(first[part], second[part]):
            np.testing.assert_array_equal(a, b, err_msg=part)


class CrashAt(keras.callbacks.Callback):
    """Raise in the middle of an epoch, like a killed process."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.crash_epoch, self.crash_batch, self.epoch = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (self.crash_epoch, self.crash_batch):
            raise RuntimeError("simulated crash")


class StateAtStart(keras.callbacks.Callback):
    """Record the state fit starts from (after BackupAndRestore, which runs first)."""

    def on_train_begin(self, logs=None):
        self.state = snapshot(self.model)


class RecordEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.states = {}

    def on_epoch_end(self, epoch, logs=None):
        self.states[epoch] = snapshot(self.model)


def load_faces():
    # The course's own loader with its defaults: shuffled every epoch (4 batches of 250 faces).
    return data.load("faces2x2", batch_size=250)


@pytest.fixture
def faces_dataset():
    return load_faces()


# Resume

def test_training_killed_mid_epoch_resumes_to_the_same_weights(tmp_path):
    epochs, backup_dir = 4, tmp_path / "backup"

    keras.utils.set_random_seed(0)
    unbroken = make_gan(dropout=0.25)  # dropout: its random state must be restored too
    recorder = RecordEpochs()
    unbroken.fit(load_faces(), epochs=epochs, verbose=0, callbacks=[recorder])

    keras.utils.set_random_seed(0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        make_gan(dropout=0.25).fit(load_faces(), epochs=epochs, verbose=0, callbacks=[
            keras.callbacks.BackupAndRestore(backup_dir), CrashAt(epoch=2, batch=1)])

    keras.utils.set_random_seed(0)  # a new process: same seed, fresh networks and a fresh dataset
    resumed = make_gan(dropout=0.25)
    start = StateAtStart()
    history = resumed.fit(load_faces(), epochs=epochs, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(backup_dir), start])

    assert history.epoch == [2, 3], "restarts at the interrupted epoch, the third"
    assert int(start.state["d_optimizer"][0]) == int(start.state["g_optimizer"][0]) == 2 * 4
    assert_same(start.state, recorder.states[1])  # exactly the state after epoch 2 of 4
    assert_same(snapshot(resumed), snapshot(unbroken))


# Save and load

def test_trained_generator_round_trips_through_keras_file(tmp_path, faces_dataset):
    keras.utils.set_random_seed(0)
    gan = make_gan()
    gan.fit(faces_dataset, epochs=1, verbose=0)
    noise = np.random.default_rng(0).standard_normal((8, LATENT_DIM)).astype(np.float32)
    gan.generator.save(tmp_path / "generator.keras")
    utils.save_run(tmp_path, "run", {"epochs": 1}, generator=gan.generator)
    for path in (tmp_path / "generator.keras", tmp_path / "models" / "run_generator.keras"):
        restored = keras.models.load_model(path)
        # predict runs a compiled graph, generate an eager call: the same weights through other kernels
        # (fused on some CPUs), so equal within float32 rounding; a wrong weight is off by far more.
        np.testing.assert_allclose(restored.predict(noise, verbose=0), gan.generate(noise=noise),
                                   rtol=0, atol=1e-5)


def test_gan_weights_file_round_trips_optimizers_and_random_state(tmp_path, faces_dataset):
    keras.utils.set_random_seed(0)
    trained = make_gan(dropout=0.25)
    trained.fit(faces_dataset, epochs=1, verbose=0)
    trained.save_weights(tmp_path / "gan.weights.h5")
    fresh = make_gan(dropout=0.25)
    fresh.load_weights(tmp_path / "gan.weights.h5")
    assert_same(snapshot(fresh), snapshot(trained))


# Determinism

def test_same_seed_gives_identical_losses_and_samples():
    def run():
        utils.seed_everything(0)
        gan = make_gan(dropout=0.25)
        dataset = data.load("faces2x2", batch_size=16, seed=0)  # shuffled, from the seed
        history = gan.fit(dataset, epochs=2, verbose=0).history
        return history, gan.generate(8)

    (history_1, samples_1), (history_2, samples_2) = run(), run()
    assert history_1 == history_2
    np.testing.assert_array_equal(samples_1, samples_2)
    assert len(set(history_1["g_loss"])) == 2, "the losses moved, so the test compares something"


# Bad input: a ValueError saying what was expected and what came, before any training step

class Began(keras.callbacks.Callback):
    began = False

    def on_train_begin(self, logs=None):
        self.began = True


FACES = data.make_faces2x2(8)
BAD_INPUTS = {
    "pixels_0_to_255": (FACES * 127.5 + 127.5, r"Expected images scaled to \[-1, 1\].*got values in \[\d"),
    "uint8": ((FACES * 127.5 + 127.5).astype(np.uint8), r"Expected float images.*got dtype uint8"),
    "missing_channel_axis": (FACES[..., 0], r"rank 4 \(batch, 2, 2, 1\), got shape \(8, 2, 2\)"),
    "wrong_image_size": (np.zeros((8, 3, 3, 1), np.float32), r"\(3, 3, 1\).*expects \(2, 2, 1\)"),
    "empty_array": (np.zeros((0, 2, 2, 1), np.float32), r"Expected training images, got none"),
    "empty_dataset": (tf.data.Dataset.from_tensor_slices(FACES).batch(4).take(0),
                      r"dataset is empty: expected at least one batch"),
    "nan_pixel": (np.where(np.arange(FACES.size).reshape(FACES.shape) == 5, np.nan, FACES).astype(np.float32),
                  "Expected finite images, got 1 NaN"),
    "pixels_0_to_255_in_dataset": (tf.data.Dataset.from_tensor_slices(FACES * 255.0).batch(4),
                                   r"Expected images scaled to \[-1, 1\]"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_data_fails_before_training(name):
    images, message = BAD_INPUTS[name]
    gan, began = make_gan(), Began()
    with pytest.raises(ValueError, match=message):
        gan.fit(images, epochs=1, verbose=0, callbacks=[began])
    assert not began.began and int(gan.d_optimizer.iterations) == 0


@pytest.mark.parametrize("argument", ["latent_dim", "d_steps"])
@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_sizes_are_refused(argument, bad):
    networks = (build_mlp_generator(LATENT_DIM, IMAGE_SHAPE), build_mlp_discriminator(IMAGE_SHAPE))
    settings = {"latent_dim": LATENT_DIM, argument: bad}
    with pytest.raises(ValueError, match=rf"{argument} must be an integer >= 1, got {bad!r}"):
        GAN(*networks, **settings)


def test_conditional_gan_without_labels_fails_before_training():
    from ganlib import conditional_gan

    generator = conditional_gan.build_mlp_generator(LATENT_DIM, 3, IMAGE_SHAPE, hidden_units=(8,))
    discriminator = conditional_gan.build_mlp_discriminator(IMAGE_SHAPE, 3, hidden_units=(8,))
    cgan = conditional_gan.ConditionalGAN(generator, discriminator, LATENT_DIM, num_classes=3)
    cgan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(ValueError, match="needs labels"):
        cgan.fit(tf.data.Dataset.from_tensor_slices(FACES).batch(4), epochs=1, verbose=0)
    assert int(cgan.d_optimizer.iterations) == 0


# Several devices and machines: tests/distributed_step.py in subprocesses (devices and strategies
# must be set before TensorFlow starts).

def run_step_script(*args, env=None, timeout=600):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "distributed_step.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=ROOT)


def json_output(process, timeout=600):
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_models_two_replica_step_equals_a_single_device_step():
    numbers = json_output(run_step_script("mirrored"))
    assert sorted(numbers) == ["conditional", "gan", "lapgan_level", "modern", "srgan"]
    for kind, result in numbers.items():
        assert result["replicas"] == 2 and result["same_start"], kind
        assert result["largest_update"] > 1e-3, f"{kind}: the step moved the weights"
        assert result["largest_difference"] < 1e-5, kind
        assert result["loss_difference"] < 1e-5, kind


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gan", "srgan"])
def test_a_two_worker_step_equals_a_single_device_step(kind):
    single = run_step_script("single", kind)
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = [run_step_script("worker", kind, env={"TF_CONFIG": json.dumps(
        {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})}) for index in range(2)]
    reference = json_output(single)
    results = [json_output(process) for process in processes]
    assert [r["replicas"] for r in results] == [2, 2]
    for result in results:
        assert all(np.array_equal(a, b) for a, b in zip(result["before"], reference["before"])), "same start"
        largest = max(float(np.abs(np.subtract(a, b)).max()) for a, b in zip(result["after"], reference["after"]))
        assert largest < 1e-5, f"worker {result['task']['index']} differs from one device by {largest}"
    moved = max(float(np.abs(np.subtract(a, b)).max()) for a, b in zip(reference["after"], reference["before"]))
    assert moved > 1e-3, "the step moved the weights"
