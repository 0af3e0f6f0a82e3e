"""Cheap stand-in model backends for pipeline tests that need scores, not SpliceAI's numbers."""

import numpy as np

from spliceannot.models import Model


class BaseCountModel(Model):
    """Deterministic, model-free probabilities from the local base composition (any context)."""

    name = "base-count-test"
    description = "test backend: probabilities from neighbouring bases"
    context = 10000
    calls = 0

    def predict(self, x):
        type(self).calls += 1
        half = self.context // 2
        core = x[:, half:x.shape[1] - half, :]  # (B, L - context, 4)
        # Acceptor likes A then G, donor likes G then T: an AG/GT caricature, enough to move.
        nxt = np.roll(core, -1, axis=1)
        acc = 0.9 * core[..., 0] * nxt[..., 2]
        don = 0.8 * core[..., 2] * nxt[..., 3]
        return np.stack([1 - acc - don, acc, don], axis=-1).astype(np.float32)


class ExplodingModel(Model):
    """A backend that must never run: proves that a result came from elsewhere."""

    name = "exploding-test"
    description = "test backend that raises when asked to predict"
    context = 10000

    def predict(self, x):
        raise AssertionError("the model ran")


def add_models(*models):
    """Put model instances into the live registry; returns a function that takes them out."""
    from spliceannot import registry

    items = registry.models().items
    for m in models:
        items[m.name] = m
    return lambda: [items.pop(m.name, None) for m in models]
