"""SpliceAI-lookup's ``/spliceai/`` JSON, built from a pipeline :class:`~spliceannot.delta.Result`.

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
A table annotation (SpliceAI's format) has no tags or CDS: priority "N", ``CDS_*`` null. The
page calls string methods on ``g_id`` and ``t_type``, so they are never null: ``g_id`` falls back
to the gene name, ``t_type`` to ``protein_coding`` for a CDS or an NM_/XM_ accession,
``non_coding`` for NR_/XR_, else ``unknown``. ``CDS_END`` (``CDS_START`` on the minus strand)
includes the stop codon, as a genePred's coding extent does.

Each transcript carries ``nNonZeroScores`` (its rows where a REF or ALT probability, as printed,
reaches 0.01) and, in the cached copy only, ``ALL_NON_ZERO_SCORES`` (every row: those, the four
DP positions and the variant's own), which ``/{family}/scores/?transcript=`` serves; the top-level
``allNonZeroScores`` keeps only the rows that reach 0.01, as the lookup's server filters them.
A position-only query (``chr16-12272``) gets the REF-only answer: per transcript ``RA_MAX``,
``RA_MAX_POS``, ``RD_MAX``, ``RD_MAX_POS`` (strongest REF acceptor/donor in the window, offset
from the position) and rows ``pos``, ``ref``, ``RA``, ``RD``.
``sai10kPredictions`` (the lookup's SAI-10k-calc consequence calls) is not computed: null, which
the page shows as "No prediction" (see docs/serve.md).
"""

import numpy as np

from .. import delta

FLOAT = "0.3f"
NONZERO = 0.01  # allNonZeroScores: rows where a REF or ALT probability reaches this
INSERTED_CONTEXT = 5  # SCORES_FOR_INSERTED_BASES: bases shown either side of an insertion
PRIORITY = {"MS": 3, "MP": 2, "C": 1, "N": 0}
REFSEQ_PREFIXES = ("NM_", "NR_", "XM_", "XR_")
CODING_PREFIXES, NONCODING_PREFIXES = ("NM_", "XM_"), ("NR_", "XR_")
ROW_SCORES = ("RA", "AA", "RD", "AD")
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


def biotype(gene, t_id: str) -> str:
    if gene.biotype:
        return gene.biotype
    if gene.cds or t_id.startswith(CODING_PREFIXES):
        return "protein_coding"
    return "non_coding" if t_id.startswith(NONCODING_PREFIXES) else "unknown"


def reaches(row: dict, fields=ROW_SCORES) -> bool:
    """Whether a row's largest printed score reaches the lookup's 0.01 (the lookup judges the
    3-decimal strings, so 0.0095 printed as "0.010" counts)."""
    return max(float(row[f]) for f in fields) >= NONZERO


def transcript_fields(gene) -> dict:
    """The lookup's per-transcript annotation and structure fields, from our annotation."""
    t_id = gene.transcript or gene.name
    return {
        "g_name": gene.name or t_id,
        "g_id": gene.gene_id or gene.name or t_id,
        "t_id": t_id,
        "t_type": biotype(gene, t_id),
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


def entry(score: delta.DeltaScore, variant, reference) -> dict:
    """One transcript's object of ``scores`` (``score.tracks`` must be set)."""
    out = {f"DS_{k}": fmt(ds) for k, ds in zip(KINDS, score.ds)}
    out.update({f"DP_{k}": int(dp) for k, dp in zip(KINDS, score.dp)})
    out.update({f"DS_{k}_REF": fmt(score.raw[2 * i]) for i, k in enumerate(KINDS)})
    out.update({f"DS_{k}_ALT": fmt(score.raw[2 * i + 1]) for i, k in enumerate(KINDS)})
    out["SCORES_FOR_INSERTED_BASES"] = inserted_bases(score, variant, reference)
    out.update(transcript_fields(score.tracks.gene))
    rows = all_nonzero(score, variant, reference)
    out["nNonZeroScores"] = sum(reaches(r) for r in rows)
    out["ALL_NON_ZERO_SCORES"] = rows
    return out


def _alleles(variant):
    ref, alt = variant.ref.upper(), variant.alts[0].upper()
    offset, r_len, trimmed_alt = delta.trim_alleles(ref, alt)
    return ref, alt, offset, ref[offset:offset + r_len], trimmed_alt.upper()


def all_nonzero(score: delta.DeltaScore, variant, reference) -> list:
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


def inserted_bases(score: delta.DeltaScore, variant, reference) -> list:
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


def body(result: delta.Result, variant, reference) -> tuple:
    """(scores, allNonZeroScores, allNonZeroScoresStrand, allNonZeroScoresTranscriptId) of a
    scored result; each score keeps its ALL_NON_ZERO_SCORES (for the cache and ``/scores/``)."""
    scored = [s for s in result.entries if s.ds is not None and s.tracks is not None]
    entries = [entry(s, variant, reference) for s in scored]
    i = select(entries)
    if i is None:
        return entries, None, None, None
    rows = [r for r in entries[i]["ALL_NON_ZERO_SCORES"] if reaches(r)]
    return entries, rows, scored[i].tracks.gene.strand, entries[i]["t_id"]


# ---- REF-only (a position without alleles) -------------------------------------------------------

def reference_entry(score: delta.DeltaScore, pos: int, reference) -> dict:
    """One transcript of a position-only answer: the strongest REF acceptor and donor in the
    window (``RA_MAX``/``RD_MAX``, offsets ``*_POS`` from ``pos``), its REF rows kept apart."""
    t = score.tracks
    first = t.pos - t.centre
    acceptor, donor = t.ref[:, 1], t.ref[:, 2]
    ia, id_ = int(np.argmax(acceptor)), int(np.argmax(donor))
    keep = np.flatnonzero(np.maximum(acceptor, donor) >= NONZERO)
    bases = Window(reference, t.gene.chrom, first, first + len(acceptor) - 1)
    rows = [{"pos": first + int(i), "ref": bases[first + int(i)].upper(),
             "RA": fmt(acceptor[i]), "RD": fmt(donor[i])}
            for i in sorted({int(i) for i in keep} | {ia, id_, pos - first})
            if 0 <= i < len(acceptor)]
    out = {"RA_MAX": fmt(acceptor[ia]), "RA_MAX_POS": first + ia - pos,
           "RD_MAX": fmt(donor[id_]), "RD_MAX_POS": first + id_ - pos}
    out.update(transcript_fields(t.gene))
    out["ALL_NON_ZERO_SCORES"] = rows
    return out


def reference_body(result: delta.Result, pos: int, reference) -> tuple:
    """(scores, allNonZeroScores, strand, transcript id) of a position-only answer: the
    transcript of highest priority, then highest |RA_MAX| + |RD_MAX|, the first on a tie."""
    scored = [s for s in result.entries if s.tracks is not None]
    entries = [reference_entry(s, pos, reference) for s in scored]
    best, best_p, best_sum = None, -1, -1.0
    for i, e in enumerate(entries):
        p, total = PRIORITY.get(e["t_priority"], 0), float(e["RA_MAX"]) + float(e["RD_MAX"])
        if p > best_p or (p == best_p and total > best_sum):
            best, best_p, best_sum = i, p, total
    rows = [e.pop("ALL_NON_ZERO_SCORES") for e in entries]
    if best is None:
        return entries, None, None, None
    return entries, rows[best], entries[best]["t_strand"], entries[best]["t_id"]
