"""The exercises, one module per area; importing this package registers them all."""

from dlproof.practice.catalog import activations_mlp, layers, models, optimizers, recurrent, softmax_losses  # noqa: F401
