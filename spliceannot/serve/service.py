"""The lookup service: inputs loaded once, requests scored through the pipeline, one answer cache.

Every request runs the stages of ``spliceannot score``: :func:`spliceannot.scorer.score_chunk`
plans the variants (the scorer's family: SpliceAI's by default), runs the registry's scorer
(``fast`` by default: the engine where the model declares it runs there) and finishes (the
family's ``finish``). The options are the ``lookup`` profile's (:mod:`spliceannot.profiles`) with
the request's D and mask, plus ``keep_tracks``: the answer's ``allNonZeroScores`` and
``SCORES_FOR_INSERTED_BASES`` need the tracks finish compared, so finish hands them back on each
entry; stored scores (the lookups) hold no tracks, so serve asks none.
A batch is planned whole and runs through the engine in one ``score_chunk`` call.

Bounded work: answers are cached by size in bytes (not count); a request waits at most its
deadline for the model (the model and engine are not thread-safe: one lock serialises every
computation and drawing); a request may ask for at most ``max_work`` scored positions
(variants x (2D + 1)) and ``max_region`` predicted ones.
"""

import json
import re
import threading
import time
from collections import OrderedDict

from .. import options, profiles, registry
from ..errors import UsageError
from ..genes import GeneTable
from ..io.reference import Reference
from ..records import Result
from ..scorer import Scorer, ScoringContext, score_chunk
from . import answer
from .request import BC, MAX_DISTANCE, BadRequest, integer, lookup_chrom, parse_variant

__all__ = ["AnswerCache", "BadRequest", "Service", "integer", "request_options"]


def request_options(base: options.Options, settings: options.Settings) -> tuple:
    """(Options, Settings) of a request from its scoring settings (:meth:`Service.parameters`:
    the ``lookup`` profile, the request's D and mask, and any other declared option that
    changes scores and that the profile leaves open, plugin options too), tracks kept. Serve's
    one place for options: it follows the declarations."""
    chosen = {k: v for k, v in settings.as_dict().items() if k not in ("minimal", "keep_tracks")}
    return base.replace(**chosen), settings.replace(keep_tracks=True)


class AnswerCache:
    """Answers (JSON text) by key, least recently used dropped first, at most ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit, self.size = int(limit), 0
        self.items = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            text = self.items.get(key)
            if text is not None:
                self.items.move_to_end(key)
            return text

    def put(self, key, text: str):
        cost = len(text.encode())
        with self.lock:
            if cost > self.limit:
                return
            old = self.items.pop(key, None)
            self.size -= len(old.encode()) if old is not None else 0
            self.items[key] = text
            self.size += cost
            while self.size > self.limit:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped.encode())

    def clear(self):
        with self.lock:
            self.items.clear()
            self.size = 0


class Service:
    """What ``spliceannot serve`` loads once; ``lookup``/``batch`` answer as the lookup does."""

    family = "spliceai"  # the route (/spliceai/): the name of the model family's Output

    def __init__(self, reference: str, annotation: str, model: str = "spliceai",
                 transcripts: str = None, hg: str = "38", distance: int = None, mask: int = 0,
                 max_batch: int = 100, max_region: int = 10_000, max_work: int = 2_000_000,
                 cache_bytes: int = 64 << 20, deadline: float = 120.0, scorer: str = "fast",
                 device: str = "cpu", batch_size: int = 16):
        self.reference = Reference(reference)
        source = registry.annotation_source(annotation)
        if transcripts is None and "transcripts" in source.options:
            transcripts = "all"  # the lookup scores every transcript
        self.genes = registry.load_annotation(annotation, transcripts=transcripts)
        # bc=basic: the transcripts tagged "basic" where the annotation tags any (GENCODE does)
        basic = [g for g in self.genes.genes if "basic" in g.tags]
        self.annotations = {"comprehensive": self.genes,
                            "basic": GeneTable(basic, name=f"{self.genes.name}:basic")
                            if basic else self.genes}
        self.model = registry.model(model)
        self.scorer = registry.scorers().get(self.model.scorer or scorer)
        # The family's declaration: its name is the route, its fields the answers' scores where
        # the family is not SpliceAI's (whose answers are SpliceAI-lookup's, from the tracks).
        self.output = self.scorer.output
        self.family = self.output.name
        self.base = options.Options(reference=reference, annotation=annotation, model=model,
                                    scorer=scorer, transcripts=transcripts, device=device,
                                    batch_size=batch_size)
        self.hg = str(hg)
        self.distance = profiles.PROFILES["lookup"]["distance"] if distance is None else distance
        self.mask = int(mask)
        self.max_batch, self.max_region, self.max_work = max_batch, max_region, max_work
        self.deadline = deadline
        self.cache = AnswerCache(cache_bytes)
        self.lock = threading.Lock()
        self.stats = {"computed": 0, "cache hits": 0}
        self.placeholder = placeholder_variant(self.reference, self.genes)

    # ---- parameters ---------------------------------------------------------------------------

    def parameters(self, params: dict) -> dict:
        """The request's checked parameters, in the lookup's order of checks; raises BadRequest."""
        hg = params.get("hg")
        example = f"/{self.family}/?hg={self.hg}&distance=500&mask=0&variant={self.placeholder}"
        if hg is None or hg == "":
            raise BadRequest(f'"hg" not specified. The URL must include an "hg" arg: hg=37 or '
                             f'hg=38. For example: {example}')
        if str(hg) not in ("37", "38"):
            raise BadRequest(f'Invalid "hg" value: "{str(hg)[:10]}". The value must be either "37" '
                             f'or "38". For example: {example}')
        if str(hg) != self.hg:
            raise BadRequest(f'Invalid "hg" value: "{hg}": this server serves hg{self.hg}')
        distance = params.get("distance", self.distance)
        distance = integer("distance", distance, 0, MAX_DISTANCE)
        mask = params.get("mask", str(self.mask))
        if isinstance(mask, bool) or str(mask) not in ("0", "1"):
            raise BadRequest(f'Invalid "mask" value: "{str(mask)[:10]}". The value must be either '
                             f'"0" or "1". For example: {example}')
        bc = params.get("bc", "basic")
        if bc not in BC:
            raise BadRequest(f'Invalid "bc" value: "{str(bc)[:20]}". The value must be either '
                             f'"basic" or "comprehensive". For example: {example}')
        try:  # the other options a request may set, as declared (plugin ones too)
            settings = options.request_settings(params, "lookup",
                                                {"distance": distance, "mask": str(mask) == "1"})
        except UsageError as exc:
            raise BadRequest(str(exc)) from None
        return {"distance": distance, "mask": int(mask), "bc": bc, "settings": settings,
                "extras": tuple(sorted(settings.extras().items()))}

    @staticmethod
    def variant_text(value) -> str:
        if not isinstance(value, str):
            raise BadRequest(f'"variant" value must be a string rather than a '
                             f'{type(value).__name__}.')
        text = value.strip().strip("'").strip('"').strip(",")
        if not text:
            raise BadRequest('"variant" not specified.')
        return text

    # ---- answers ------------------------------------------------------------------------------

    def lookup(self, params: dict, started: float = None) -> dict:
        """The lookup's answer to one request (params as the lookup reads them)."""
        text = self.variant_text(params.get("variant", ""))
        p = self.parameters(params)
        return self._respond(params, self._answers([text], p, started)[0])

    def batch(self, params: dict, started: float = None) -> list:
        """One lookup answer per variant of ``params["variants"]``, scored in one pipeline call."""
        texts = params.get("variants")
        if texts is None:
            raise BadRequest('"variants" not specified: {"variants": ["chr16-262226-G-A", ...]}')
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadRequest('"variants" must be a list of strings')
        if len(texts) > self.max_batch:
            raise BadRequest(f"too many variants: {len(texts)} > {self.max_batch} per request")
        p = self.parameters(params)
        cleaned = []
        for t in texts:
            try:
                cleaned.append(self.variant_text(t))
            except BadRequest as exc:
                cleaned.append(exc)
        answers = self._answers([t for t in cleaned if isinstance(t, str)], p, started)
        out, it = [], iter(answers)
        for t, raw in zip(cleaned, texts):
            if isinstance(t, BadRequest):
                out.append(self._respond({**params, "variant": raw},
                                         {"variant": raw, "source": self.family, "error": str(t)}))
            else:
                out.append(self._respond({**params, "variant": t}, next(it)))
        return out

    def _respond(self, params, results: dict) -> dict:
        """The lookup echoes some request parameters, then lays its results over them."""
        echo = {k: params[k] for k in ("variant", "hg", "bc", "distance", "mask", "raw",
                                       "variant_consequence") if k in params}
        echo.update(results)
        return echo

    def _answers(self, texts, p, started=None) -> list:
        """Results dicts (the lookup's ``results``) for variant texts, cached answers reused."""
        started = time.monotonic() if started is None else started
        keys = [(t, p["distance"], p["mask"], p["bc"], p["extras"]) for t in texts]
        out = [None] * len(texts)
        todo = []
        for i, key in enumerate(keys):
            cached = self.cache.get(key)
            if cached is not None:
                body = json.loads(cached)
                body["source"] += ":cache"
                out[i] = body
                self.stats["cache hits"] += 1
                continue
            variant, problem = parse_variant(texts[i])
            if problem:
                out[i] = {"variant": texts[i], "source": self.family, "error": problem}
            else:
                todo.append((i, variant))
        work = len(todo) * (2 * p["distance"] + 1)
        if work > self.max_work:
            raise BadRequest(f"too much work: {len(todo)} variants x {2 * p['distance'] + 1} "
                             f"positions > {self.max_work} per request")
        if not todo:
            return out
        if not self.lock.acquire(timeout=max(self.deadline - (time.monotonic() - started), 0)):
            raise BadRequest(f"server busy: no model time within the {self.deadline:g} s deadline",
                             status=503)
        try:
            results = self._score([v for _, v in todo], p)
            for (i, variant), result in zip(todo, results):
                out[i] = self._results(texts[i], variant, result, p)
                if "error" not in out[i]:
                    self.cache.put(keys[i], json.dumps(out[i]))
            self.stats["computed"] += len(todo)
        finally:
            self.lock.release()
        return out

    def _score(self, variants, p) -> list:
        """The pipeline's stages on these variants (lock held): one Result each."""
        opts, settings = request_options(self.base, p["settings"])
        ctx = ScoringContext(self.reference, self.annotations[p["bc"]], self.model, settings,
                             options=opts)
        return score_chunk(variants, ctx, self.scorer, ())

    def _results(self, text, variant, result: Result, p) -> dict:
        """The lookup's ``results`` for one variant from its pipeline Result (lock held)."""
        label = f"{variant.chrom}-{variant.pos}-{variant.ref}-{variant.alts[0]}"
        actual = self._reference_allele(variant) if result.reason is not None else None
        if actual is not None and actual != variant.ref:
            build = "hg19" if self.hg == "37" else f"hg{self.hg}"
            return {"variant": text, "source": self.family,
                    "error": f"Unexpected reference allele in {label}: the {build} reference at "
                             f"{variant.chrom}:{variant.pos} is {actual}, not {variant.ref}"}
        if self.output is not Scorer.output:  # another family: its entries' fields
            return answer.generic(text, variant, result, self.output, self.family, p)
        scores, nonzero, strand, transcript = answer.body(result, variant, self.reference)
        if result.reason is not None or not scores:
            why = result.detail or result.reason or "no transcript scored"
            return {"variant": text, "source": self.family,
                    "error": f"The SpliceAI model did not return any scores for {text}. This may "
                             f"be because the variant does not overlap any exons or introns "
                             f"defined by the '{p['bc']}' annotation ({self.genes.name}): {why}."}
        return {"variant": text, "genomeVersion": self.hg, "chrom": lookup_chrom(variant.chrom),
                "pos": variant.pos, "ref": variant.ref, "alt": variant.alts[0],
                "distance": p["distance"], "mask": p["mask"], "scores": scores,
                "source": f"{self.family}:model", "allNonZeroScores": nonzero,
                "allNonZeroScoresStrand": strand, "allNonZeroScoresTranscriptId": transcript,
                "sai10kPredictions": None, "sai10kPredictionsError": None}

    def _reference_allele(self, variant):
        """The FASTA's bases under REF, or None where they cannot be compared (contig absent,
        REF past its end, N bases): the lookup's check lets those through to the model."""
        contig = self.reference.resolve(variant.chrom)
        if contig is None or variant.pos - 1 + len(variant.ref) > self.reference.length(contig):
            return None
        bases = self.reference.fetch(contig, variant.pos - 1,
                                     variant.pos - 1 + len(variant.ref)).upper()
        return None if "N" in bases else bases

    # ---- drawing and regions ------------------------------------------------------------------

    def plot_svg(self, params: dict) -> bytes:
        """The ``spliceannot plot`` figure of one variant and transcript, as SVG."""
        import io

        import numpy as np

        from ..plot import KINDS, PlotData, draw

        text = self.variant_text(params.get("variant", ""))
        p = self.parameters({"hg": self.hg, **params})
        variant, problem = parse_variant(text)
        if problem:
            raise BadRequest(problem)
        wanted = params.get("transcript")
        if not self.lock.acquire(timeout=self.deadline):
            raise BadRequest("server busy", status=503)
        try:
            (result,) = self._score([variant], p)
            chosen = [s for s in result.entries if s.tracks is not None and wanted in
                      (None, "", s.gene, s.transcript, s.tracks.gene.name)]
            if not chosen:
                raise BadRequest(f"transcript {str(wanted)[:40]!r}: not scored for this variant")
            s = chosen[0]
            t = s.tracks
            positions = np.arange(len(t.ref)) - t.centre + t.pos
            bounds = sorted(b for b in set(t.gene.exon_starts) | set(t.gene.exon_ends)
                            if positions[0] <= b <= positions[-1])
            data = PlotData(variant, s.alt, s.gene, t.gene.strand, positions,
                            np.asarray(t.ref, dtype=np.float64), np.asarray(t.alt, np.float64), s,
                            bounds, {k: variant.pos + d for k, d in zip(KINDS, s.dp)})
            buffer = io.BytesIO()
            draw(data, buffer, fmt="svg")
        finally:
            self.lock.release()
        return buffer.getvalue()

    def region(self, text) -> dict:
        """``predict`` tracks of a region (transcript-masked, as :mod:`spliceannot.tracks`)."""
        from ..tracks.prediction import predict_chunks

        m = re.fullmatch(r"\s*([^\s:]+)(?::([0-9][0-9,]{0,14})-([0-9][0-9,]{0,14}))?\s*", str(text))
        contig = self.reference.resolve(m.group(1)) if m else None
        if contig is None:
            raise BadRequest(f"region {str(text)[:60]!r}: contig not in the FASTA (expected "
                             f"CHROM:START-END)")
        length = self.reference.length(contig)
        start, end = (1, length) if m.group(2) is None else \
            (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
        if not 1 <= start <= end:
            raise BadRequest(f"region {str(text)[:60]!r}: need 1 <= START <= END")
        end = min(end, length)
        if start > end:
            raise BadRequest(f"region {str(text)[:60]!r}: START past the contig end ({length})")
        if end - start + 1 > self.max_region:
            raise BadRequest(f"region of {end - start + 1} positions > {self.max_region}")
        tracks = []
        if not self.lock.acquire(timeout=self.deadline):
            raise BadRequest("server busy", status=503)
        try:
            for chunk in predict_chunks([(contig, start, end)], self.reference, self.model,
                                        self.genes):
                for run, probs in chunk.runs:
                    tracks.append({"gene": run.gene, "strand": run.strand, "start": run.start,
                                   "end": run.end, "acceptor": probs[:, 0].tolist(),
                                   "donor": probs[:, 1].tolist()})
        finally:
            self.lock.release()
        return {"chrom": contig, "start": start, "end": end, "tracks": tracks}


def placeholder_variant(reference, genes) -> str:
    """An SNV the loaded data scores: the base after the first internal exon end of the first
    gene whose window the FASTA holds (a donor's first intron base), changed to another base."""
    for gene in genes.genes:
        contig = reference.resolve(gene.chrom)
        if contig is None:
            continue
        ends = sorted(gene.exon_ends)[:-1] or sorted(gene.exon_ends)
        for end in ends:
            pos = end + 1 if end + 1 <= gene.tx_end else end
            if pos > reference.length(contig):
                continue
            base = reference.fetch(contig, pos - 1, pos).upper()
            if base in "ACGT" and base:
                alt = "G" if base != "G" else "A"
                return f"{gene.chrom}-{pos}-{base}-{alt}"
    return "chr8-140300615-C-G"  # the lookup's own example
