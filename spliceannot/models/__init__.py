"""The model-backend contract and the ensemble of SpliceNets most backends are.

A backend maps one-hot DNA windows to per-position (neither, acceptor, donor) probabilities,
trimming ``context / 2`` positions at each end. Scorers talk to nothing else.
"""

from abc import ABC, abstractmethod

import numpy as np


def check_finite(state: dict, path) -> None:
    """Refuse weights holding NaN or infinity (a damaged file, a diverged training run): such a
    network answers NaN for every window, which would leave every record unscored."""
    for key, value in state.items():
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        value = np.asarray(value)
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            from ..errors import ModelFileError

            bad = int(np.size(value) - np.isfinite(value).sum())
            raise ModelFileError(f"{path}: the weights hold NaN or infinite values ({bad} in "
                                 f"{key}); the file is damaged or its training diverged")


class Model(ABC):
    """A plugin contract. Subclasses set ``name``, ``description`` and ``context``."""

    name: str = ""
    description: str = ""
    context: int = 10000  # total flanking sequence the network consumes (both sides)
    # True for backends whose networks the fast engine can take apart (``networks()`` returns
    # SpliceNets); others run window by window on ``predict``.
    runs_on_engine: bool = False
    # The scorer this model's outputs need (a registered name), where SpliceAI's delta scores do
    # not apply (Pangolin's usage tracks): the run then uses it whatever --scorer says.
    scorer: str = None
    # What ``predict`` writes per position and strand: one track per class, named here (the
    # writers name files and columns by them) and taken from the outputs by ``track_values``.
    track_classes: tuple = ("acceptor", "donor")

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: (B, L, 4) float32 one-hot -> (B, L - context, 3) float32 probabilities."""

    def track_values(self, y: np.ndarray) -> np.ndarray:
        """One window's outputs (n, C) -> (n, len(track_classes)) float32 for ``predict``:
        SpliceAI's acceptor and donor columns by default."""
        return y[:, 1:3]

    def claims(self, path: str) -> bool:
        """Whether this backend opens the model stored at ``path`` (``--model PATH``)."""
        return False

    def open(self, path: str) -> "Model":
        """The model stored at ``path``; called only where ``claims(path)`` is true."""
        raise NotImplementedError(f"{self.name} opens no paths")

    def weight_files(self) -> list:
        """The files this model's outputs come from (weights, and anything else that changes
        them, such as stored calibration), in member order; [] when it has none to show. The
        header's ``model_hash`` is their SHA-256s, kept by file stat, so it is known without
        loading the weights (:func:`spliceannot.lookup.provenance.model_digest`)."""
        return []

    def info(self) -> dict:
        """What `spliceannot models` shows and the VCF header records."""
        return {"name": self.name, "context": self.context, "description": self.description}

    def weights(self) -> str:
        """Whether this backend's weights are on hand, for `spliceannot models`, without loading
        them: "installed", "missing" (a backend may add how to get them), or "from --model
        PATH" for a backend that reads the model a path names (its context is the file's)."""
        if not self.context:
            return "from --model PATH"
        return "missing" if self.info().get("members") == 0 else "installed"

    # What the engine asks of a backend that ``runs_on_engine`` besides its networks.

    def inference_net(self, net, device=None):
        """One member frozen for inference on ``device`` (default: where its weights are); a
        backend whose members end in another head (Pangolin's sigmoid) returns its subclass."""
        from ..engine.inference import InferenceNet

        return InferenceNet(net, device)

    def combine(self, outputs: list):
        """The members' per-window outputs (each (B, n, C), in member order) -> the model's:
        their sum in member order divided by the count, the one expression both the engine and
        ``predict`` use. A backend that keeps its members apart (Pangolin) overrides it."""
        from ..engine.inference import mean_of

        return mean_of(outputs)


class EnsembleModel(Model):
    """Average of the softmax outputs of several SpliceNets, loaded lazily.

    The average is a float32 sum in member order divided by the member count, which is what
    ``np.mean`` over the five Keras outputs computes in 1.3.1; probabilities then match to ~1e-7.
    Optional per-class ``temperatures`` (from calibration) divide the logits before the softmax.
    """

    runs_on_engine = True

    def __init__(self):
        self._nets = None
        self._inference = None
        self.temperatures = None
        self.device = "cpu"

    @abstractmethod
    def load_networks(self) -> list:
        """Return the member SpliceNets (torch modules in eval mode)."""

    def networks(self) -> list:
        if self._nets is None:
            import torch

            self._nets = [net.to(self.device).eval() for net in self.load_networks()]
            for net in self._nets:
                for p in net.parameters():
                    p.requires_grad_(False)
            self._torch = torch
        return self._nets

    def inference_nets(self) -> list:
        """The members frozen for inference (:mod:`spliceannot.engine.inference`), built once."""
        if getattr(self, "_inference", None) is None:  # subclasses may skip __init__
            self._inference = [self.inference_net(net) for net in self.networks()]
        return self._inference

    def predict(self, x: np.ndarray) -> np.ndarray:
        from ..engine.inference import predict_windows

        nets = self.inference_nets()
        torch = self._torch
        if str(self.device).startswith("cuda"):  # cuDNN defaults to TF32 convolutions: not fp32
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        with torch.inference_mode():
            xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
            return predict_windows(nets, xt, self.temperatures,
                                   self.combine).float().cpu().numpy()
