"""ganlib.exercises: every check passes the worked solution and gives a specific hint otherwise."""

import re

import keras
import numpy as np
import pytest

import ganlib
from ganlib import exercises


def lines(capsys):
    return capsys.readouterr().out.splitlines()


CHECKS = [("01_intuition", ["discriminator_gradients"], exercises.check_discriminator_gradients, ()),
          ("02_loss_math", ["discriminator_loss"], exercises.check_loss, ("discriminator",)),
          ("02_loss_math", ["generator_loss"], exercises.check_loss, ("generator",)),
          ("03_vanilla_gan", ["MyGAN"], exercises.check_train_step, ()),
          ("04_dcgan", ["transposed_size"], exercises.check_transposed_size, ()),
          ("05_conditional_gan", ["join_noise_and_label"], exercises.check_label_conditioning, ()),
          ("06_srgan", ["psnr_on_y"], exercises.check_psnr_y, ()),
          ("07_lapgan", ["build", "reconstruct"], exercises.check_pyramid, ()),
          ("08_modern_gan", ["r1"], exercises.check_zero_centred_penalty, ())]


@pytest.mark.parametrize("notebook, names, check, extra", CHECKS, ids=[c[0] + ":" + c[1][0] for c in CHECKS])
def test_each_solution_passes_and_each_stub_gets_a_hint(notebook, names, check, extra, capsys):
    solutions = [exercises.solution(notebook, name) for name in names]
    assert check(*solutions, *extra) is True
    stubs = [lambda *arguments: None for _ in names]
    if notebook == "03_vanilla_gan":
        class Stub(ganlib.GAN):
            def train_step(self, data):
                return None
        stubs = [Stub]
    assert check(*stubs, *extra) is False
    passed, not_yet = lines(capsys)
    assert passed.endswith(": passed") and passed.startswith("check ")
    assert ": not yet - " in not_yet and len(not_yet.split(" - ", 1)[1]) > 15


def test_a_failing_function_is_reported_not_raised(capsys):
    def broken(real, fake, weights, bias):
        return 1 / 0

    assert exercises.check_discriminator_gradients(broken) is False
    assert lines(capsys) == ["check discriminator gradients: not yet - it raised ZeroDivisionError: division by zero"]


@pytest.mark.parametrize("mistake, hint", [
    (lambda real, fake: np.mean(np.logaddexp(0.0, -real)), "the fake logits' term is missing"),
    (lambda real, fake: np.mean(np.log(1 / (1 + np.exp(-real)))) * -1 + np.mean(np.log(1 - 1 / (1 + np.exp(-fake)))) * -1,
     "a logit of 50 gives inf or nan"),
    (lambda real, fake: -(np.mean(np.logaddexp(0.0, -real)) + np.mean(np.logaddexp(0.0, fake))), "the sign is flipped"),
])
def test_common_loss_mistakes_get_their_own_hint(mistake, hint, capsys):
    with np.errstate(all="ignore"):
        assert exercises.check_loss(mistake, "discriminator") is False
    assert hint in lines(capsys)[0]


def test_a_discriminator_step_that_uses_the_generator_loss_is_told(capsys):
    import tensorflow as tf

    class WrongLoss(ganlib.GAN):
        def train_step(self, real_images):
            fake = self.generator(self.sample_noise(16), training=True)
            with tf.GradientTape() as tape:
                d_loss = self.g_loss_fn(self.discriminator(fake, training=True))  # the generator's loss
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, self.discriminator.trainable_weights),
                                                 self.discriminator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": d_loss}

    assert exercises.check_train_step(WrongLoss) is False
    assert "the discriminator's update differs" in lines(capsys)[0]


def test_the_train_step_check_leaves_the_notebooks_random_state_to_its_seed(capsys):
    # Networks built after the check must still start from the notebook's own seed: the check
    # once called keras.utils.set_random_seed(7), and every seed of notebook 03 then built its
    # ring networks alike.
    draws = {}
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        assert exercises.check_train_step(ganlib.GAN) is True
        draws[seed] = (float(keras.random.normal(())), float(np.random.rand()))
    assert draws[1][0] != draws[2][0] and draws[1][1] != draws[2][1]
    capsys.readouterr()


def test_a_missing_solution_says_where_solutions_live():
    with pytest.raises(AttributeError, match="has no solution named 'nothing'"):
        exercises.solution("01_intuition", "nothing")


def worked_exercises():
    """(notebook, name) of every exercise_<K> function in solutions/."""
    found = []
    for path in sorted(exercises.SOLUTIONS.glob("[0-9][0-9]_*.py")):
        found += [(path.stem, name) for name in re.findall(r"(?m)^def (exercise_\d+)\(", path.read_text())]
    return found


def test_every_notebooks_exercises_have_worked_solutions():
    notebooks = {notebook for notebook, _ in worked_exercises()}
    assert notebooks == {path.stem for path in exercises.SOLUTIONS.glob("[0-9][0-9]_*.py")}


@pytest.mark.slow
@pytest.mark.parametrize("notebook, name", worked_exercises(), ids=lambda value: value)
def test_each_worked_exercise_runs_and_reports_its_numbers(notebook, name, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # some write figures or models under build/
    keras.utils.set_random_seed(0)
    numbers = exercises.solution(notebook, name)(quick=True)
    assert isinstance(numbers, dict) and numbers, "a worked solution returns the numbers it measured"
    assert capsys.readouterr().out.strip(), "and prints them"


@pytest.mark.parametrize("path", sorted(exercises.SOLUTIONS.parent.glob("notebooks/[0-9][0-9]_*.ipynb")),
                         ids=lambda path: path.stem)
def test_every_exercise_says_what_to_expect_and_names_a_solution_that_exists(path):
    import nbformat

    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    answers = [source for source in cells if source.startswith("**Expected:**")]
    assert answers, "the exercises' answers: **Expected:** ..., **Hint:** ..., Worked solution: ..."
    defined = {name for notebook, name in worked_exercises() if notebook == path.stem}
    for answer in answers:
        assert "**Hint:**" in answer, answer[:80]
        named = re.findall(rf"Worked solution: `solutions/{path.stem}\.py`, `(exercise_\d+)`", answer)
        assert named and set(named) <= defined, (answer[-160:], sorted(defined))


def test_the_zero_centred_penalty_check(capsys):
    import tensorflow as tf

    def r1(discriminator, images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            total = tf.reduce_sum(discriminator(images, training=True))
        gradients = tape.gradient(total, images)
        return tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))

    def wgan_gp_form(discriminator, images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            total = tf.reduce_sum(discriminator(images, training=True))
        norms = tf.norm(tf.reshape(tape.gradient(total, images), (images.shape[0], -1)), axis=1)
        return tf.reduce_mean(tf.square(norms - 1.0))

    assert exercises.check_zero_centred_penalty(r1) is True
    assert exercises.check_zero_centred_penalty(wgan_gp_form) is False
    assert exercises.check_zero_centred_penalty(lambda discriminator, images: None) is False
    passed, gp_hint, stub_hint = lines(capsys)
    assert passed == "check zero-centred penalty: passed"
    assert "WGAN-GP's (||grad|| - 1)^2" in gp_hint
    assert "replace `return None`" in stub_hint


def test_a_sum_taken_outside_the_tape_gets_its_own_hint(capsys):
    import tensorflow as tf

    def outside(discriminator, images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            logits = discriminator(images, training=True)
        gradients = tape.gradient(tf.reduce_sum(logits), images)  # the sum was not recorded: None
        return tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))

    assert exercises.check_zero_centred_penalty(outside) is False
    assert "compute D's output (and its sum) inside the `with` block" in lines(capsys)[0]
