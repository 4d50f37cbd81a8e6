"""Notebook 02, your turn: both losses from logits, in NumPy, stable for logits of any size."""

import numpy as np


def discriminator_loss(real_logits, fake_logits):
    # -log sigmoid(a) = log(1 + e^-a) = logaddexp(0, -a); -log(1 - sigmoid(a)) = logaddexp(0, a)
    return np.mean(np.logaddexp(0.0, -real_logits)) + np.mean(np.logaddexp(0.0, fake_logits))


def generator_loss(fake_logits):
    return np.mean(np.logaddexp(0.0, -fake_logits))
