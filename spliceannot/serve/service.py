"""The lookup service of one model: inputs loaded once, requests scored through the pipeline.

Every request runs the stages of ``spliceannot score``: :func:`spliceannot.scorer.score_chunk`
plans the variants, asks the registered lookups the options open (the run's
:class:`~spliceannot.session.Session` opens them; SpliceAI's route only), runs the scorer (``fast`` by default; the one a model names, Pangolin's)
and finishes. For ``/spliceai/`` the options are the ``lookup`` profile's
(:mod:`spliceannot.profiles`) with the request's D and mask, plus ``keep_tracks``: the answer's
rows need the tracks finish compared, so finish hands them back on each entry, and only lookups
that declare ``keeps_tracks`` are used. The model family (:mod:`.families`) names the route and
builds the answer's fields. A position without alleles is scored as an SNV there and answered
from its REF tracks.

Bounded work (:mod:`.limits`): answers are cached by size in bytes; the model and engine are not
thread-safe, so requests take the model in arrival order, one chunk of a request at a time, and
a request past its deadline stops at the next chunk boundary (503); answers are built outside
that lock, on a FASTA handle of their own; a request may ask for at most ``max_work`` scored
positions (2D + 1 plus inserted bases per variant) and ``max_region`` predicted ones.
"""

import json
import threading
import time

from .. import delta, options, profiles
from ..errors import UsageError
from ..genes import GeneTable
from ..io.reference import Reference
from ..io.variant import Variant
from ..scorer import score_chunk
from ..session import Session
from . import answer, regions
from .families import SPLICEAI, described_genes, family_of
from .limits import (CHUNK_WORK, KEEP_SETTINGS, AnswerCache, Bounded, FairLock, chunks, trim,
                     work)
from .request import (BC, MAX_DISTANCE, BadRequest, integer, lookup_chrom, parse_position,
                      parse_variant)

# What the lookup's page sends besides the scoring options (echoed or routing, never options).
PAGE_PARAMS = ("variant", "hg", "bc", "raw", "variant_consequence", "transcript", "force")

__all__ = ["AnswerCache", "BadRequest", "Service", "integer", "request_options"]


def request_options(base: options.Options, settings: options.Settings) -> tuple:
    """(Options, Settings) of a request from its scoring settings (:meth:`Service.parameters`:
    the ``lookup`` profile, the request's D and mask, and any other declared option that
    changes scores and that the profile leaves open, plugin options too), tracks kept. Serve's
    one place for options: it follows the declarations."""
    chosen = {k: v for k, v in settings.as_dict().items() if k not in ("minimal", "keep_tracks")}
    return base.replace(**chosen), settings.replace(keep_tracks=True)


class Service:
    """What ``spliceannot serve`` loads once for one model; ``lookup``/``batch``/``scores``
    answer as the lookup does under the model family's route (:attr:`family`)."""

    def __init__(self, reference: str, annotation: str, model: str = "spliceai",
                 transcripts: str = None, hg: str = "38", distance: int = None, mask: int = 0,
                 max_batch: int = 100, max_region: int = 10_000, max_work: int = 2_000_000,
                 cache_bytes: int = 64 << 20, deadline: float = 120.0, scorer: str = "fast",
                 device: str = "cpu", batch_size: int = 16, gene_set: str = "basic",
                 defaults: dict = None):
        opts = options.Options(reference=reference, annotation=annotation, model=model,
                               scorer=scorer, transcripts=transcripts, device=device,
                               batch_size=batch_size)
        # The run is assembled, and checked, as for score: the model's own scorer, the genes
        # through it (every transcript of a GTF, as the lookup scores them).
        self.session = Session.open(opts, keep_tracks=True, lookups=False, all_transcripts=True)
        self.reference, self.model = self.session.reference, self.session.model
        self.bases, self.bases_lock = Reference(reference), threading.Lock()  # for answers
        inner = self.session.scorer
        self.kind = family_of(inner)
        self.family = self.kind.route
        self.scorer = self.kind.wrap(inner)
        self.genes = self.session.genes
        self.described = described_genes(annotation, self.genes, inner)
        # One gene set per instance, as each of the lookup's services pins one (GENE_SET):
        # basic keeps the transcripts tagged "basic" where the annotation tags any (GENCODE).
        if gene_set not in BC:
            raise UsageError(f"--gene-set {gene_set}: basic or comprehensive")
        self.gene_set = gene_set
        basic = [g for g in getattr(self.genes, "genes", ()) if "basic" in g.tags]
        self.annotation = GeneTable(basic, name=f"{self.genes.name}:basic") \
            if gene_set == "basic" and basic else self.genes
        self.base = opts.replace(transcripts=self.session.transcripts)
        # Scoring options the server was started with: the defaults of requests that give none.
        self.defaults = dict(defaults or {})
        self.hg = str(hg)
        self.distance = profiles.PROFILES["lookup"]["distance"] if distance is None else distance
        self.mask = int(mask)
        self.max_batch, self.max_region, self.max_work = max_batch, max_region, max_work
        self.deadline = deadline
        self.chunk_work = CHUNK_WORK  # positions scored between two deadline checks
        self.cache = AnswerCache(cache_bytes)
        self.lock = FairLock()
        # the lookups opened for one (D, mask, options) mix, for the few latest mixes only
        self.lookups = Bounded(KEEP_SETTINGS, drop=lambda opened: [x.close() for x in opened])
        self.stats = {"computed": 0, "cache hits": 0, "cancelled": 0}
        self.placeholder = placeholder_variant(self.reference, self.annotation)

    def warm(self) -> None:
        """Load the model and build its engine before the first request (the lookup preloads
        too: no client waits for a model load, nor times out behind one)."""
        self._answers([self.placeholder], self.parameters({"hg": self.hg}), None,
                      [parse_variant(self.placeholder)[0]])
        self.cache.clear()

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
        bc = params.get("bc", self.gene_set)
        if bc not in BC:
            raise BadRequest(f'Invalid "bc" value: "{str(bc)[:20]}". The value must be either '
                             f'"basic" or "comprehensive". For example: {example}')
        if bc != self.gene_set:  # the lookup's self-hosted answer (400) to the other gene set
            raise BadRequest(f'This instance serves only the "{self.gene_set}" gene set, and this '
                             f'request asked for "{bc}". Start spliceannot serve with '
                             f'--gene-set {bc} to compute those annotations.')
        profile = "lookup" if self.family == SPLICEAI else None
        # the page's own parameters are no scoring options (its raw= is the typed text)
        asked = {k: v for k, v in params.items() if k not in PAGE_PARAMS}
        try:  # the other options a request may set, as declared (plugin ones too)
            settings = options.request_settings(asked, profile, {
                **getattr(self, "defaults", {}), "distance": distance, "mask": str(mask) == "1"})
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

    def parsed(self, text: str):
        """(Variant or None, (chrom, pos) or None): a variant, else a position-only query;
        neither is the lookup's 400."""
        variant, problem = parse_variant(text)
        if variant is not None:
            return variant, None
        position = parse_position(text)
        if position is None:
            raise BadRequest(f'Unable to parse "variant": "{text[:100]}". Expected either a '
                             f'chrom-pos-ref-alt variant (e.g. {self.placeholder}) or a chrom-pos '
                             f'position (e.g. {self.placeholder.rsplit("-", 2)[0]}) for REF-only '
                             f'scores.')
        if not self.kind.position_only:
            raise BadRequest(f"position-only (REF-only) queries are answered on /spliceai/, not "
                             f"/{self.family}/")
        return None, position

    # ---- answers ------------------------------------------------------------------------------

    def lookup(self, params: dict, started: float = None) -> dict:
        """The lookup's answer to one request (params as the lookup reads them)."""
        return strip_rows(self._one(params, started))

    def scores(self, params: dict, started: float = None) -> dict:
        """``/{family}/scores/?...&transcript=T``: the per-position rows of transcript T,
        from the same (cached) answer as the main route."""
        results = self._one(params, started)
        if "error" in results:
            raise BadRequest(results["error"])
        wanted = params.get("transcript")
        if not wanted or not isinstance(wanted, str):
            raise BadRequest('"transcript" not specified.')
        if results.get("isPositionOnly"):
            raise BadRequest("Per-position scores are not available for position-only queries.")
        for entry in results.get("scores") or []:
            if entry.get("t_id") == wanted:
                return {"transcript": wanted, "strand": entry.get("t_strand"),
                        "rows": entry.get("ALL_NON_ZERO_SCORES") or []}
        raise BadRequest(f'Transcript "{wanted[:60]}" not found in the results for this variant.')

    def _one(self, params: dict, started) -> dict:
        text = self.variant_text(params.get("variant", ""))
        variant, position = self.parsed(text)
        p = self.parameters(params)
        if position is not None:
            return self._respond(params, self._answers([text], p, started, [position])[0],
                                 position_only=True)
        return self._respond(params, self._answers([text], p, started, [variant])[0])

    def batch(self, params: dict, started: float = None) -> list:
        """One lookup answer per variant of ``params["variants"]``, scored in one pipeline call
        per chunk; a variant it cannot parse gets an error object in its place."""
        texts = params.get("variants")
        if texts is None:
            raise BadRequest('"variants" not specified: {"variants": ["chr16-262226-G-A", ...]}')
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadRequest('"variants" must be a list of strings')
        if len(texts) > self.max_batch:
            raise BadRequest(f"too many variants: {len(texts)} > {self.max_batch} per request")
        p = self.parameters(params)
        cleaned, parsed = [], []
        for t in texts:
            try:
                text = self.variant_text(t)
                variant, position = self.parsed(text)
                cleaned.append(text)
                parsed.append(variant if variant is not None else position)
            except BadRequest as exc:
                cleaned.append(exc)
        good = [t for t in cleaned if isinstance(t, str)]
        answers = self._answers(good, p, started, parsed)
        out, it = [], iter(answers)
        for t, raw in zip(cleaned, texts):
            if isinstance(t, BadRequest):
                out.append(self._respond({**params, "variant": raw},
                                         {"variant": raw, "source": self.family, "error": str(t)}))
            else:
                body = next(it)
                out.append(strip_rows(self._respond({**params, "variant": t}, body,
                                                    position_only=body.get("isPositionOnly"))))
        return out

    def _respond(self, params, results: dict, position_only=False) -> dict:
        """The lookup echoes some request parameters, then lays its results over them (a
        position-only answer echoes no mask: none was applied)."""
        echo = {k: params[k] for k in ("variant", "hg", "bc", "distance", "mask", "raw",
                                       "variant_consequence") if k in params}
        if position_only:
            echo.pop("mask", None)
        echo.update(results)
        return echo

    def _answers(self, texts, p, started, parsed) -> list:
        """Results dicts (the lookup's ``results``, rows kept) for variant texts and their parsed
        variants (or (chrom, pos) positions), cached answers reused. The model is taken one
        chunk at a time, in arrival order; past the deadline the request stops at the next
        chunk boundary with a 503 (the model goes to the next request)."""
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
            else:
                todo.append(i)
        costs = [work(parsed[i] if isinstance(parsed[i], Variant) else None, p["distance"])
                 for i in todo]
        if sum(costs) > self.max_work:
            raise BadRequest(f"too much work: {len(todo)} variants, {sum(costs)} positions "
                             f"(2D + 1 + inserted bases each) > {self.max_work} per request")
        for group in chunks(todo, costs, self.chunk_work):
            if not self.lock.acquire(timeout=self._in_time(started, out, len(texts))):
                self._stop(out, len(texts))
            try:
                scored = self._chunk(group, parsed, p)
            finally:
                self.lock.release()
            self._build(scored, texts, parsed, keys, p, out, started)
        if todo:
            trim()
        return out

    def _chunk(self, group, parsed, p) -> list:
        """Score one chunk (model lock held): (index, variant or None, Result or None) each."""
        variants = [parsed[i] if isinstance(parsed[i], Variant) else position_variant(
            self.reference, *parsed[i]) for i in group]
        scorable = [v for v in variants if v is not None]
        results = iter(self._score(scorable, p) if scorable else ())
        self.stats["computed"] += len(group)
        return [(i, v, next(results) if v is not None else None) for i, v in zip(group, variants)]

    def _in_time(self, started, out, n) -> float:
        """Seconds left before the deadline; past it, the request stops here with a 503."""
        left = self.deadline - (time.monotonic() - started)
        if left <= 0:
            self._stop(out, n)
        return left

    def _stop(self, out, n):
        self.stats["cancelled"] += 1
        raise BadRequest(f"no answer within the {self.deadline:g} s deadline (stopped after "
                         f"{sum(x is not None for x in out)} of {n})", status=503)

    def _build(self, scored, texts, parsed, keys, p, out, started) -> None:
        """The answers of a scored chunk, cached; outside the model lock, so the next request's
        model work overlaps this one's answer building (its own FASTA handle: pysam's is not
        thread-safe)."""
        for k, (i, variant, result) in enumerate(scored):
            if k:  # the chunk's first answer is built whatever the time: its work is done
                self._in_time(started, out, len(texts))
            with self.bases_lock:  # one variant at a time, so other requests' answers interleave
                if variant is None:
                    out[i] = {"variant": texts[i], "source": self.family,
                              "error": f"Unable to read the reference base at {texts[i]}"}
                elif isinstance(parsed[i], Variant):
                    out[i] = self._results(texts[i], variant, result, p)
                else:
                    out[i] = self._position_results(texts[i], variant, result, p)
            if "error" not in out[i]:
                self.cache.put(keys[i], json.dumps(out[i]))

    def _score(self, variants, p) -> list:
        """The pipeline's stages on these variants (lock held): one Result each, in the
        session's context for a request's settings (what the annotation refuses of them, such
        as -M 1 without splice sites, is a bad request)."""
        settings = p["settings"].replace(keep_tracks=True)
        try:
            ctx = self.session.context(settings, self.annotation)
        except UsageError as exc:
            raise BadRequest(str(exc)) from None
        lookups = self._lookups(ctx, p) if self.family == SPLICEAI else ()
        return score_chunk(variants, ctx, self.scorer, lookups)

    def _lookups(self, ctx, p) -> list:
        return self.lookups.get((p["distance"], p["mask"], p["bc"], p["extras"]),
                                lambda: self.session.request_lookups(ctx))

    def _results(self, text, variant, result: delta.Result, p) -> dict:
        """The lookup's ``results`` for one variant from its pipeline Result (lock held)."""
        label = f"{variant.chrom}-{variant.pos}-{variant.ref}-{variant.alts[0]}"
        actual = self._reference_allele(variant) if result.reason is not None else None
        if actual is not None and actual != variant.ref:
            build = "hg19" if self.hg == "37" else f"hg{self.hg}"
            return {"variant": text, "source": self.family,
                    "error": f"Unexpected reference allele in {label}: the {build} reference at "
                             f"{variant.chrom}:{variant.pos} is {actual}, not {variant.ref}"}
        scores, nonzero, strand, transcript = self.kind.body(result, variant, self.bases,
                                                             self.described)
        if result.reason is not None or not scores:
            return self._unscored(text, result, p)
        out = {"variant": text, "genomeVersion": self.hg, "chrom": lookup_chrom(variant.chrom),
               "pos": variant.pos, "ref": variant.ref, "alt": variant.alts[0],
               "distance": p["distance"], "mask": p["mask"], "scores": scores,
               "source": f"{self.family}:model", "allNonZeroScores": nonzero,
               "allNonZeroScoresStrand": strand, "allNonZeroScoresTranscriptId": transcript}
        if self.family == SPLICEAI:
            out.update({"sai10kPredictions": None, "sai10kPredictionsError": None})
        return out

    def _unscored(self, text, result, p) -> dict:
        why = result.detail or result.reason or "no transcript scored"
        return {"variant": text, "source": self.family,
                "error": f"The {self.model.name} model did not return any scores for {text}. This "
                         f"may be because the variant does not overlap any exons or introns "
                         f"defined by the '{p['bc']}' annotation ({self.genes.name}): {why}."}

    def _position_results(self, text, variant, result: delta.Result, p) -> dict:
        """The lookup's REF-only ``results`` for a position (scored as an SNV there: its REF
        tracks are the position's window)."""
        scores, rows, strand, transcript = answer.reference_body(result, variant.pos,
                                                                 self.bases)
        if result.reason is not None or not scores:
            return self._unscored(text, result, p)
        return {"variant": text, "genomeVersion": self.hg, "chrom": lookup_chrom(variant.chrom),
                "pos": variant.pos, "distance": p["distance"], "scores": scores,
                "source": f"{self.family}:model", "isPositionOnly": True,
                "allNonZeroScores": rows, "allNonZeroScoresStrand": strand,
                "allNonZeroScoresTranscriptId": transcript}

    def _reference_allele(self, variant):
        """The FASTA's bases under REF, or None where they cannot be compared (contig absent,
        REF past its end, N bases): the lookup's check lets those through to the model."""
        contig = self.bases.resolve(variant.chrom)
        if contig is None or variant.pos - 1 + len(variant.ref) > self.bases.length(contig):
            return None
        bases = self.bases.fetch(contig, variant.pos - 1,
                                     variant.pos - 1 + len(variant.ref)).upper()
        return None if "N" in bases else bases

    # ---- drawing and regions ------------------------------------------------------------------

    def plot_svg(self, params: dict) -> bytes:
        """The ``spliceannot plot`` figure of one variant and transcript, as SVG."""
        return regions.plot_svg(self, params)

    def region(self, text) -> dict:
        """``predict`` tracks of a region (transcript-masked, as :mod:`spliceannot.tracks`)."""
        return regions.region(self, text)


def strip_rows(body: dict) -> dict:
    """The HTTP answer: each transcript's ALL_NON_ZERO_SCORES stay in the cached copy (for
    ``/scores/``) and leave the main route's answer, as the lookup's server drops them."""
    for entry in body.get("scores") or []:
        entry.pop("ALL_NON_ZERO_SCORES", None)
    return body


def position_variant(reference, chrom, pos):
    """An SNV at a position-only query's base (its REF tracks are what the answer reads), or
    None where the FASTA has no A/C/G/T there."""
    contig = reference.resolve(chrom)
    if contig is None or not 1 <= pos <= reference.length(contig):
        return Variant(chrom, pos, "N", ["A"], line=1) if contig is None else None
    base = reference.fetch(contig, pos - 1, pos).upper()
    if base not in ("A", "C", "G", "T"):
        return None
    return Variant(chrom, pos, base, ["G" if base != "G" else "A"], line=1)


def placeholder_variant(reference, genes) -> str:
    """An SNV the loaded data scores: the base after the first internal exon end of the first
    gene whose window the FASTA holds (a donor's first intron base), changed to another base."""
    for gene in getattr(genes, "genes", ()):
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
