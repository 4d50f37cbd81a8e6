"""ganlib: the small library behind the GAN course notebooks."""

from ganlib import (
    callbacks,
    checks,
    data,
    dcgan,
    exercises,
    lapgan,
    losses,
    metrics,
    photos,
    r3gan,
    srgan,
    theory,
    utils,
    widgets,
)
from ganlib.conditional_gan import ConditionalGAN
from ganlib.gan import GAN, build_mlp_discriminator, build_mlp_generator
from ganlib.srgan import SRGAN

__all__ = ["GAN", "ConditionalGAN", "SRGAN", "build_mlp_discriminator", "build_mlp_generator",
           "callbacks", "checks", "data", "dcgan", "exercises", "lapgan", "losses", "metrics", "photos",
           "r3gan", "srgan", "theory", "utils", "widgets"]
__version__ = "0.1.0"
