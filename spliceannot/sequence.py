"""DNA strings to one-hot arrays: A, C, G, T on channels 0-3; N (and any other letter) all zeros."""

import numpy as np

_LUT = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_EYE = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])


def one_hot_codes(codes: np.ndarray) -> np.ndarray:
    """Base codes 0-3 = ACGT, 4 = N (the training data's storage), any shape -> (..., 4) float32."""
    return _EYE[codes]


def one_hot(seq: str) -> np.ndarray:
    """(len(seq), 4) float32. Reference letters other than ACGT (N, IUPAC) encode as N: unlike
    SpliceAI 1.3.1's ``ord % 5`` table, an ambiguity code is never aliased to a base."""
    return _EYE[_LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]]


def reverse_complement_onehot(x: np.ndarray) -> np.ndarray:
    """Reverse along length and swap A<->T, C<->G (channel order ACGT reversed). x: (..., L, 4)."""
    return x[..., ::-1, ::-1]
