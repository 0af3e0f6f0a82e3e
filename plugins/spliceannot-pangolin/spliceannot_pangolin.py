"""spliceannot backend for Pangolin (Zeng & Li, Genome Biology 2022), scored as Pangolin 1.0.2's CLI.

``spliceannot score IN.vcf -R FA -A GTF --model DIR -D d -M 1`` writes the ``INFO/Pangolin``
that ``pangolin IN.vcf FA DB OUT -d d -m True`` writes (DB made from GTF by Pangolin's
``create_db.py``); ``-M 0`` is ``-m False``. DIR holds Pangolin's default weights,
``final.{1,2,3}.{0,2,4,6}.3.v2`` (GPL-3.0, not bundled: github.com/tkzeng/Pangolin,
``pangolin/models/``); ``--model pangolin`` reads them from ``$SPLICEANNOT_PANGOLIN_DIR``.

The network is SpliceAI-10k's (32 channels, the same widths and dilations, PyTorch's batch-norm
eps 1e-5) with eight heads; scoring reads one per weight file: file ``final.k.{2t}.3.v2`` gives
tissue t (heart, liver, brain, testis) through channel ``3 t + 1`` of the concatenated outputs,
which is class 1 of the 2-class softmax head ``conv_last{2t + 1}`` (the splice-site
probability; the sigmoid usage heads sit at channels 2, 5, 8, 11 and are not read by the CLI).
Each file is one :class:`~spliceannot.models.network.SpliceNet` with that head, so the engine
runs the 12 of them (shared REF tracks, ALT cones) and keeps their outputs apart
(:meth:`PangolinModel.combine`).

What Pangolin 1.0.2 does, as this plugin does it (read from its ``pangolin.py``):

* Only ALT[0] is scored (Pangolin reads ``variant.ALT[0]``); the other ALTs of a multi-allelic
  record are reported as skipped ALTs (a warning each, a TSV row each), never scored. Split
  multi-allelic records (``bcftools norm -m-``) to score every ALT.
* Skips, in Pangolin's order: a REF or ALT without any A/C/G/T, or REF and ALT both longer than
  one base and of different lengths ("format"); REF longer than 2d ("deletion too large"); a
  window ``[POS - 5001 - d, POS + len(REF) + 4999 + d)`` that leaves the contig (Pangolin's
  pyfastx read fails or is cut short: here always a skip); REF not equal to the FASTA, case
  included (soft-masked bases mismatch an upper-case REF); no gene body holding POS.
* Genes: the ``gene`` features with start < POS <= end (gffutils' region query on POS - 1,
  then Pangolin's own test), in file order, keyed by ``gene_id``; their annotated sites are the
  starts and ends of the exons of their ``Ensembl_canonical``-tagged transcripts (what
  ``create_db.py`` keeps). A gene without such exons is still scored (with -M 1:
  ``Warnings:NoAnnotatedSitesToMaskForThisGene`` and every loss clipped to >= 0).
* Per strand holding a gene, REF and ALT windows are scored by all 12 networks; ALT - REF per
  network (deletion: zeros after the anchor, float64 as numpy builds them; insertion: the anchor
  takes the maximum over itself and the inserted bases) is averaged over the 3 networks of a
  tissue; per position "gain" is the largest tissue change, "loss" the smallest. -M 1 masks in
  place, gene after gene on the same strand's arrays, as Pangolin does.
* Text: ``gene|g:gain|l:loss|Warnings:`` per gene, ``,`` between genes, positions relative to
  POS, values through Python's ``round(x, 2)`` of numpy scalars (so ``-0.0`` can appear).

Pangolin's own options (``-s/--score_cutoff``, ``--score_exons``) are declared through the
``register_options`` hook as ``--score-cutoff`` and ``--score-exons``: they show in ``score
--help``, go into the output header when set, and a run with another scorer refuses them.
"""

import os
import pathlib
from dataclasses import dataclass, field, replace

import numpy as np

from spliceannot import delta
from spliceannot.errors import InputError, ModelFileError, UsageError
from spliceannot.genes import Gene
from spliceannot.hookspecs import hookimpl
from spliceannot.io.contig import ContigMap
from spliceannot.io.variant import Variant
from spliceannot.models import EnsembleModel, check_finite
from spliceannot.options import Option
from spliceannot.scorer import Output, Scorer, run_per_window
from spliceannot.sequence import one_hot, reverse_complement_onehot

DIR_ENV = "SPLICEANNOT_PANGOLIN_DIR"
TISSUES = ("heart", "liver", "brain", "testis")
# Tissue-major, as Pangolin loads them: models[3 t + k - 1] is final.k.{2t}.3.v2.
WEIGHT_FILES = tuple(f"final.{k}.{2 * t}.3.v2" for t in range(4) for k in (1, 2, 3))
SOURCE = "https://github.com/tkzeng/Pangolin (pangolin/models/)"
LICENSE = "GPL-3.0"
BN_EPS = 1e-5  # nn.BatchNorm1d's default, which Pangolin keeps
FILTER_TAG = "Ensembl_canonical"  # create_db.py's default --filter
OUTPUT = Output(
    "Pangolin",
    "Pangolin splice scores. Format: gene|pos:score_change|pos:score_change|warnings,... "
    f"(Pangolin 1.0.2 scoring; weights {LICENSE}, {SOURCE})",
    ("ALLELE", "GENE", "SCORES", "WARNINGS"))

# Why a record passes unscored (summary keys), in Pangolin's order.
FORMAT = "variant format not supported by Pangolin"
TOO_LARGE = "deletion too large (REF longer than 2D)"
NO_SEQUENCE = "window runs past a contig end"
MISMATCH = "REF does not match FASTA (case-sensitive, as Pangolin)"
FIRST_ALT_ONLY = "Pangolin scores the first ALT only"
ACGT = set("ACGT")


# ---- Pangolin's own options ----------------------------------------------------------------------

OPTIONS = (
    Option("score_cutoff", type=float, min=0.0, scoring=True, scorers=("pangolin",),
           example=0.2, metavar="CUTOFF",
           help="Pangolin -s: every site with |change| >= CUTOFF instead of the largest gain "
                "and loss"),
    Option("score_exons", False, scoring=True, scorers=("pangolin",), example=True,
           help="Pangolin --score_exons True: both sites of every annotated exon within -D"),
)


def pangolin_options(options) -> tuple:
    """(score_cutoff or None, score_exons) of a run, as declared in :data:`OPTIONS`."""
    return options["score_cutoff"], bool(options["score_exons"])


# ---- the networks --------------------------------------------------------------------------------


def network(context: int = 10000, width: int = 32):
    """A SpliceNet shaped as one Pangolin network read for one tissue (its head is that tissue's
    2-class conv), random weights. Pangolin's are 10,000 nt and 32 wide; smaller presets are the
    same layout cut short (tests use them)."""
    from torch import nn

    from spliceannot.models.network import NetworkConfig, SpliceNet

    config = NetworkConfig.preset(context, width)
    config.bn_eps = BN_EPS
    net = SpliceNet(config)
    net.head = nn.Conv1d(config.width, 2, 1)
    return net.eval()


def _our_keys(state: dict) -> dict:
    """Pangolin's key names -> SpliceNet's: conv1/skip are the stem, resblocks the units, convs[j]
    the skip conv after unit 4j + 3 (the heads are chosen by the caller)."""
    name = {"conv1": "stem", "skip": "stem_skip"}
    out = {}
    for key, value in state.items():
        first, rest = key.split(".", 1)
        if first.startswith("conv_last"):
            continue
        if first == "resblocks":
            out["units." + rest] = value
        elif first == "convs":
            j, tail = rest.split(".", 1)
            out[f"skips.{4 * int(j) + 3}.{tail}"] = value
        else:
            out[f"{name[first]}.{rest}"] = value
    return out


def load_file(path: pathlib.Path):
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: one line, the file named
        raise ModelFileError(f"{path}: not a Pangolin state dict ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: not a Pangolin state dict")
    check_finite(state, path)
    tissue = 2 * (WEIGHT_FILES.index(path.name) // 3) + 1  # final.k.{2t} -> conv_last{2t + 1}
    units = len({k.split(".")[1] for k in state if k.startswith("resblocks.")})
    contexts = {4: 80, 8: 400, 12: 2000, 16: 10000}  # Pangolin's units are SpliceAI-10k's
    if units not in contexts or f"conv_last{tissue}.weight" not in state:
        raise ModelFileError(f"{path}: not a Pangolin network ({units} residual units)")
    net = network(contexts[units], state["conv1.weight"].shape[0])
    ours = _our_keys(state)
    ours["head.weight"] = state[f"conv_last{tissue}.weight"]
    ours["head.bias"] = state[f"conv_last{tissue}.bias"]
    net.load_state_dict(ours)
    return net.eval()


def _inference_class():
    from spliceannot.engine.inference import InferenceNet

    class UsageNet(InferenceNet):
        """A member whose output is class 1 of its 2-class softmax head, (B, n, 1)."""

        def probs(self, skip, temperatures=None):
            import torch

            return torch.softmax(self.head(skip).float().contiguous(), dim=-1)[..., 1:]

    return UsageNet


class PangolinModel(EnsembleModel):
    """Pangolin's 12 default networks, their splice-site tracks kept apart: predict gives
    (B, n, 12), column 3 t + k - 1 from ``final.k.{2t}.3.v2``."""

    context = 10000
    scorer = "pangolin"

    def __init__(self, folder=None, name: str = "pangolin"):
        super().__init__()
        self.name = name
        self._folder = folder
        self.description = (f"Pangolin 1.0.2's 12 default networks ({LICENSE} weights, not "
                            f"bundled: --model DIR or ${DIR_ENV}; from {SOURCE})")

    def folder(self) -> pathlib.Path:
        root = self._folder or os.environ.get(DIR_ENV)
        if not root:
            raise ModelFileError(f"pangolin: give --model DIR or set {DIR_ENV} to the folder "
                                 f"holding final.{{1,2,3}}.{{0,2,4,6}}.3.v2 (not bundled, "
                                 f"{LICENSE}: {SOURCE})")
        return pathlib.Path(root)

    def files(self) -> list:
        folder = self.folder()
        missing = [f for f in WEIGHT_FILES if not (folder / f).is_file()]
        if missing:
            raise ModelFileError(f"pangolin: {folder} lacks {len(missing)} of the 12 weight files "
                                 f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})"
                                 f"; get them from {SOURCE} ({LICENSE}, not bundled)")
        return [folder / f for f in WEIGHT_FILES]

    def load_networks(self):
        nets = [load_file(p) for p in self.files()]
        self.context = nets[0].config.context  # 10,000 for Pangolin's own weights
        return nets

    def inference_net(self, net, device=None):
        return _inference_class()(net, device)

    def combine(self, outputs):
        import torch

        return torch.cat(outputs, dim=-1)  # (B, n, 12): tissues are averaged by the scorer

    def weight_files(self) -> list:  # model_hash: their digests, kept by file stat
        return self.files()

    def claims(self, path) -> bool:
        p = pathlib.Path(path)
        return p.is_dir() and any((p / f).exists() for f in WEIGHT_FILES)

    def open(self, path):
        model = PangolinModel(path)
        model.files()  # incomplete: one line now, not at the first record
        model.networks()  # and the context is the files' own
        return model

    def info(self):
        return dict(super().info(), license=LICENSE, source=SOURCE, tissues=list(TISSUES))


# ---- genes, as Pangolin's gffutils database holds them ------------------------------------------


def _attributes(text: str, gff3: bool) -> dict:
    out = {}
    if gff3:
        for part in text.strip().strip(";").split(";"):
            if "=" in part:
                key, value = part.split("=", 1)
                out.setdefault(key.strip(), []).extend(v for v in value.split(","))
        return out
    for part in text.strip().split(";"):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition(" ")
        out.setdefault(key, []).append(value.strip().strip('"'))
    return out


class PangolinGenes:
    """Gene bodies and annotated sites as Pangolin's database gives them (see the module doc);
    answers ``overlapping`` like a :class:`~spliceannot.genes.GeneTable`, but with Pangolin's
    rule (start < POS <= end), both strands."""

    has_splice_sites = True

    def __init__(self, genes: list, name: str):
        self.name = name
        self.genes = genes  # spliceannot Genes, file order; exons in file order
        self.contigs = ContigMap(dict.fromkeys(g.chrom for g in genes))
        self.by_chrom = {}
        for g in genes:
            self.by_chrom.setdefault(g.chrom, []).append(g)

    @classmethod
    def read(cls, path, tag: str = FILTER_TAG) -> "PangolinGenes":
        """A GTF (GENCODE/Ensembl) or GFF3, plain or gzip; ``tag`` None keeps every exon (as
        ``create_db.py --filter None``)."""
        from spliceannot.genes.gtf import is_gff3
        from spliceannot.io.files import open_text

        gff3 = is_gff3(path)
        genes, order, exons = {}, [], {}
        tx_gene = {}  # GFF3: transcript ID -> gene_id, for transcripts kept by the tag filter
        with open_text(path) as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    continue
                f = line.rstrip("\n").split("\t")
                if len(f) < 9 or f[2] not in ("gene", "transcript", "mRNA", "exon"):
                    continue
                attrs = _attributes(f[8], gff3)
                kept = tag is None or tag in attrs.get("tag", [])
                if f[2] == "gene":
                    gid = (attrs.get("gene_id") or [_strip(attrs.get("ID", [""])[0])])[0]
                    if gid not in genes:
                        order.append(gid)
                    genes[gid] = (f[0], int(f[3]), int(f[4]), f[6])
                elif f[2] != "exon":
                    if gff3 and kept:
                        gene = (attrs.get("gene_id") or [_strip(attrs.get("Parent", [""])[0])])
                        tx_gene[attrs.get("ID", [""])[0]] = gene[0]
                elif gff3:  # Ensembl GFF3: exons name their transcript, tags sit on it
                    gid = next((tx_gene[t] for t in attrs.get("Parent", []) if t in tx_gene), None)
                    if gid is not None:
                        exons.setdefault(gid, []).append((int(f[3]), int(f[4])))
                elif kept:  # GTF: each exon line carries its transcript's tags and gene_id
                    gid = (attrs.get("gene_id") or [""])[0]
                    exons.setdefault(gid, []).append((int(f[3]), int(f[4])))
        if not genes:
            raise InputError(f"annotation {path}: no 'gene' lines; Pangolin needs gene features "
                             f"(a GENCODE/Ensembl GTF)")
        table = []
        for gid in order:
            chrom, start, end, strand = genes[gid]
            ex = exons.get(gid, [])
            table.append(Gene(gid, chrom, strand, start, end, [s for s, _ in ex],
                              [e for _, e in ex]))
        return cls(table, os.path.basename(str(path)))

    def overlapping(self, chrom: str, pos: int) -> list:
        return [g for g in self.by_chrom.get(chrom, ()) if g.tx_start < pos <= g.tx_end]


def _strip(value: str) -> str:
    return value.split(":", 1)[1] if value.startswith(("gene:", "transcript:")) else value


# ---- planning ------------------------------------------------------------------------------------


@dataclass
class Strand:
    strand: str


@dataclass
class Task:
    """One strand's REF and ALT windows for one record, with what the engine reads."""

    gene: Strand  # the engine reads gene.strand
    genes: list  # the Genes on this strand, Pangolin's order
    x_ref: np.ndarray
    x_alt: np.ndarray
    ref_len: int
    alt_len: int
    extra: int  # bases added left of Pangolin's window so REF starts at the window's middle
    ref_key: tuple
    mask_key: tuple
    start: int  # oriented first coordinate (negated on '-')
    pos: int
    alt: str


@dataclass
class Plan:
    variant: Variant
    reason: str = None
    items: list = field(default_factory=list)
    alt_skips: list = field(default_factory=list)

    def tasks(self) -> list:
        return self.items

    def result(self, scores=()) -> delta.Result:
        entries = [e for per_task in scores for e in per_task] if self.reason is None else []
        return delta.Result(self.variant, self.reason, entries, list(self.alt_skips))


def _contig(reference, chrom):
    """Pangolin's renaming: as given, else with 'chr' added, else with its first 3 letters cut."""
    names = reference.lengths
    if chrom not in names and "chr" + chrom in names:
        return "chr" + chrom
    if chrom not in names and chrom[3:] in names:
        return chrom[3:]
    return chrom if chrom in names else None


def plan(variant: Variant, reference, genes: PangolinGenes, d: int, flank: int = 5000) -> Plan:
    """Pangolin's checks, in its order, and one task per strand holding a gene; ``flank`` is
    the model's context / 2 (Pangolin: 5,000)."""
    out = Plan(variant)
    alt = variant.alts[0] if variant.alts else "None"  # PyVCF's str(None) for '.'
    out.alt_skips = [(a, FIRST_ALT_ONLY) for a in variant.alts[1:]]
    ref = variant.ref
    if not ACGT & set(ref) or not ACGT & set(alt) or (len(ref) != 1 and len(alt) != 1
                                                      and len(ref) != len(alt)):
        out.reason = FORMAT
        return out
    if len(ref) > 2 * d:
        out.reason = TOO_LARGE
        return out
    contig = _contig(reference, variant.chrom)
    if contig is None:
        out.reason = delta.NO_CONTIG
        return out
    pos, n = variant.pos, len(ref)
    lo, hi = pos - 1 - flank - d, pos + n + flank - 1 + d  # Pangolin's 0-based window
    if lo < 0 or hi > reference.length(contig):
        out.reason = NO_SEQUENCE
        return out
    extra = n - 1  # REF at the window's middle: what the engine's ALT geometry expects
    seq = reference.fetch(contig, lo - extra, hi)
    if lo - extra < 0:  # only the cropped outputs read these bases
        seq = "N" * (extra - lo) + reference.fetch(contig, 0, hi)
    at = flank + d + extra
    if seq[at:at + n] != ref:
        out.reason = MISMATCH
        return out
    found = genes.overlapping(contig, pos)
    if not found:
        out.reason = delta.NO_GENE
        return out
    x = one_hot(seq)
    x_alt = np.concatenate([x[:at], one_hot(alt), x[at + n:]])
    for strand in ("+", "-"):
        on = _dedupe([g for g in found if g.strand == strand])
        if not on:
            continue
        xr, xa = (x, x_alt) if strand == "+" else (reverse_complement_onehot(x),
                                                    reverse_complement_onehot(x_alt))
        start = lo - extra if strand == "+" else -hi
        out.items.append(Task(Strand(strand), on, xr, xa, n, len(alt), extra,
                              (contig, strand, lo - extra, len(x)), (contig, strand, None, None),
                              start, pos, alt))
    if not out.items:  # genes without a strand: Pangolin files them under neither
        out.reason = delta.NO_GENE
    return out


def _dedupe(genes: list) -> list:
    """Pangolin keys genes by gene_id: a repeated ID keeps its first place, its last exons."""
    kept = {}
    for g in genes:
        kept[g.name] = g if g.name not in kept else replace(
            kept[g.name], exon_starts=g.exon_starts, exon_ends=g.exon_ends)
    return list(kept.values())


# ---- finishing: Pangolin's numbers and text ------------------------------------------------------


@dataclass
class Entry:
    """One gene's Pangolin text: ``gene|item|...|Warnings:...``."""

    alt: str
    gene: str
    items: list  # "pos:score" (and, with --score-exons, the "<gene>_sites2" label)
    warnings: str = ""

    def format(self) -> str:
        return "|".join([self.gene, *self.items, "Warnings:" + self.warnings])

    def columns(self) -> list:
        return [self.alt, self.gene, "|".join(self.items) or ".", self.warnings or "."]

    @property
    def ds(self) -> tuple:
        """The scores as floats (NaN stays NaN): what the pipeline's finite check reads."""
        return tuple(float(i.split(":")[1]) for i in self.items
                     if ":" in i and i.split(":")[1] != "NA")

    def as_dict(self) -> dict:
        scores = []
        for item in self.items:
            if ":" not in item:
                scores.append({"label": item})
                continue
            p, s = item.split(":")
            scores.append({"pos": int(p), "score": None if s == "NA" else float(s) + 0.0})
        return {"allele": self.alt, "gene": self.gene, "scores": scores,
                "warnings": [w for w in [self.warnings] if w]}


def tissue_changes(task: Task, y_ref: np.ndarray, y_alt: np.ndarray, d: int) -> tuple:
    """(loss, gain) per position, from the 12 networks' tracks ((n, 12), strand orientation),
    with numpy's operations and dtypes as Pangolin's ``compute_score`` runs them."""
    if task.gene.strand == "-":
        y_ref, y_alt = y_ref[::-1], y_alt[::-1]
    y_ref, y_alt = y_ref[task.extra:], y_alt[task.extra:]  # the bases added on the left
    l = 2 * d + 1
    tissues = []
    for t in range(4):
        score = []
        for m in range(3 * t, 3 * t + 3):
            ref, alt = y_ref[:, m], y_alt[:, m]
            ndiff = abs(len(ref) - len(alt))
            if len(ref) > len(alt):
                alt = np.concatenate([alt[0:l // 2 + 1], np.zeros(ndiff), alt[l // 2 + 1:]])
            elif len(ref) < len(alt):
                alt = np.concatenate([alt[0:l // 2], np.max(alt[l // 2:l // 2 + ndiff + 1],
                                                            keepdims=True), alt[l // 2 + ndiff + 1:]])
            score.append(alt - ref)
        tissues.append(np.mean(score, axis=0))
    tissues = np.array(tissues)
    cols = np.arange(tissues.shape[1])
    return tissues[np.argmin(tissues, axis=0), cols], tissues[np.argmax(tissues, axis=0), cols]


def gene_entries(task: Task, loss, gain, d: int, mask: bool, cutoff, exons: bool) -> list:
    """Pangolin's per-gene text; masking changes ``loss``/``gain`` in place, gene after gene."""
    out = []
    for gene in task.genes:
        warnings = ""
        bounds = [b for s, e in zip(gene.exon_starts, gene.exon_ends) for b in (s, e)]
        positions = np.array(bounds) - (task.pos - d)
        if mask and len(positions) != 0:
            inside = positions[(positions >= 0) & (positions < len(loss))]
            gain[inside] = np.minimum(gain[inside], 0)
            outside = ~np.isin(np.arange(len(loss)), inside)
            loss[outside] = np.maximum(loss[outside], 0)
        elif mask:
            warnings = "NoAnnotatedSitesToMaskForThisGene"
            loss[:] = np.maximum(loss[:], 0)
        if exons:
            first, second = [], []
            for i in range(len(positions) // 2):
                p1, p2 = positions[2 * i], positions[2 * i + 1]
                s1, s2 = _site(loss, gain, p1), _site(loss, gain, p2)
                if s1 == "NA" and s2 == "NA":
                    continue
                first.append(f"{p1 - d}:{s1}")
                second.append(f"{p2 - d}:{s2}")
            out.append(Entry(task.alt, gene.name + "_sites1",
                             first + [gene.name + "_sites2"] + second, warnings))
        elif cutoff is not None:
            lo, g = np.where(loss <= -cutoff)[0], np.where(gain >= cutoff)[0]
            items = [f"{p}:{round(s, 2)}" for p, s in zip(np.concatenate([g - d, lo - d]),
                                                         np.concatenate([gain[g], loss[lo]]))]
            out.append(Entry(task.alt, gene.name, items, warnings))
        else:
            lo, g = np.argmin(loss), np.argmax(gain)
            out.append(Entry(task.alt, gene.name, [f"{g - d}:{round(gain[g], 2)}",
                                                   f"{lo - d}:{round(loss[lo], 2)}"], warnings))
    return out


def _site(loss, gain, p):
    if p < 0 or p >= len(loss):
        return "NA"
    pair = [loss[p], gain[p]]
    return round(pair[np.argmax(np.abs(pair))], 2)


# ---- the scorer ----------------------------------------------------------------------------------


class PangolinScorer(Scorer):
    """Plans, runs and finishes as Pangolin 1.0.2 does; ``--scorer delta`` runs each window
    alone, any other (the default ``fast``) the engine. Entries are written as INFO/Pangolin."""

    name = "pangolin"
    description = "Pangolin 1.0.2's INFO/Pangolin (gene|pos:gain|pos:loss|Warnings:), for --model DIR of Pangolin weights"
    output = OUTPUT

    def __init__(self):
        self._engines = {}

    def load_annotation(self, spec, transcripts=None):
        if transcripts not in (None, "canonical", "all"):
            raise UsageError(f"--transcripts {transcripts}: Pangolin keeps the exons of "
                             f"'{FILTER_TAG}' transcripts (canonical) or of all (all)")
        if not os.path.isfile(spec):
            raise UsageError(f"annotation {spec}: Pangolin needs a GTF/GFF3 file with gene "
                             f"features (-A PATH)")
        return PangolinGenes.read(spec, None if transcripts == "all" else FILTER_TAG)

    def plan(self, variant, ctx):
        s = ctx.settings
        if s.trim_alleles or s.pad_ends or s.raw or s.per_transcript or s.minimal \
                or s.mask_mode != "nearest":
            raise UsageError("the pangolin scorer takes -D and -M only (not --trim-alleles, "
                             "--pad-ends, --raw, --per-transcript, --mask-mode or --profile)")
        return plan(variant, ctx.reference, ctx.genes, s.distance, ctx.model.context // 2)

    def finish(self, task, y_ref, y_alt, ctx):
        cutoff, exons = pangolin_options(ctx.options)
        d = ctx.settings.distance
        loss, gain = tissue_changes(task, y_ref, y_alt, d)
        return gene_entries(task, loss, gain, d, ctx.settings.mask, cutoff, exons)

    def run(self, tasks, ctx):
        if ctx.options["scorer"] == "delta" or not ctx.model.runs_on_engine:
            return run_per_window(tasks, ctx)
        engine = self.engine(ctx)
        if engine.defers_to_per_window:
            return run_per_window(tasks, ctx)
        # The engine takes windows of one width per call; Pangolin's widen with the REF.
        out = [None] * len(tasks)
        by_width = {}
        for i, t in enumerate(tasks):
            by_width.setdefault(len(t.x_ref), []).append(i)
        for idx in by_width.values():
            for i, pair in zip(idx, engine.predict([tasks[i] for i in idx])):
                out[i] = pair
        return out

    def engine(self, ctx):
        from spliceannot.engine import Engine

        opts = ctx.options
        key = (id(ctx.model), opts["batch_size"], opts["precision"], opts["device"] or "cpu")
        if key not in self._engines:
            self._engines.clear()
            self._engines[key] = Engine(ctx.model, batch_size=key[1], precision=key[2],
                                        device=key[3])
        return self._engines[key]

    def timings(self):
        out = {}
        for engine in self._engines.values():
            out.update(engine.stats)
        return out


@hookimpl
def register_options(register):
    for option in OPTIONS:
        register(option)


@hookimpl
def register_models(register):
    register(PangolinModel())


@hookimpl
def register_scorers(register):
    register(PangolinScorer())
