"""Learning-rate schedules as one pure function of the step: resuming needs no scheduler state.

``multistep`` defaults to SpliceAI's recipe (Jaganathan et al. 2019: constant for the first 6 of
10 epochs, then halved every epoch), expressed as milestones at 60 %, 70 %, 80 % and 90 % of the
epochs; ``cosine`` is SGDR (Loshchilov & Hutter 2017) with restarts every ``restart_epochs``;
``exponential`` multiplies by ``gamma`` per epoch, continuously. An optional linear warm-up
precedes any of them.
"""

import math

KINDS = ("multistep", "cosine", "exponential", "constant")


def learning_rate(step: int, *, base_lr: float, steps_per_epoch: int, epochs: int,
                  kind: str = "multistep", gamma: float = 0.5, milestones=None,
                  restart_epochs: int = 2, min_lr: float = 0.0, warmup_steps: int = 0) -> float:
    """The learning rate for optimizer step ``step`` (0-based)."""
    if kind not in KINDS:
        raise ValueError(f"schedule must be one of {', '.join(KINDS)}, got {kind!r}")
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    epoch = step / max(1, steps_per_epoch)  # fractional epochs done
    if kind == "constant":
        return base_lr
    if kind == "multistep":
        if milestones is None:
            milestones = [round(epochs * f) for f in (0.6, 0.7, 0.8, 0.9)]
        passed = sum(1 for m in milestones if int(epoch) >= m)
        return base_lr * gamma ** passed
    if kind == "exponential":
        return base_lr * gamma ** epoch
    period = max(1, restart_epochs) * max(1, steps_per_epoch)
    t = (step - warmup_steps) % period / period
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * t))
