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
