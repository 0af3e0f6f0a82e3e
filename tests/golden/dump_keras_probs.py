"""Dump raw per-position probabilities of the five original Keras SpliceAI models (recipe step).

Runs ONLY in the throwaway TensorFlow venv (README.md beside this file). Two real windows of
hg38 chr16:186964-397118 (10,000 + 101 nt, one centred on an exon boundary of each strand's gene,
the minus-strand one reverse-complemented as SpliceAI does) go through each model; the 101 output
positions x 3 classes per model are saved to keras_probs.npz with the windows' coordinates.

usage: python dump_keras_probs.py FASTA OUT.npz
"""

import sys

import numpy as np
from keras.models import load_model
from importlib.resources import files

# (centre position, strand) — boundaries of NM_006849 (+) and NM_003502 (-) in the fragment.
WINDOWS = [(97424, "+"), (102477, "-")]
HALF = 5050


def one_hot(seq):
    table = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = np.zeros((len(seq), 4), dtype=np.float32)
    for i, b in enumerate(seq.upper()):
        if b in table:
            out[i, table[b]] = 1
    return out


def main(fasta, out):
    with open(fasta) as handle:
        handle.readline()
        seq = "".join(line.strip() for line in handle)
    models = [load_model(str(files("spliceai") / "models" / f"spliceai{i}.h5"), compile=False)
              for i in range(1, 6)]
    xs, probs = [], []
    for centre, strand in WINDOWS:
        x = one_hot(seq[centre - HALF - 1:centre + HALF])[None]
        if strand == "-":
            x = x[:, ::-1, ::-1].copy()
        xs.append(x[0])
        probs.append(np.stack([m.predict(x, verbose=0)[0] for m in models]))
    np.savez_compressed(out, centres=np.array([c for c, _ in WINDOWS]),
                        strands=np.array([s for _, s in WINDOWS]), probs=np.stack(probs))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
