"""A SpliceAI-layout network written out with functional ops on a foreign state dict, for tests.

A backend that reads another tool's weights (OpenSpliceAI's, Pangolin's) maps that tool's key
names onto :class:`~spliceannot.models.network.SpliceNet`. Its tests check the mapping against
an independent statement of the published network: this one, which reads the tool's own keys
through a ``key(role, i)`` function (the one place a test states the tool's layout) and never
builds a SpliceNet. The same function turns a SpliceNet's state dict into the tool's layout
(:func:`to_layout`), so a test can make random weights in the tool's format.
"""

# The roles a layout names: the stem conv and its skip conv, the four layers of residual unit i,
# the skip conv after unit i, and the output head.
ROLES = ("stem", "stem_skip", "bn1", "conv1", "bn2", "conv2", "skip", "head")
SPLICEAI_10K = [(11, 1)] * 4 + [(11, 4)] * 4 + [(21, 10)] * 4 + [(41, 25)] * 4


def forward(state: dict, x, key, units: int, slope: float = 0.0, head: str = None,
            eps: float = 1e-5):
    """Softmax of the head over ``x`` (B, 4, L): (B, classes, L - context). ``key(role, i)`` is
    the key prefix of a role (``i`` the unit; None for stem, stem_skip, head); ``units`` the
    residual units (the first of SpliceAI-10k's); ``slope`` the leaky ReLU's (0: ReLU); ``head``
    the head's prefix where the state holds several."""
    import torch
    import torch.nn.functional as F

    def conv(h, name, dilation=1):
        w = state[name + ".weight"]
        return F.conv1d(h, w, state[name + ".bias"], dilation=dilation,
                        padding=(w.shape[-1] - 1) * dilation // 2)

    def bn_act(h, name):
        h = F.batch_norm(h, state[name + ".running_mean"], state[name + ".running_var"],
                         state[name + ".weight"], state[name + ".bias"], False, 0.0, eps)
        return F.leaky_relu(h, slope) if slope else torch.relu(h)

    kd = SPLICEAI_10K[:units]
    h = conv(x, key("stem", None))
    skip = conv(h, key("stem_skip", None))
    for i, (_, d) in enumerate(kd):
        y = conv(bn_act(h, key("bn1", i)), key("conv1", i), d)
        h = h + conv(bn_act(y, key("bn2", i)), key("conv2", i), d)
        if (i + 1) % 4 == 0:
            skip = skip + conv(h, key("skip", i))
    crop = sum((k - 1) * d for k, d in kd)
    skip = skip[:, :, crop:skip.shape[-1] - crop]
    return torch.softmax(conv(skip, head or key("head", None)), dim=1)


def to_layout(ours: dict, key) -> dict:
    """A SpliceNet state dict under the key names ``key(role, i)`` gives (see :func:`forward`)."""
    out = {}
    for name, value in ours.items():
        parts = name.split(".")
        if parts[0] == "units":
            role, i, rest = parts[2], int(parts[1]), parts[3:]
        elif parts[0] == "skips":
            role, i, rest = "skip", int(parts[1]), parts[2:]
        else:
            role, i, rest = parts[0], None, parts[1:]
        out[".".join([key(role, i)] + rest)] = value
    return out
