"""Per-position acceptor/donor probabilities of a region, equal to the REF tracks the scoring path computes.

What a position's probability is made of (the *masking*), stated once because equality with
``score`` rests on it:

* With a gene annotation, each transcript is predicted on its own strand over the positions of
  ``[tx_start, tx_end]``, with every base outside ``[tx_start, tx_end]`` read as N and bases past a
  contig end as N. That is exactly the REF window the scoring path builds for a variant inside the
  transcript (``delta.plan``: transcript-masked, ``--pad-ends`` for contig ends), so the value at
  a position equals the REF probability ``score`` computes there for that transcript, bit for bit
  (the model's kernels are position-invariant: :mod:`spliceannot.engine.inference`). The per-transcript
  values are what :func:`~spliceannot.tracks.prediction.predict_chunks` yields and the TSV writes; a track (bigWig, bedGraph, BED)
  has one value per position and strand, the maximum over the transcripts of that strand that
  cover it (they differ only where overlapping transcripts end at different places).
* Without an annotation (or ``-A both-strands``) both strands are predicted everywhere and only
  bases past a contig end are N: the REF of ``score -A both-strands --pad-ends``.

Long stretches are cut into tiles of ``tile`` output positions, each read with ``context / 2``
bases either side, so tiles overlap by exactly the context and every output position is computed
once. Regions are processed in chunks along the genome, so memory is bounded on a whole
chromosome and writers receive positions in order.

This module holds the contract (``Run``, ``Chunk``, the ``TrackWriter`` plugin contract and its
naming rule); the stages live beside it: ``regions`` (what to cover), ``prediction`` (the model
calls), ``outputs`` (the ``predict`` command's run into the registered writers) and ``accuracy``
(top-k against annotated sites). The built-in writers are a plugin
(``default_plugins/track_writers.py``).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

CHUNK = 100_000  # positions per chunk: bounds memory; writers get one chunk at a time


@dataclass
class Run:
    """Output positions [start, end] (1-based, inclusive) of one strand under one masking."""

    contig: str  # as the FASTA spells it
    strand: str
    start: int
    end: int
    keep: tuple  # (lo, hi): bases kept, 1-based inclusive; the rest read as N
    gene: str = "."  # transcript label ('.' without annotation)


@dataclass
class Chunk:
    """The predictions of one stretch [start, end] of a contig, handed to the writers."""

    contig: str
    start: int
    end: int
    runs: list  # (Run, (n, C) float32 per class, in genomic order)
    classes: tuple = ("acceptor", "donor")  # the model's track classes (Model.track_classes)

    def track(self, strand: str) -> np.ndarray:
        """(end - start + 1, C) maximum over the strand's runs; NaN where none covers."""
        out = np.full((self.end - self.start + 1, len(self.classes)), np.nan, dtype=np.float32)
        for run, probs in self.runs:
            if run.strand == strand:
                sl = slice(run.start - self.start, run.end - self.start + 1)
                out[sl] = np.fmax(out[sl], probs)
        return out


CLASSES = ("acceptor", "donor")
STRAND_NAMES = {"+": "plus", "-": "minus"}

# The one naming rule of predict's outputs, shown by `predict --help` (cli/predict.py says it too).
NAMING_RULE = ("a format that holds one track per file (.bw, .bedgraph) is written as one file "
               "per class and strand, named by inserting .CLASS_STRAND before the suffix: "
               "-o s.bw writes s.acceptor_plus.bw, s.acceptor_minus.bw, s.donor_plus.bw, "
               "s.donor_minus.bw; formats whose rows carry class and strand (.bed, .bed.gz, "
               ".tsv, .tsv.gz) write one file, under the name given.")


class TrackWriter(ABC):
    """A plugin contract: one ``predict`` output, chosen by the ``-o`` name's suffix.

    ``one_track`` declares a format that holds a single track per file: the host then names its
    files by :data:`NAMING_RULE` (:meth:`files`), the same for every such writer."""

    name: str = ""
    description: str = ""
    suffixes: tuple = ()  # file-name endings that select it; the longest match wins
    one_track: bool = False  # one file per class and strand (OUT.acceptor_plus.bw, ...)

    def __init__(self, path: str, contigs: list, strands: tuple, threshold: float,
                 classes: tuple = CLASSES):
        """``path``: the ``-o`` name; ``contigs``: [(name, length)] in processing order;
        ``strands``: the strands predicted; ``threshold``: the --threshold for site lists;
        ``classes``: the model's track classes (acceptor and donor, or Pangolin's tissues)."""
        self.path, self.contigs, self.strands, self.threshold = path, contigs, strands, threshold
        self.classes = tuple(classes)

    @abstractmethod
    def write(self, chunk: Chunk) -> None:
        """Write one :class:`Chunk`; chunks arrive in genome order."""

    def close(self) -> None:
        """Finish every file; called once, also after a failure (then the files are removed)."""

    @classmethod
    def track_paths(cls, path: str, strands, classes=CLASSES) -> dict:
        """(class, strand) -> file of ``-o path`` under the naming rule (one-track formats)."""
        lower = path.lower()
        suffix = max((s for s in cls.suffixes if lower.endswith(s)), key=len)
        stem = path[:len(path) - len(suffix)]
        return {(c, s): f"{stem}.{c}_{STRAND_NAMES[s]}{path[len(stem):]}"
                for c in classes for s in strands}

    @classmethod
    def files(cls, path: str, strands, classes=CLASSES) -> list:
        """Every file written for ``-o path`` (indexes too), by the naming rule."""
        return list(cls.track_paths(path, strands, classes).values()) if cls.one_track \
            else [path]
