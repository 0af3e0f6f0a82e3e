"""The lookup service: inputs loaded once, SpliceAI-lookup's JSON per variant, caches and one model lock.

The JSON of a variant follows the layout of SpliceAI-lookup's ``/spliceai/`` endpoint: top-level
``variant``, ``genomeVersion``, ``chrom``, ``pos``, ``ref``, ``alt``, ``distance``, ``mask``,
``source``, ``scores`` (one object per transcript) and ``allNonZeroScores`` /
``allNonZeroScoresStrand`` / ``allNonZeroScoresTranscriptId``; per transcript ``DS_AG`` ...
``DS_DL`` and ``DS_*_REF`` / ``DS_*_ALT`` as 3-decimal strings, ``DP_*`` as integers, ``ALLELE``,
``NAME``, ``STRAND``, ``t_id``, ``g_name`` and ``t_strand``. Lookup fields that need its own
databases (``t_priority``, ``t_refseq_ids``, ``sai10kPredictions``, ...) are not produced.
Scores come from the ``lookup`` profile (:mod:`spliceannot.profiles`) with the request's D and
mask, through the same planning, engine and ``delta.finish`` as ``spliceannot score``.

The model and engine are not thread-safe: every computation (and every matplotlib drawing)
runs under one lock, so concurrent requests queue there and never share state mid-call.
"""

import io
import json
import re
import sqlite3
import threading
from collections import OrderedDict

import numpy as np

from .. import delta, options, profiles, registry
from ..errors import UsageError
from ..lookup import provenance
from ..io.reference import Reference
from ..io.variant import Variant

VARIANT_RE = re.compile(r"(?P<chrom>[^\s:>-]+)[-\s:]+(?P<pos>[0-9]{1,10})[-\s:]+"
                        r"(?P<ref>[ACGTacgt]+)[-\s:>]+(?P<alt>[ACGTacgt]+)")
MAX_DISTANCE = 10_000  # as the lookup's own limit
NONZERO = 0.01  # allNonZeroScores: positions where any REF/ALT probability reaches this
BAD_PLAN = {delta.NO_CONTIG: "contig not in the reference",
            delta.REF_MISMATCH: "REF does not match the reference",
            delta.REF_TOO_LONG: "REF longer than 2 x distance",
            delta.PAST_END: "window runs past the contig end"}


class BadRequest(Exception):
    """Input the service refuses; the message is one line for the client."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def parse_variant(text) -> Variant:
    """chrom-pos-ref-alt (also ':' / ' ' / '>' separated, as the lookup accepts)."""
    if text is not None and not isinstance(text, str):
        raise BadRequest('"variant" must be a string such as "chr16-262226-G-A"')
    if not text or not text.strip():
        raise BadRequest('"variant" not specified')
    clean = text.strip().strip("'\",")
    m = VARIANT_RE.fullmatch(clean)
    if not m or int(m["pos"]) < 1:
        raise BadRequest(f"unable to parse variant {clean[:80]!r}: expected CHROM-POS-REF-ALT, "
                         f"e.g. chr16-262226-G-A")
    return Variant(m["chrom"], int(m["pos"]), m["ref"].upper(), [m["alt"].upper()], line=1)


def fmt(x) -> str:
    return f"{float(x):.3f}"


class Service:
    """What ``spliceannot serve`` loads once; ``lookup`` answers one variant."""

    def __init__(self, reference: str, annotation_spec: str, model: str = "spliceai",
                 transcripts: str = None, hg: str = "38", distance: int = None, mask: int = 0,
                 score_cache: str = None, max_batch: int = 100, max_region: int = 10_000,
                 cache_size: int = 2048):

        self.reference = Reference(reference)
        source = registry.annotation_source(annotation_spec)
        if transcripts is None and "transcripts" in source.options:
            transcripts = "all"  # the lookup scores every transcript
        self.genes = registry.load_annotation(annotation_spec, transcripts=transcripts)
        self.model = registry.model(model)
        self.hg = str(hg)
        self.distance = profiles.PROFILES["lookup"]["distance"] if distance is None else distance
        self.mask = int(mask)
        self.max_batch, self.max_region = max_batch, max_region
        self.lock = threading.Lock()
        self.engine = self._engine()
        self.memory = OrderedDict()
        self.cache_size = cache_size
        self.store = None
        if score_cache:
            self.store = _Store(score_cache, self)
        self.stats = {"computed": 0, "memory hits": 0, "store hits": 0}

    def _engine(self):
        if not callable(getattr(self.model, "networks", None)):
            return None
        from ..engine import Engine

        engine = Engine(self.model)
        return None if engine.defers_to_per_window else engine

    # ---- parameters ---------------------------------------------------------------------------

    def settings(self, distance=None, mask=None, **params) -> delta.Settings:
        """The request's settings: its D and mask (else the server's), any other option that
        changes scores and that the lookup profile leaves open (``options.request_options``:
        plugin options too) from ``params``, the lookup profile's for the rest."""
        d = self.distance if distance in (None, "") else distance
        m = self.mask if mask in (None, "") else mask
        try:
            d = int(d)
        except (TypeError, ValueError):
            raise BadRequest(f'invalid "distance" {str(d)[:20]!r}: must be an integer') from None
        if not 0 <= d <= MAX_DISTANCE:
            raise BadRequest(f'invalid "distance" {d}: must be within 0..{MAX_DISTANCE}')
        if str(m) not in ("0", "1"):
            raise BadRequest(f'invalid "mask" {str(m)[:20]!r}: must be 0 or 1')
        try:
            return options.request_settings(params, "lookup",
                                            {"distance": d, "mask": str(m) == "1"})
        except UsageError as exc:
            raise BadRequest(str(exc)) from None

    def check_hg(self, hg):
        if hg not in (None, "") and str(hg) != self.hg:
            raise BadRequest(f'invalid "hg" {str(hg)[:10]!r}: this server serves hg{self.hg}')

    # ---- one variant --------------------------------------------------------------------------

    def lookup(self, text, distance=None, mask=None, hg=None) -> dict:
        """The lookup JSON of one variant; raises BadRequest for input it refuses."""
        self.check_hg(hg)
        settings = self.settings(distance, mask)
        variant = parse_variant(text)
        key = (variant.chrom, variant.pos, variant.ref, variant.alts[0], settings.distance,
               int(settings.mask))
        with self.lock:
            body, source = self._cached(key)
            if body is None:
                body = self._score(variant, settings)[0]
                source = "spliceai:model"
                self._remember(key, body)
        head = {"variant": text.strip(), "genomeVersion": self.hg, "chrom": variant.chrom,
                "pos": variant.pos, "ref": variant.ref, "alt": variant.alts[0],
                "distance": settings.distance, "mask": int(settings.mask), "source": source}
        return {**head, **body}

    def batch(self, texts, distance=None, mask=None, hg=None) -> list:
        """Each variant's lookup JSON, or {"variant", "error"} for one it refuses."""
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadRequest('"variants" must be a list of strings')
        if len(texts) > self.max_batch:
            raise BadRequest(f"too many variants: {len(texts)} > {self.max_batch} per request")
        self.check_hg(hg)
        self.settings(distance, mask)
        out = []
        for text in texts:
            try:
                out.append(self.lookup(text, distance, mask, hg))
            except BadRequest as exc:
                out.append({"variant": text, "source": "spliceai", "error": str(exc)})
        return out

    def _cached(self, key):
        if key in self.memory:
            self.memory.move_to_end(key)
            self.stats["memory hits"] += 1
            return self.memory[key], "spliceai:model:cache"
        if self.store is not None:
            body = self.store.get(key)
            if body is not None:
                self.stats["store hits"] += 1
                self._remember(key, body, store=False)
                return body, "spliceai:model:cache"
        return None, None

    def _remember(self, key, body, store=True):
        self.memory[key] = body
        while len(self.memory) > self.cache_size:
            self.memory.popitem(last=False)
        if store and self.store is not None and "error" not in body:
            self.store.put(key, body)

    def _score(self, variant, settings):
        """(JSON body, [(task, y_ref, y_alt, DeltaScore)]) computed by the model. Lock held."""
        if self.reference.resolve(variant.chrom) is None:  # before the gene check, unlike 1.3.1
            raise BadRequest(f"{variant.chrom}: contig not in the reference")
        plan = delta.plan(variant, self.reference, self.genes, self.model.context, settings)
        if plan.reason in BAD_PLAN:
            raise BadRequest(f"{variant.chrom}-{variant.pos}-{variant.ref}-{variant.alts[0]}: "
                             f"{BAD_PLAN[plan.reason]}")
        for _, reason in plan.alt_skips:
            raise BadRequest(f"ALT {variant.alts[0]}: {reason}")
        if plan.reason is not None:
            return {"error": f"no scores for {variant.chrom}-{variant.pos}-{variant.ref}-"
                             f"{variant.alts[0]}: it overlaps no transcript of the annotation "
                             f"({plan.reason})", "scores": []}, []
        tasks = plan.tasks()
        if self.engine is not None:
            tracks = self.engine.predict([(t, variant.chrom, variant.pos) for t in tasks])
        else:
            tracks = [(self.model.predict(t.x_ref[None])[0], self.model.predict(t.x_alt[None])[0])
                      for t in tasks]
        self.stats["computed"] += 1
        done = []
        for task, (y_ref, y_alt) in zip(tasks, tracks):
            done.append((task, y_ref, y_alt, delta.finish(task, y_ref, y_alt, settings)))
        return self._body(variant, settings, done), done

    def _body(self, variant, settings, done) -> dict:
        scores, best, best_sum = [], None, -1.0
        for task, y_ref, y_alt, score in done:
            entry = {"ALLELE": variant.alts[0], "NAME": score.gene, "STRAND": task.gene.strand}
            for name, ds in zip(delta.FIELDS[2:6], score.ds):
                entry[name] = fmt(ds)
            for name, dp in zip(delta.FIELDS[6:], score.dp):
                entry[name] = int(dp)
            for i, name in enumerate(delta.FIELDS[2:6]):  # raw: REF, ALT at each DP in turn
                entry[f"{name}_REF"] = fmt(score.raw[2 * i])
                entry[f"{name}_ALT"] = fmt(score.raw[2 * i + 1])
            entry.update({"t_id": task.gene.transcript or task.gene.name, "g_name": task.gene.name,
                          "t_strand": task.gene.strand})
            scores.append(entry)
            total = float(sum(abs(x) for x in score.ds))
            if total > best_sum:
                best, best_sum = (task, y_ref, y_alt, score, entry), total
        task, y_ref, y_alt, score, entry = best
        return {"scores": scores, "allNonZeroScores": self._nonzero(variant, task, y_ref, y_alt,
                                                                    score, settings),
                "allNonZeroScoresStrand": task.gene.strand,
                "allNonZeroScoresTranscriptId": entry["t_id"]}

    @staticmethod
    def _nonzero(variant, task, y_ref, y_alt, score, settings) -> list:
        ref, alt = delta.genomic_tracks(task, y_ref, y_alt, settings)
        half = settings.distance
        shift = task.shift
        at_dp = {d - shift + half for d in score.dp}
        keep = np.flatnonzero((np.maximum(ref[:, 1:], alt[:, 1:]) >= NONZERO).any(axis=1))
        rows = sorted(set(keep.tolist()) | at_dp)
        return [{"pos": variant.pos + shift + i - half, "RA": fmt(ref[i, 1]), "AA": fmt(alt[i, 1]),
                 "RD": fmt(ref[i, 2]), "AD": fmt(alt[i, 2])} for i in rows]

    # ---- drawing and regions ------------------------------------------------------------------

    def plot_svg(self, text, distance=None, mask=None, transcript=None, hg=None) -> bytes:
        """The ``spliceannot plot`` figure of one variant and transcript, as SVG."""
        from ..plot import draw, plot_data

        self.check_hg(hg)
        settings = self.settings(distance, mask)
        variant = parse_variant(text)
        with self.lock:
            body, done = self._score(variant, settings)
            if not done:
                raise BadRequest(body["error"])
            chosen = [d for d in done if transcript in (None, "", d[3].gene, d[0].gene.name,
                                                        d[0].gene.transcript)]
            if not chosen:
                raise BadRequest(f"transcript {str(transcript)[:40]!r}: not scored for this variant")
            task, y_ref, y_alt, score = chosen[0]
            buffer = io.BytesIO()
            draw(plot_data(variant, task, y_ref, y_alt, settings, score), buffer, fmt="svg")
        return buffer.getvalue()

    def region(self, text) -> dict:
        """``predict`` tracks of a region (transcript-masked, as :mod:`spliceannot.tracks`)."""
        from ..errors import UsageError
        from ..tracks import parse_region, predict_chunks

        try:
            contig, start, end = parse_region(str(text), self.reference)
        except UsageError as exc:
            raise BadRequest(str(exc)) from None
        if end - start + 1 > self.max_region:
            raise BadRequest(f"region of {end - start + 1} positions > {self.max_region}")
        tracks = []
        with self.lock:
            for chunk in predict_chunks([(contig, start, end)], self.reference, self.model,
                                        self.genes):
                for run, probs in chunk.runs:
                    tracks.append({"gene": run.gene, "strand": run.strand, "start": run.start,
                                   "end": run.end, "acceptor": probs[:, 0].tolist(),
                                   "donor": probs[:, 1].tolist()})
        return {"chrom": contig, "start": start, "end": end, "tracks": tracks}


class _Store:
    """--score-cache DIR: lookup bodies in SQLite, keyed by model, annotation and genome digests
    (the key :mod:`spliceannot.lookup.score_cache` uses), so a body is reused only where it would be
    recomputed the same."""

    def __init__(self, directory, service):
        import pathlib

        from ..lookup.score_cache import cache_key

        key = cache_key(provenance.model_digest(service.model),
                        provenance.annotation_digest(service.genes),
                        provenance.reference_digest(service.reference),
                        options.request_settings({}, "lookup"))
        folder = pathlib.Path(directory) / "lookup"
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / f"{key}.sqlite", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, body TEXT)")

    def get(self, key):
        row = self._db.execute("SELECT body FROM bodies WHERE key=?", (json.dumps(key),)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key, body):
        self._db.execute("INSERT OR REPLACE INTO bodies VALUES (?, ?)",
                         (json.dumps(key), json.dumps(body)))
        self._db.commit()
