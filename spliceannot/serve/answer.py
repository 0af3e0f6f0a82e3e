"""SpliceAI-lookup's ``/spliceai/`` JSON, built from a pipeline :class:`~spliceannot.records.Result`.

The layout follows the lookup's public server code and the SpliceAI fork it runs (read, not
copied): per transcript the ``DS_*`` as 3-decimal strings, ``DP_*`` as integers, ``DS_*_REF`` /
``DS_*_ALT``, ``SCORES_FOR_INSERTED_BASES``, the transcript annotation fields (``g_name``,
``g_id``, ``t_id``, ``t_type``, ``t_strand``, ``t_priority``, ``t_refseq_ids``) and its structure
(``EXON_STARTS``, ``EXON_ENDS``, ``CDS_START``, ``CDS_END``); at the top ``allNonZeroScores`` (rows
``pos``, ``ref``, ``alt``, ``RA``, ``AA``, ``RD``, ``AD``) of one transcript, chosen as the lookup
chooses: highest priority (MANE Select > MANE Plus Clinical > canonical > other), ties to the
highest sum of the four |DS| as printed, the first transcript on a tie.

Where the lookup reads its own databases, the fields come from our annotation: ``t_priority`` from
GTF/GFF3 tags (``MANE_Select``, ``MANE_Plus_Clinical``, ``Ensembl_canonical``), ``CDS_*`` from CDS
features, ``t_type`` from ``transcript_type``/``transcript_biotype`` (``protein_coding`` when only
a CDS says so), ``g_id`` from ``gene_id``; ``t_refseq_ids`` is the transcript's own ID where it is
a RefSeq accession (NM_/NR_/XM_/XR_), else null, as the lookup writes for an unmapped transcript.
A table annotation (SpliceAI's format) has no tags or CDS: priority "N", ``CDS_*`` null.
``sai10kPredictions`` (the lookup's SAI-10k consequence calls) is not computed: null.
"""

import numpy as np

from ..io.variant import trim_alleles
from ..records import Result
from ..semantics.spliceai import DeltaScore

FLOAT = "0.3f"
NONZERO = 0.01  # allNonZeroScores: rows where a REF or ALT probability reaches this
INSERTED_CONTEXT = 5  # SCORES_FOR_INSERTED_BASES: bases shown either side of an insertion
PRIORITY = {"MS": 3, "MP": 2, "C": 1, "N": 0}
REFSEQ_PREFIXES = ("NM_", "NR_", "XM_", "XR_")
KINDS = ("AG", "AL", "DG", "DL")


def fmt(x) -> str:
    return f"{float(x):{FLOAT}}"


def priority(gene) -> str:
    tags = set(gene.tags)
    if "mane_select" in tags:
        return "MS"
    if "mane_plus_clinical" in tags:
        return "MP"
    if "ensembl_canonical" in tags or "canonical" in tags:
        return "C"
    return "N"


def transcript_fields(gene) -> dict:
    """The lookup's per-transcript annotation and structure fields, from our annotation."""
    t_id = gene.transcript or gene.name
    return {
        "g_name": gene.name,
        "g_id": gene.gene_id or None,
        "t_id": t_id,
        "t_type": gene.biotype or ("protein_coding" if gene.cds else None),
        "t_strand": gene.strand,
        "t_priority": priority(gene),
        "t_refseq_ids": [t_id] if t_id.startswith(REFSEQ_PREFIXES) else None,
        "EXON_STARTS": sorted(int(s) for s in gene.exon_starts),
        "EXON_ENDS": sorted(int(e) for e in gene.exon_ends),
        "CDS_START": int(gene.cds[0]) if gene.cds else None,
        "CDS_END": int(gene.cds[1]) if gene.cds else None,
    }


def select(entries: list):
    """Index of the transcript whose allNonZeroScores the lookup returns (see module doc)."""
    best, best_priority, best_sum = None, -1, -1.0
    for i, e in enumerate(entries):
        p = PRIORITY.get(e["t_priority"], 0)
        total = sum(abs(float(e[f"DS_{k}"])) for k in KINDS)
        if p > best_priority or (p == best_priority and total > best_sum):
            best, best_priority, best_sum = i, p, total
    return best


class Window:
    """The reference bases of a task's track positions (N past either contig end)."""

    def __init__(self, reference, chrom, first, last):
        contig = reference.resolve(chrom)
        length = reference.length(contig)
        lo, hi = max(first, 1), min(last, length)
        self.contig, self.first = contig, first
        self.seq = ("N" * (lo - first) + (reference.fetch(contig, lo - 1, hi) if lo <= hi else "")
                    + "N" * (last - max(hi, lo - 1)))

    def __getitem__(self, pos) -> str:
        return self.seq[pos - self.first]

    def span(self, start, end) -> str:
        return self.seq[start - self.first:end - self.first]


def entry(score: DeltaScore, variant, reference) -> dict:
    """One transcript's object of ``scores`` (``score.tracks`` must be set)."""
    out = {f"DS_{k}": fmt(ds) for k, ds in zip(KINDS, score.ds)}
    out.update({f"DP_{k}": int(dp) for k, dp in zip(KINDS, score.dp)})
    out.update({f"DS_{k}_REF": fmt(score.raw[2 * i]) for i, k in enumerate(KINDS)})
    out.update({f"DS_{k}_ALT": fmt(score.raw[2 * i + 1]) for i, k in enumerate(KINDS)})
    out["SCORES_FOR_INSERTED_BASES"] = inserted_bases(score, variant, reference)
    out.update(transcript_fields(score.tracks.gene))
    return out


def _alleles(variant):
    ref, alt = variant.ref.upper(), variant.alts[0].upper()
    offset, r_len, trimmed_alt = trim_alleles(ref, alt)
    return ref, alt, offset, ref[offset:offset + r_len], trimmed_alt.upper()


def all_nonzero(score: DeltaScore, variant, reference) -> list:
    """allNonZeroScores of one transcript: every position where a REF or ALT probability reaches
    0.01, each DP position and the variant's own, with the bases REF and ALT have there."""
    t = score.tracks
    ref_track, alt_track = t.ref, t.alt
    n = len(ref_track)
    first = t.pos - t.centre  # genomic position of track index 0
    keep = np.max(np.stack([ref_track[:, 1], alt_track[:, 1], ref_track[:, 2], alt_track[:, 2]]),
                  axis=0) >= NONZERO
    rows = {int(i) for i in np.flatnonzero(keep)}
    rows |= {variant.pos + d - first for d in score.dp}
    rows.add(variant.pos - first)
    ref, alt, offset, t_ref, t_alt = _alleles(variant)
    start = variant.pos + offset  # where the alleles first differ
    bases = Window(reference, variant.chrom, first, first + n - 1)
    out = []
    for i in sorted(r for r in rows if 0 <= r < n):
        pos = first + i
        base = bases[pos].upper()
        if pos == start and len(ref) != len(alt):
            ref_base, alt_base = t_ref, t_alt
        elif start <= pos < start + len(t_ref):
            ref_base = base
            alt_base = t_alt[pos - start] if len(t_ref) == len(t_alt) else "-"
        else:
            ref_base = alt_base = base
        out.append({"pos": pos, "ref": ref_base, "alt": alt_base, "RA": fmt(ref_track[i, 1]),
                    "AA": fmt(alt_track[i, 1]), "RD": fmt(ref_track[i, 2]),
                    "AD": fmt(alt_track[i, 2])})
    return out


def inserted_bases(score: DeltaScore, variant, reference) -> list:
    """SCORES_FOR_INSERTED_BASES: for an insertion whose acceptor or donor gain (>= 0.01) lies at
    its anchor, the REF and ALT probabilities of the anchor's 5 bases, each inserted base (``pos``
    "+1", "+2", ...; REF base " ", REF probabilities 0) and the 5 bases after. As the lookup
    writes them, every ``pos`` is a string and ``chrom`` is the FASTA's name."""
    ref, alt, offset, t_ref, t_alt = _alleles(variant)
    if not (len(t_ref) == 1 and len(t_alt) > 1):
        return []
    (ag, _, dg, _), (dp_ag, _, dp_dg, _) = score.ds, score.dp
    if not ((ag >= 0.01 and dp_ag == offset) or (dg >= 0.01 and dp_dg == offset)):
        return []
    t = score.tracks
    k, c, anchor = len(t_alt) - 1, INSERTED_CONTEXT, t.centre
    start = variant.pos + offset
    y_ref = np.concatenate([t.ref[1 + anchor - c:1 + anchor], np.zeros((k, 3)),
                            t.ref[1 + anchor:1 + anchor + c]])
    y_alt = t.alt_raw[1 + anchor - c:1 + anchor + k + c]
    if y_ref.shape != y_alt.shape:  # a window too short to show the context (D < 5)
        return []
    coords = ([str(p) for p in range(start - c + 1, start + 1)] + [f"+{j}" for j in range(1, k + 1)]
              + [str(p) for p in range(start + 1, start + c + 1)])
    bases = Window(reference, variant.chrom, start - c + 1, start + c)
    before, after = bases.span(start - c + 1, start + 1), bases.span(start + 1, start + c + 1)
    ref_seq = before + " " * k + after
    alt_seq = before + t_alt[1:] + after
    return [{"chrom": bases.contig, "pos": p, "ref": r, "alt": a, "RA": fmt(ra), "RD": fmt(rd),
             "AA": fmt(aa), "AD": fmt(ad)}
            for p, r, a, ra, aa, rd, ad in zip(coords, ref_seq, alt_seq, y_ref[:, 1], y_alt[:, 1],
                                               y_ref[:, 2], y_alt[:, 2])]


def body(result: Result, variant, reference) -> tuple:
    """(scores, allNonZeroScores, allNonZeroScoresStrand, allNonZeroScoresTranscriptId) of a
    scored result."""
    scored = [s for s in result.entries if s.ds is not None and s.tracks is not None]
    entries = [entry(s, variant, reference) for s in scored]
    i = select(entries)
    if i is None:
        return entries, None, None, None
    chosen = scored[i]
    return (entries, all_nonzero(chosen, variant, reference), chosen.tracks.gene.strand,
            entries[i]["t_id"])


def generic(text: str, variant, result: Result, output, family: str, p: dict) -> dict:
    """The answer of a family other than SpliceAI's: the request's variant and parameters, then
    ``scores``, one object per entry from its fields (:meth:`spliceannot.records.Output.json`),
    or ``error`` naming why the variant was not scored."""
    if result.reason is not None or not result.entries:
        why = result.detail or result.reason or "no entry"
        return {"variant": text, "source": family, "error": f"{text}: not scored: {why}"}
    return {"variant": text, "chrom": variant.chrom, "pos": variant.pos, "ref": variant.ref,
            "alt": variant.alts[0], "distance": p["distance"], "mask": p["mask"],
            "source": f"{family}:model", "info": output.info_id,
            "scores": [output.json(e) for e in result.entries]}
