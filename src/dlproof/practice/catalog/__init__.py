"""The exercises, one module per area; importing this package registers them all."""

from dlproof.practice.catalog import softmax_losses  # noqa: F401
