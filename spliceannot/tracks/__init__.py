"""Per-position acceptor/donor probabilities of a region, equal to the REF tracks the scoring path computes.

What a position's probability is made of (the *masking*), stated once because equality with
``score`` rests on it:

* With a gene annotation, each transcript is predicted on its own strand over the positions of
  ``[tx_start, tx_end]``, with every base outside ``[tx_start, tx_end]`` read as N and bases past a
  contig end as N. That is exactly the REF window the scoring path builds for a variant inside the
  transcript (``delta.plan``: transcript-masked, ``--pad-ends`` for contig ends), so the value at
  a position equals the REF probability ``score`` computes there for that transcript, bit for bit
  (the model's kernels are position-invariant: :mod:`spliceannot.engine.inference`). The per-transcript
  values are what :func:`predict_runs` yields and the TSV writes; a track (bigWig, bedGraph, BED)
  has one value per position and strand, the maximum over the transcripts of that strand that
  cover it (they differ only where overlapping transcripts end at different places).
* Without an annotation (or ``-A both-strands``) both strands are predicted everywhere and only
  bases past a contig end are N: the REF of ``score -A both-strands --pad-ends``.

Long stretches are cut into tiles of ``tile`` output positions, each read with ``context / 2``
bases either side, so tiles overlap by exactly the context and every output position is computed
once. Regions are processed in chunks along the genome, so memory is bounded on a whole
chromosome and writers receive positions in order.
"""

import re
from dataclasses import dataclass

import numpy as np

from ..io.contig import ContigMap
from ..errors import OutputError, UsageError
from ..sequence import one_hot, reverse_complement_onehot

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
    runs: list  # (Run, (n, 2) float32 acceptor/donor in genomic order)

    def track(self, strand: str) -> np.ndarray:
        """(end - start + 1, 2) maximum over the strand's runs; NaN where none covers."""
        out = np.full((self.end - self.start + 1, 2), np.nan, dtype=np.float32)
        for run, probs in self.runs:
            if run.strand == strand:
                sl = slice(run.start - self.start, run.end - self.start + 1)
                out[sl] = np.fmax(out[sl], probs)
        return out


def parse_region(text: str, reference):
    """chr:start-end (1-based inclusive, commas allowed) or a bare contig -> (contig, start, end)."""
    m = re.fullmatch(r"(.+?)(?::([\d,]+)-([\d,]+))?", text.strip())
    contig = reference.resolve(m.group(1)) if m else None
    if contig is None:
        raise UsageError(f"region {text!r}: contig not in the FASTA (expected CHROM:START-END)")
    length = reference.length(contig)
    if m.group(2) is None:
        return contig, 1, length
    start, end = m.group(2).replace(",", ""), m.group(3).replace(",", "")
    if not start or not end:  # commas only, such as "chr16:,-,"
        raise UsageError(f"region {text!r}: START and END must be numbers (CHROM:START-END)")
    start, end = int(start), int(end)
    if not 1 <= start <= end:
        raise UsageError(f"region {text!r}: need 1 <= START <= END")
    if start > length:
        raise UsageError(f"region {text!r}: starts past the end of {contig} ({length} bp)")
    return contig, start, min(end, length)


def read_bed_regions(path: str, reference) -> list:
    """0-based half-open BED intervals -> (contig, start, end) 1-based inclusive."""
    regions = []
    try:
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise UsageError(f"--regions {path}, line {lineno}: not UTF-8 text (a BED "
                                     f"file is plain text)") from None
                _bed_line(path, lineno, line, reference, regions)
    except OSError as exc:
        raise UsageError(f"--regions {path}: cannot read it ({exc.strerror or exc})") from None
    return regions


def _bed_line(path, lineno, line, reference, regions):
    """One BED line into ``regions`` (1-based inclusive), checked against the FASTA."""
    if not line.strip() or line.startswith(("#", "track", "browser")):
        return
    fields = line.split("\t")
    try:
        chrom, start, end = fields[0], int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        raise UsageError(f"--regions {path}, line {lineno}: expected CHROM START END") from None
    contig = reference.resolve(chrom)
    if contig is None:
        raise UsageError(f"--regions {path}, line {lineno}: contig {chrom} not in the FASTA")
    if start < 0 or end <= start:
        raise UsageError(f"--regions {path}, line {lineno}: need 0 <= START < END")
    if start >= reference.length(contig):
        raise UsageError(f"--regions {path}, line {lineno}: starts past the end of "
                         f"{contig} ({reference.length(contig)} bp)")
    regions.append((contig, start + 1, min(end, reference.length(contig))))


def merge_regions(regions, reference) -> list:
    """Sorted by FASTA contig order and start, overlapping or touching ones merged."""
    order = {name: i for i, name in enumerate(reference.lengths)}
    out = []
    for contig, start, end in sorted(regions, key=lambda r: (order[r[0]], r[1], r[2])):
        if out and out[-1][0] == contig and start <= out[-1][2] + 1:
            out[-1] = (contig, out[-1][1], max(out[-1][2], end))
        else:
            out.append((contig, start, end))
    return out


def gene_regions(names, genes, reference) -> tuple:
    """Regions and the set of genes for ``--gene`` names (symbol or transcript ID)."""
    chosen = [g for g in genes.genes if g.name in names or (g.transcript and g.transcript in names)]
    missing = set(names) - {g.name for g in chosen} - {g.transcript for g in chosen}
    if missing:
        raise UsageError(f"--gene {sorted(missing)[0]}: not in the annotation")
    regions = []
    for g in chosen:
        contig = reference.resolve(g.chrom)
        if contig is None:
            raise UsageError(f"--gene {g.name}: contig {g.chrom} not in the FASTA")
        if g.tx_start > reference.length(contig):
            raise UsageError(f"--gene {g.name}: starts past the end of {contig} "
                             f"({reference.length(contig)} bp)")
        regions.append((contig, g.tx_start, min(g.tx_end, reference.length(contig))))
    return regions, {id(g) for g in chosen}


def genes_by_contig(genes, reference) -> dict:
    """FASTA contig -> its transcripts, in table order (None: no annotation)."""
    if genes is None:
        return None
    out = {}
    for g in genes.genes:
        contig = reference.resolve(g.chrom)
        if contig is not None:
            out.setdefault(contig, []).append(g)
    return out


def runs_for(contig, start, end, by_contig, length, only=None) -> list:
    """The runs covering [start, end]: one per overlapping transcript, or both strands unmasked."""
    if by_contig is None:
        return [Run(contig, s, start, end, (1, length)) for s in "+-"]
    runs = []
    for g in by_contig.get(contig, ()):
        if (only is None or id(g) in only) and g.tx_start <= end and g.tx_end >= start:
            label = f"{g.name}/{g.transcript}" if g.transcript and g.transcript != g.name else g.name
            runs.append(Run(contig, g.strand, max(start, g.tx_start), min(end, g.tx_end),
                            (g.tx_start, g.tx_end), label))
    return runs


def window(reference, run: Run, first: int, last: int, half: int) -> np.ndarray:
    """One-hot input for output positions [first, last] of a run, oriented along its strand."""
    length = reference.length(run.contig)
    a, b = first - half, last + half  # 1-based inclusive input span
    lo, hi = max(a, run.keep[0], 1), min(b, run.keep[1], length)
    x = np.zeros((b - a + 1, 4), dtype=np.float32)
    if lo <= hi:
        x[lo - a:hi - a + 1] = one_hot(reference.fetch(run.contig, lo - 1, hi))
    return reverse_complement_onehot(x) if run.strand == "-" else x


def run_probs(run: Run, reference, model, tile: int, batch: int) -> np.ndarray:
    """(n, 2) acceptor and donor probabilities of a run's positions, in genomic order."""
    half = model.context // 2
    spans = [(s, min(s + tile - 1, run.end)) for s in range(run.start, run.end + 1, tile)]
    out = np.empty((run.end - run.start + 1, 2), dtype=np.float32)
    groups = {}
    for span in spans:  # equal-length tiles run together
        groups.setdefault(span[1] - span[0], []).append(span)
    for group in groups.values():
        for i in range(0, len(group), batch):
            part = group[i:i + batch]
            x = np.stack([np.ascontiguousarray(window(reference, run, s, e, half)) for s, e in part])
            y = np.asarray(model.predict(x))
            for (s, e), yi in zip(part, y):
                if run.strand == "-":
                    yi = yi[::-1]
                out[s - run.start:e - run.start + 1] = yi[:, 1:3]
    return out


def predict_chunks(regions, reference, model, genes=None, only=None, tile: int = 20000,
                   batch: int = 4, progress=None):
    """Yield a :class:`Chunk` per <= CHUNK positions of each region, in region order."""
    if tile < 1 or batch < 1:
        raise UsageError("--tile and --batch-size must be >= 1")
    by_contig = genes_by_contig(genes, reference)
    for contig, start, end in regions:
        length = reference.length(contig)
        for c0 in range(start, end + 1, CHUNK):
            c1 = min(c0 + CHUNK - 1, end)
            runs = runs_for(contig, c0, c1, by_contig, length, only)
            chunk = Chunk(contig, c0, c1, [(r, run_probs(r, reference, model, tile, batch))
                                           for r in runs])
            if progress is not None:
                progress(c1 - c0 + 1)
            yield chunk


def top_k_accuracy(chunks, genes) -> dict:
    """The SpliceAI paper's top-k accuracy per class over the annotated transcripts: with k the
    number of annotated sites (exon starts but the first, ends but the last, swapped on '-'),
    the fraction of them among the k highest-scoring positions of the transcripts' strands."""
    from ..delta import splice_sites

    scores = {1: {}, 2: {}}  # class -> (contig, strand, pos) -> probability
    for chunk in chunks:
        for run, probs in chunk.runs:
            for cls in (1, 2):
                for i, p in enumerate(probs[:, cls - 1]):
                    key = (run.contig, run.strand, run.start + i)
                    scores[cls][key] = max(scores[cls].get(key, 0.0), float(p))
    result = {}
    for cls, label in ((1, "acceptor"), (2, "donor")):
        truth = set()
        names = ContigMap(sorted({key[0] for key in scores[cls]}))
        for g in genes.genes:
            contig = names.resolve(g.chrom)
            truth |= {(contig, g.strand, int(s)) for s in splice_sites(g, 0)[cls - 1]}
        truth &= set(scores[cls])
        k = len(truth)
        top = sorted(scores[cls], key=lambda key: -scores[cls][key])[:k]
        result[label] = {"k": k, "top_k": (len(truth & set(top)) / k) if k else float("nan")}
    return result


def predict_to_files(reference_path: str, outputs, model_name: str = "spliceai",
                     annotation_spec: str = None, region: str = None, regions_bed: str = None,
                     gene_names=(), transcripts: str = None, threshold: float = 0.5,
                     tile: int = 20000, batch: int = 4, progress: bool = None) -> dict:
    """``spliceannot predict``: check everything, then stream chunks into every output.

    Returns counts for the closing summary. Outputs are removed again if the run fails."""
    from .. import registry
    from ..progress import Progress
    from ..io.reference import Reference
    from ..io.output import check_writable_path
    from .output import kind_of, open_writers, remove_outputs

    outputs = list(outputs)
    if not outputs:
        raise UsageError("no output: give -o FILE (.bw, .bedgraph, .bed, .bed.gz or .tsv)")
    for path in outputs:
        kind_of(path)
        check_writable_path(path, "-o")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--threshold must be within [0, 1], got {threshold}")
    if bool(region) + bool(regions_bed) + bool(gene_names) > 1:
        raise UsageError("give one of REGION, --regions and --gene")
    reference = Reference(reference_path)
    genes = None
    if annotation_spec:
        genes = registry.load_annotation(annotation_spec, transcripts=transcripts)
        if not genes.has_splice_sites:  # e.g. -A both-strands: no transcripts, both strands
            genes = None
        else:
            from ..genes.assembly import check_assembly

            check_assembly(reference, genes)  # -A grch38 with a FASTA of another assembly
    elif transcripts:
        raise UsageError("--transcripts needs a GTF/GFF3 annotation (-A)")
    only = None
    if gene_names:
        if genes is None:
            raise UsageError("--gene needs an annotation (-A)")
        regions, only = gene_regions(gene_names, genes, reference)
    elif region:
        regions = [parse_region(region, reference)]
    elif regions_bed:
        regions = read_bed_regions(regions_bed, reference)
    else:
        regions = [(c, 1, n) for c, n in reference.lengths.items()]
    regions = merge_regions(regions, reference)
    model = registry.model(model_name)
    contigs = list(dict.fromkeys((c, reference.length(c)) for c, _, _ in regions))
    strands = ("+", "-")
    try:
        writers = open_writers(outputs, contigs, strands, threshold)
    except OSError as exc:
        remove_outputs(outputs, strands)
        raise OutputError(f"-o: cannot write {exc.filename or ''}: "
                          f"{exc.strerror or exc}") from None
    counts = {"positions": 0, "regions": len(regions)}
    try:
        with Progress("predicting", enabled=progress, unit="positions") as bar:
            import time

            started = time.perf_counter()

            def advance(n):
                counts["positions"] += n
                bar.advance(n, counts["positions"], time.perf_counter() - started)

            for chunk in predict_chunks(regions, reference, model, genes, only, tile, batch,
                                        advance):
                for w in writers:
                    w.write(chunk)
    except BaseException:
        for w in writers:
            try:
                w.close()
            except Exception:
                pass
        remove_outputs(outputs, strands)
        raise
    for w in writers:
        w.close()
    reference.close()
    return counts
