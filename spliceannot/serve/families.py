"""Model families as serve routes them: which route a scorer's answers take and what fields they have.

A scorer declares its entries' :class:`~spliceannot.scorer.Output`; its ``route`` (or, where a
plugin leaves it empty, the INFO id in lower case) names the route, and a scorer without one
(SpliceAI's entries) answers ``/spliceai/``. Each family here builds its transcripts' objects
from a pipeline Result with its own fields only (``SCORE_FIELDS``), so a Pangolin number never
sits in a SpliceAI field, and every answer's ``source`` names the route that made it.

* ``spliceai``: :mod:`.answer` (the lookup's SpliceAI fields).
* ``pangolin``: the lookup's Pangolin fields, read from its Pangolin fork's ``process_variant``
  (not copied): ``DS_SG``/``DS_SL`` (2-decimal strings, the loss signed), ``DP_SG``/``DP_SL``,
  and ``SG_REF``/``SG_ALT``/``SL_REF``/``SL_ALT``: the REF and ALT splice-site probabilities
  (mean of a tissue's 3 networks) of the tissue whose change is the largest gain (smallest loss)
  at that position. Rows ``pos``, ``ref``, ``alt`` and those four, kept where one reaches 0.1
  (that fork's threshold) plus the two DP positions.
"""

import numpy as np

from ..registry import load_annotation
from ..scorer import Scorer
from . import answer

SPLICEAI = "spliceai"
PANGOLIN_THRESHOLD = 0.1
PANGOLIN_ROWS = ("SL_REF", "SL_ALT", "SG_REF", "SG_ALT")


def route_of(scorer) -> str:
    """The route a scorer's answers take: its Output's ``route``, else its INFO id lower-cased;
    SpliceAI's entries (no Output) answer ``/spliceai/``."""
    output = scorer.output
    if output is None:
        return SPLICEAI
    return getattr(output, "route", "") or output.info_id.lower()


class SpliceAIFamily:
    route = SPLICEAI
    SCORE_FIELDS = tuple(f"DS_{k}" for k in answer.KINDS) + tuple(f"DP_{k}" for k in answer.KINDS)
    position_only = True

    @staticmethod
    def wrap(scorer):
        return scorer

    @staticmethod
    def body(result, variant, reference, described) -> tuple:
        return answer.body(result, variant, reference)


# ---- Pangolin ------------------------------------------------------------------------------------

class KeepTracks(Scorer):
    """A scorer as given, whose entries also keep the task and model tracks they came from
    (``serve_tracks``): Pangolin's entries hold only their text, its answer needs the tracks."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.output = inner.name, inner.output
        self.load_annotation = inner.load_annotation

    def plan(self, variant, ctx):
        return self.inner.plan(variant, ctx)

    def run(self, tasks, ctx):
        return self.inner.run(tasks, ctx)

    def finish(self, task, y_ref, y_alt, ctx):
        entries = self.inner.finish(task, y_ref, y_alt, ctx)
        for e in entries:
            e.serve_tracks = (task, y_ref, y_alt, ctx.settings.distance)
        return entries

    def timings(self):
        return self.inner.timings()


def tissue_tracks(task, y_ref, y_alt, d: int) -> tuple:
    """(change, ref, alt), each (4, 2d + len(REF)): per tissue the mean over its 3 networks of ALT - REF,
    REF and ALT, the ALT put on REF positions as Pangolin does (a deletion's lost bases 0 after
    the anchor, an insertion's bases folded into the anchor by their maximum)."""
    if task.gene.strand == "-":
        y_ref, y_alt = y_ref[::-1], y_alt[::-1]
    y_ref, y_alt = y_ref[task.extra:], y_alt[task.extra:]
    half = d
    change, ref_mean, alt_mean = [], [], []
    for t in range(4):
        diffs, refs, alts = [], [], []
        for m in range(3 * t, 3 * t + 3):
            ref, alt = y_ref[:, m], y_alt[:, m]
            extra = abs(len(ref) - len(alt))
            if len(ref) > len(alt):
                alt = np.concatenate([alt[:half + 1], np.zeros(extra), alt[half + 1:]])
            elif len(ref) < len(alt):
                alt = np.concatenate([alt[:half], np.max(alt[half:half + extra + 1], keepdims=True),
                                      alt[half + extra + 1:]])
            diffs.append(alt - ref)
            refs.append(ref)
            alts.append(alt)
        change.append(np.mean(diffs, axis=0))
        ref_mean.append(np.mean(refs, axis=0))
        alt_mean.append(np.mean(alts, axis=0))
    return np.array(change), np.array(ref_mean), np.array(alt_mean)


def _f2(x) -> str:
    return f"{float(x):0.2f}"


class PangolinFamily:
    route = "pangolin"
    SCORE_FIELDS = ("DS_SG", "DS_SL", "DP_SG", "DP_SL")
    position_only = False

    @staticmethod
    def wrap(scorer):
        return KeepTracks(scorer)

    @staticmethod
    def body(result, variant, reference, described) -> tuple:
        by_name = described  # {gene_id: the transcript describing it}
        entries, rows_of = [], []
        for e in result.entries:
            kept = getattr(e, "serve_tracks", None)
            pairs = [i.split(":") for i in e.items if ":" in i]
            if kept is None or len(pairs) != 2 or "NA" in (pairs[0][1], pairs[1][1]):
                continue  # --score-cutoff/--score-exons text has no single gain and loss
            task, y_ref, y_alt, d = kept
            change, ref, alt = tissue_tracks(task, y_ref, y_alt, d)
            cols = np.arange(change.shape[1])
            up, down = np.argmax(change, axis=0), np.argmin(change, axis=0)
            sg_ref, sg_alt = ref[up, cols], alt[up, cols]
            sl_ref, sl_alt = ref[down, cols], alt[down, cols]
            (gp, gs), (lp, ls) = pairs
            g, l = int(gp) + d, int(lp) + d
            gene = by_name.get(e.gene)
            fields = answer.transcript_fields(gene) if gene is not None else {
                "g_name": e.gene, "g_id": e.gene, "t_id": e.gene, "t_type": "unknown",
                "t_strand": task.gene.strand, "t_priority": "N", "t_refseq_ids": None,
                "EXON_STARTS": [], "EXON_ENDS": [], "CDS_START": None, "CDS_END": None}
            first = variant.pos - d
            bases = answer.Window(reference, variant.chrom, first, first + len(cols) - 1)
            rows = []
            for i in cols:
                values = (sl_ref[i], sl_alt[i], sg_ref[i], sg_alt[i])
                if max(values) >= PANGOLIN_THRESHOLD or i in (g, l):
                    base = bases[first + int(i)].upper()
                    rows.append({"pos": first + int(i), "ref": base, "alt": base,
                                 **{k: _f2(v) for k, v in zip(PANGOLIN_ROWS, values)}})
            entry = {"DS_SG": _f2(gs), "DS_SL": _f2(ls), "DP_SG": int(gp), "DP_SL": int(lp),
                     "SG_REF": _f2(sg_ref[g]), "SG_ALT": _f2(sg_alt[g]),
                     "SL_REF": _f2(sl_ref[l]), "SL_ALT": _f2(sl_alt[l]), **fields,
                     "nNonZeroScores": sum(max(float(r[k]) for k in PANGOLIN_ROWS)
                                           >= PANGOLIN_THRESHOLD for r in rows),
                     "ALL_NON_ZERO_SCORES": rows}
            entries.append(entry)
            rows_of.append((rows, task.gene.strand))
        if not entries:
            return entries, None, None, None
        best, best_p, best_sum = 0, -1, -1.0
        for i, s in enumerate(entries):
            p = answer.PRIORITY.get(s["t_priority"], 0)
            total = abs(float(s["DS_SL"])) + abs(float(s["DS_SG"]))
            if p > best_p or (p == best_p and total > best_sum):
                best, best_p, best_sum = i, p, total
        rows, strand = rows_of[best]
        shown = [r for r in rows if max(float(r[k]) for k in PANGOLIN_ROWS) >= PANGOLIN_THRESHOLD]
        return entries, shown, strand, entries[best]["t_id"]


def described_genes(annotation, genes, scorer) -> dict:
    """{gene name: the Gene that describes it in answers}: a scorer with genes of its own
    (Pangolin's, keyed by gene_id, without transcripts) gets each gene's MANE Select, else
    canonical, else first transcript of the same file read as a GTF, so its answers carry the
    symbol, transcript, type and tags; otherwise each gene describes itself."""
    if scorer.load_annotation is None:
        return {}
    try:
        table = load_annotation(annotation, transcripts="all")
    except Exception:  # noqa: BLE001 -- a file the registry cannot read: names only
        return {}
    rank = {"mane_select": 0, "mane_plus_clinical": 1, "ensembl_canonical": 2, "canonical": 2}
    out = {}
    for g in table.genes:
        key = g.gene_id or g.name
        score = min((rank.get(t, 3) for t in g.tags), default=3)
        if key not in out or score < out[key][0]:
            out[key] = (score, g)
    return {k: g for k, (_, g) in out.items()}


FAMILIES = {f.route: f for f in (SpliceAIFamily, PangolinFamily)}


class FieldsFamily:
    """Any other family: each entry's object is its fields (:meth:`spliceannot.records.Output.json`),
    as the family's Output declares them; no rows (the tracks' meaning is the family's own)."""

    position_only = False

    def __init__(self, output):
        self.output = output
        self.route = route_of_output(output)
        self.SCORE_FIELDS = tuple(output.fields[output.keys:])

    @staticmethod
    def wrap(scorer):
        return scorer

    def body(self, result, variant, reference, described) -> tuple:
        return [self.output.json(e) for e in result.entries], None, None, None


def route_of_output(output) -> str:
    return getattr(output, "route", "") or output.info_id.lower()


def family_of(scorer):
    """The family answering a scorer's route: the lookup's own layouts for SpliceAI and
    Pangolin, any other family's entries from their declared fields (:class:`FieldsFamily`)."""
    route = route_of(scorer)
    if route not in FAMILIES:
        return FieldsFamily(scorer.output)
    return FAMILIES[route]
