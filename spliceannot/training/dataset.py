"""create-data: FASTA + annotation -> chunked, compressed HDF5 window files per split, streamed.

Layout of each ``<split>.h5`` (``train``, ``val``, ``test``), one row per window:
  ``x``             (N, window + context) uint8   bases as codes 0..3 = ACGT, 4 = N
  ``y``             (N, window) int8              0 neither, 1 acceptor, 2 donor, -1 padding
  ``window_gene``   (N,) int32                    row of the window's gene in ``genes/*``
  ``window_offset`` (N,) int32                    first labelled transcript position of the window
  ``genes/name, transcript, chrom, strand`` (G,) strings; ``genes/tx_start, tx_end`` (G,) int64
Row chunks are gzip-compressed; file attributes hold ``format``, ``context``, ``window``, ``split``,
``species``, the chromosome lists, the transcript policy and the split's stats (JSON).
The FASTA is read one contig at a time (plain or gzip/bgzip), so a genome never sits in memory;
``val`` holds a deterministic ``val_fraction`` of the training chromosomes' genes (by name hash),
used for early stopping and calibration.
"""

import json
import pathlib
import zlib

import numpy as np

from .. import __version__
from ..io.contig import ContigMap
from ..errors import InputError, UsageError
from ..io.files import open_text
from ..sequence import one_hot_codes
from . import labels as L
from .transcripts import load_genes

FORMAT = "spliceannot-windows"
SPLITS = ("train", "val", "test")
# SpliceAI's held-out chromosomes (Jaganathan et al. 2019): 1, 3, 5, 7, 9; the rest train.
DEFAULT_TEST = ("1", "3", "5", "7", "9")
ORGANELLES = {"m", "mt", "c", "pt", "chloroplast", "mitochondrion"}


def _norm(chrom: str) -> str:
    c = str(chrom).lower()
    return c[3:] if c.startswith("chr") else c


def iter_fasta(path):
    """Yield (name, sequence) one contig at a time from a plain, gzip or bgzip FASTA."""
    p = pathlib.Path(path)
    if not p.exists():
        raise InputError(f"reference FASTA {path}: no such file")
    with open_text(p) as handle:
        name, parts = None, []
        for line in handle:
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(parts)
                name, parts = line[1:].split()[0], []
            else:
                parts.append(line.strip())
        if name is not None:
            yield name, "".join(parts)


def assign_split(chrom, gene_name, test, train, val_fraction) -> str:
    c = _norm(chrom)
    if c in test:
        return "test"
    if train is not None and c not in train:
        return None
    if train is None and c in ORGANELLES:
        return None
    if zlib.crc32(gene_name.encode()) % 10000 < val_fraction * 10000:
        return "val"
    return "train"


class _SplitWriter:
    def __init__(self, path, split, context, window, attrs):
        import h5py

        self.f = h5py.File(path, "w")
        width = window + context
        self.x = self.f.create_dataset("x", (0, width), maxshape=(None, width), dtype="uint8",
                                       chunks=(1, width), compression="gzip", compression_opts=4)
        self.y = self.f.create_dataset("y", (0, window), maxshape=(None, window), dtype="int8",
                                       chunks=(1, window), compression="gzip", compression_opts=4)
        self.wg = self.f.create_dataset("window_gene", (0,), maxshape=(None,), dtype="int32",
                                        chunks=(4096,))
        self.wo = self.f.create_dataset("window_offset", (0,), maxshape=(None,), dtype="int32",
                                        chunks=(4096,))
        self.f.attrs.update(attrs)
        self.f.attrs["split"] = split
        self.genes = []
        self.stats = {"genes": 0, "windows": 0, "positions": 0, "acceptors": 0, "donors": 0}

    def add(self, gene, x, y):
        n, g = self.x.shape[0], len(self.genes)
        k = x.shape[0]
        for ds, rows in ((self.x, x), (self.y, y)):
            ds.resize(n + k, axis=0)
            ds[n:n + k] = rows
        self.wg.resize(n + k, axis=0)
        self.wg[n:n + k] = g
        self.wo.resize(n + k, axis=0)
        self.wo[n:n + k] = np.arange(k, dtype=np.int32) * y.shape[1]
        self.genes.append(gene)
        s = self.stats
        s["genes"] += 1
        s["windows"] += k
        s["positions"] += int((y >= 0).sum())
        s["acceptors"] += int((y == L.ACCEPTOR).sum())
        s["donors"] += int((y == L.DONOR).sum())

    def close(self):
        import h5py

        str_t = h5py.string_dtype()
        grp = self.f.create_group("genes")
        for key in ("name", "transcript", "chrom", "strand"):
            grp.create_dataset(key, data=np.array([getattr(g, key) for g in self.genes],
                                                  dtype=object), dtype=str_t)
        for key in ("tx_start", "tx_end"):
            grp.create_dataset(key, data=np.array([getattr(g, key) for g in self.genes],
                                                  dtype=np.int64))
        self.f.attrs["stats"] = json.dumps(self.stats)
        self.f.close()


def create_data(reference, annotation, out_dir, context=10000, window=5000, test_chroms=None,
                train_chroms=None, val_fraction=0.1, coding_only=True, species=None, splits=SPLITS, progress=None) -> dict:
    """Write ``out_dir/{train,val,test}.h5`` and ``stats.json``; returns the stats per split.

    ``test_chroms``/``train_chroms`` are chromosome names ('chr' prefix ignored); by default test
    is SpliceAI's 1,3,5,7,9 and train every other nuclear chromosome. ``splits`` may name fewer
    files (``("test",)`` with ``test_chroms="all"`` makes one evaluation file of every gene).
    ``progress(advance_genes)`` is called as genes are written.
    """
    if context % 2 or context < 0:
        raise UsageError(f"context must be even and >= 0, got {context}")
    if window < 1:
        raise UsageError(f"window must be >= 1, got {window}")
    if not 0 <= val_fraction < 1:
        raise UsageError(f"val fraction must be in [0, 1), got {val_fraction}")
    genes = load_genes(annotation, coding_only=coding_only)
    if not genes:
        raise InputError(f"annotation {annotation}: no {'protein-coding ' if coding_only else ''}"
                         f"transcripts with exons")
    all_test = test_chroms == "all"
    test = {_norm(c) for c in (test_chroms or DEFAULT_TEST)} if not all_test else None
    train = None if train_chroms is None else {_norm(c) for c in train_chroms}
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    attrs = {"format": FORMAT, "format_version": 1, "spliceannot_version": __version__,
             "context": context, "window": window, "species": species or "",
             "reference": str(reference), "annotation": str(annotation),
             "test_chroms": json.dumps(sorted(test) if test else "all"),
             "train_chroms": json.dumps(sorted(train) if train else "default"),
             "val_fraction": val_fraction, "coding_only": int(coding_only),
             "policy": "MANE Select, else Ensembl canonical, else longest CDS, else longest spliced"}
    writers = {s: _SplitWriter(out / f"{s}.h5", s, context, window, attrs) for s in splits}
    by_chrom = {}
    for g in genes:
        by_chrom.setdefault(g.chrom, []).append(g)
    names = ContigMap(dict.fromkeys(by_chrom))
    seen = set()
    skipped = {"no_split": 0}
    try:
        for contig, seq in iter_fasta(reference):
            key = names.resolve(contig)
            if key is None or key in seen:
                continue
            seen.add(key)
            for g in by_chrom[key]:
                split = "test" if all_test else assign_split(contig, g.name, test, train,
                                                             val_fraction)
                if split is None or split not in writers:
                    skipped["no_split"] += 1
                else:
                    if g.tx_end > len(seq):
                        raise InputError(f"gene {g.name} ends at {g.tx_end}, past {contig} "
                                         f"({len(seq)} bp) in {reference}")
                    writers[split].add(g, *L.gene_windows(g, seq, window, context))
                if progress:
                    progress(1)
            del seq
    finally:
        for w in writers.values():
            w.close()
    missing = sorted(set(by_chrom) - seen)
    skipped["contig_not_in_fasta"] = sum(len(by_chrom[c]) for c in missing)
    stats = {s: w.stats for s, w in writers.items()}
    report = {"splits": stats, "skipped_genes": skipped, "missing_contigs": missing,
              "context": context, "window": window, "species": species,
              "genes_in_annotation": len(genes)}
    (out / "stats.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


class WindowData:
    """Read-side of a split file: random batches of windows, never the whole file at once."""

    def __init__(self, path):
        import h5py

        self.path = str(path)
        try:
            self.f = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(f"dataset {path}: cannot open ({exc})") from None
        if self.f.attrs.get("format") != FORMAT:
            raise InputError(f"dataset {path}: not a {FORMAT} file (run 'spliceannot train "
                             f"create-data')")
        self.context = int(self.f.attrs["context"])
        self.window = int(self.f.attrs["window"])
        self.stats = json.loads(self.f.attrs.get("stats", "{}"))
        self.species = self.f.attrs.get("species") or None

    def __len__(self):
        return self.f["x"].shape[0]

    def read(self, indices, context=None):
        """(x codes (B, window + context), y (B, window)) for window ``indices``, in that order.

        ``context`` smaller than the file's crops the flanks symmetrically (as SpliceAI trains
        its 80/400/2000 models from 10k-context files).
        """
        idx = np.asarray(indices, dtype=np.int64)
        order = np.argsort(idx, kind="stable")
        x = np.empty((len(idx), self.f["x"].shape[1]), dtype=np.uint8)
        y = np.empty((len(idx), self.window), dtype=np.int8)
        for j in order:  # row-by-row reads touch only the needed chunks
            x[j] = self.f["x"][idx[j]]
            y[j] = self.f["y"][idx[j]]
        if context is not None and context != self.context:
            if context > self.context or (self.context - context) % 2:
                raise UsageError(f"model context {context} does not fit dataset context "
                                 f"{self.context} in {self.path}")
            cut = (self.context - context) // 2
            x = x[:, cut:x.shape[1] - cut]
        return x, y

    def close(self):
        self.f.close()


def one_hot(codes: np.ndarray) -> np.ndarray:
    """uint8 codes (B, L) -> float32 (B, 4, L); N is all zeros."""
    return np.ascontiguousarray(one_hot_codes(codes).transpose(0, 2, 1))


def crop_to_labels(x: np.ndarray, y: np.ndarray, context: int):
    """Drop the batch's trailing all-padding positions (and their input flank): windows past a
    transcript's 3' end are mostly padding, and a labelled output depends only on the
    ``context`` bases around it, so the labelled outputs are unchanged and the work shrinks."""
    labelled = np.nonzero((y >= 0).any(0))[0]
    n = int(labelled[-1]) + 1 if len(labelled) else 1
    return x[:, :n + context], y[:, :n]
