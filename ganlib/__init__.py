"""ganlib: the small library behind the GAN course notebooks."""

from ganlib import data, losses, utils
from ganlib.gan import GAN, build_mlp_discriminator, build_mlp_generator

__all__ = ["GAN", "build_mlp_discriminator", "build_mlp_generator", "data", "losses", "utils"]
__version__ = "0.1.0"
