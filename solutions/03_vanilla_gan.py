"""Notebook 03, your turn: Algorithm 1 as a train_step."""

import tensorflow as tf
from keras import ops

import ganlib


class MyGAN(ganlib.GAN):
    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        for _ in range(self.d_steps):  # k discriminator steps
            fake_images = self.generator(self.sample_noise(batch_size), training=True)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(real_images, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                d_loss = self.d_loss_fn(real_logits, fake_logits)
            weights = self.discriminator.trainable_weights
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        with tf.GradientTape() as tape:  # one generator step, on fresh noise
            fake_logits = self.discriminator(self.generator(self.sample_noise(batch_size), training=True),
                                             training=True)
            g_loss = self.g_loss_fn(fake_logits)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        return {"d_loss": d_loss, "g_loss": g_loss}
