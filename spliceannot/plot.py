"""One variant's REF and ALT splice-site tracks across +-D, as data and as a PNG/SVG figure.

``variant_tracks`` runs the model exactly as the ``delta`` scorer does and keeps what the score
is made of: both tracks in genomic order on REF coordinates, the gene's exon boundaries in view,
and the four DS/DP with the genomic position each DP points at. ``draw`` turns that into a figure
(matplotlib, imported only here).
"""

from dataclasses import dataclass, field

import numpy as np

from .semantics import spliceai
from .errors import UsageError

KINDS = ("AG", "AL", "DG", "DL")


@dataclass
class PlotData:
    variant: object  # variant.Variant
    alt: str
    gene: str
    strand: str
    positions: np.ndarray  # (cov,) genomic positions, POS - D .. POS + D
    ref: np.ndarray  # (cov, 3) REF probabilities (neither, acceptor, donor)
    alt_track: np.ndarray  # (cov, 3) ALT probabilities on REF coordinates
    score: object  # semantics.spliceai.DeltaScore
    boundaries: list = field(default_factory=list)  # exon starts/ends inside the window
    marks: dict = field(default_factory=dict)  # "AG" -> genomic position of DP_AG, ...


def variant_tracks(variant, reference, genes, model, settings, gene_name=None) -> list:
    """PlotData for each (ALT, gene) the variant is scored for (optionally one gene only)."""
    p = spliceai.plan(variant, reference, genes, model.context, settings)
    if p.reason is not None:
        raise UsageError(f"{variant.label()}: not scored: {p.reason}")
    tasks = [t for t in p.tasks() if gene_name in (None, t.gene.name, t.gene.transcript)]
    if not tasks:
        raise UsageError(f"{variant.label()}: no scorable ALT x gene"
                         + (f" for gene {gene_name}" if gene_name else ""))
    out = []
    for task in tasks:
        y_ref = model.predict(task.x_ref[None])[0]
        y_alt = model.predict(task.x_alt[None])[0]
        out.append(plot_data(variant, task, y_ref, y_alt, settings))
    return out


def tracks_of(variant, result, gene_name=None, scorer="") -> list:
    """PlotData for each entry of a scored ``result`` that kept its tracks (``keep_tracks``),
    optionally of one gene or transcript only: what the run's scorer computed, drawn as is."""
    if result.reason is not None:
        raise UsageError(f"{variant.label()}: not scored: {result.detail or result.reason}")
    kept = [e for e in result.entries if getattr(e, "tracks", None) is not None]
    if result.entries and not kept:
        raise UsageError(f"the {scorer} scorer keeps no REF/ALT tracks to draw")
    chosen = [e for e in kept if gene_name in (None, "", e.gene, e.transcript,
                                                e.tracks.gene.name)]
    if not chosen:
        raise UsageError(f"{variant.label()}: " + (f"transcript {str(gene_name)[:40]!r}: not "
                         f"scored for this variant" if gene_name else "no scorable ALT x gene"))
    out = []
    for e in chosen:
        t = e.tracks
        positions = np.arange(len(t.ref)) - t.centre + t.pos
        bounds = sorted(b for b in set(t.gene.exon_starts) | set(t.gene.exon_ends)
                        if positions[0] <= b <= positions[-1])
        out.append(PlotData(variant, e.alt, e.gene, t.gene.strand, positions,
                            np.asarray(t.ref, dtype=np.float64),
                            np.asarray(t.alt, dtype=np.float64), e, bounds,
                            {k: variant.pos + d for k, d in zip(KINDS, e.dp)}))
    return out


def plot_data(variant, task, y_ref, y_alt, settings, score=None) -> PlotData:
    """PlotData of one task from its model tracks (strand orientation, as the scorers get them)."""
    cov = settings.cov
    score = score or spliceai.finish(task, y_ref, y_alt, settings)
    # The same orientation and alignment finish() applies, kept for drawing.
    y_ref, y_alt = spliceai.genomic_tracks(task, y_ref, y_alt, settings)
    shift = task.shift
    positions = np.arange(cov) - cov // 2 + variant.pos + shift
    lo, hi = positions[0], positions[-1]
    bounds = sorted(b for b in set(task.gene.exon_starts) | set(task.gene.exon_ends)
                    if lo <= b <= hi)
    marks = {k: variant.pos + d for k, d in zip(KINDS, score.dp)}
    return PlotData(variant, task.alt, score.gene, task.gene.strand, positions,
                    np.asarray(y_ref, dtype=np.float64), np.asarray(y_alt, dtype=np.float64),
                    score, bounds, marks)


def draw(data: PlotData, path, fmt: str = None) -> str:
    """Write the figure to a path or binary file; the format follows the suffix (.png, .svg,
    .pdf) unless ``fmt`` names it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    v = data.variant
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for ax, cls, label in ((axes[0], 1, "acceptor"), (axes[1], 2, "donor")):
        ax.plot(data.positions, data.ref[:, cls], color="0.4", lw=1.2, label="REF")
        ax.plot(data.positions, data.alt_track[:, cls], color="tab:red", lw=1.2, label="ALT")
        for b in data.boundaries:
            ax.axvline(b, color="tab:blue", ls=":", lw=1)
        ax.axvline(v.pos, color="k", lw=0.8, alpha=0.5)
        for kind in KINDS:
            if (kind[0] == "A") == (cls == 1):
                i = KINDS.index(kind)
                x = data.marks[kind]
                y = max(data.ref[x - data.positions[0], cls], data.alt_track[x - data.positions[0], cls])
                ax.annotate(f"{kind} {data.score.ds[i]:.2f} @ {data.score.dp[i]:+d}", (x, y),
                            xytext=(0, 8), textcoords="offset points", ha="center", fontsize=8,
                            arrowprops={"arrowstyle": "-", "lw": 0.6})
        ax.set_ylim(0, 1.15)
        ax.set_ylabel(f"P({label})")
        ax.legend(loc="upper right", fontsize=8)
    axes[1].set_xlabel(f"{v.chrom} position (dotted: {data.gene} exon boundaries)")
    fig.suptitle(f"{v.chrom}:{v.pos} {v.ref}>{data.alt}  {data.gene} ({data.strand})  "
                 f"{data.score.format()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format=fmt)
    plt.close(fig)
    return path


def plot_variant(variant, reference, genes, model, settings, out_path, gene_name=None) -> PlotData:
    """Draw the first (ALT, gene) of a variant into ``out_path``; returns what was drawn."""
    data = variant_tracks(variant, reference, genes, model, settings, gene_name)[0]
    draw(data, out_path)
    return data
