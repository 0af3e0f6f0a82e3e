"""Built-in lookup ``precomputed``: answers from ``--precomputed`` score files, the model the rest.

A record is a hit when the files hold an entry for every (ALT, entry name) pair the run's own
annotation gives it; its entries are then copied from the files and no model runs. Any other
record goes on whole (to the cache or the model), so every record is scored with one source.
Window checks (REF match, contig ends) still apply to hits, which the planning stage did.

A file is used only when its header shows it was made the way this run would score: the same
model, annotation and genome (by content hash: the genome's contig MD5s, see
:mod:`spliceannot.io.identity`) and every option that changes scores, as declared
(-D, -M, --raw values and --per-transcript names included, plugin options too, so a hit writes
what the model path would). A file without spliceannot's header lines (Illumina's published
scores) is taken only for runs with 1.3.1's defaults, where its entries can be what the run
would write: the ``spliceai`` model, -D 50, no option beyond 1.3.1 and -M 0, or -M 1 when the
file is named as Illumina names its masked files (``spliceai_scores.masked.*``; ``.raw.`` is
unmasked). Their headers state neither -D nor -M. ``--precomputed-trust`` takes such a file at
any -D, -M and model: the user vouches for it.
"""

import os

from spliceannot import options
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.lookup import Lookup

# What the pipeline records about the inputs, which a file's header must agree on besides the
# options that change scores; a key absent on both sides agrees. Not ``minimal`` (the writer's,
# not an option): a line of a minimal-alleles export is the score of exactly the spelling it
# shows, which is what a record spelled so gets; other records miss.
INPUTS = ("model_hash", "annotation_hash", "reference_hash", "transcripts")


class PrecomputedLookup(Lookup):
    name = "precomputed"
    description = "scores from bgzip+tabix SpliceAI VCFs (--precomputed); misses go on"
    order = 10

    def __init__(self, files):
        super().__init__()
        self.files = files

    @classmethod
    def open(cls, opts, ctx, run_info):
        paths = list(opts["precomputed"])
        if not paths:
            return None
        from spliceannot.lookup.precomputed import ScoreFiles

        files = ScoreFiles(paths)
        try:
            for f in files.files:
                check(f, run_info, trust=bool(opts["precomputed_trust"]))
        except UsageError:
            files.close()
            raise
        run_info["precomputed"] = ",".join(paths)
        return cls(files)

    def answer(self, plans, ctx):
        out = []
        # The chunk at once: each file is read forward in step with the input (a streaming join).
        founds = self.files.lookup_many([
            (p.variant.chrom, p.variant.pos, p.variant.ref, {a.upper() for a in p.variant.alts})
            for p in plans])
        for plan, found in zip(plans, founds):
            tasks = plan.tasks()
            scores = []
            for t in tasks:
                hit = found.get((t.alt.upper(), t.name or t.gene.name))
                if hit is None or hit.ds is None:
                    break
                scores.append(type(hit)(t.alt, t.name or t.gene.name, hit.ds, hit.dp,
                                        hit.raw if ctx.settings.raw else None, t.gene.transcript))
            if tasks and len(scores) == len(tasks):
                self.hits += 1
                out.append(plan.result(scores))
            else:
                self.misses += 1
                out.append(None)
        return out

    def timings(self):
        return {**super().timings(), **self.files.counts()}

    def close(self):
        self.files.close()


def published_mask(path: str):
    """-M of a file named as Illumina names its published scores (``spliceai_scores.masked.``
    or ``.raw.``), else None."""
    name = os.path.basename(path).lower()
    if ".masked." in name:
        return 1
    if ".raw." in name:
        return 0
    return None


def check(score_file, run_info: dict, trust: bool = False) -> None:
    """Refuse a file whose header says it was made other than this run would score, and a file
    without a header unless the run is 1.3.1's (or ``trust``)."""
    meta = score_file.meta
    scoring = [o.name for o in options.scoring()]
    if not meta:
        beyond = [o.name for o in options.scoring() if not o.always_recorded]
        asked = [k for k in beyond + ["transcripts"] if k in run_info]
        if asked:
            raise UsageError(f"precomputed scores {score_file.path} have no spliceannot header, "
                             f"so they cannot show they were made with "
                             f"{', '.join(asked)}; rerun without those options or use a file "
                             f"spliceannot made with them")
        if trust:
            return
        named = published_mask(score_file.path)
        masks = (0,) if named is None else (named,)
        differ = []
        if run_info.get("model") != "spliceai":
            differ.append(f"--model {run_info.get('model')}")
        if int(run_info.get("distance", 50)) != 50:
            differ.append(f"-D {run_info.get('distance')}")
        if int(run_info.get("mask", 0)) not in masks:
            differ.append(f"-M {run_info.get('mask')}")
        if differ:
            made = "-D 50 -M %d with the spliceai model" % masks[0]
            raise UsageError(f"precomputed scores {score_file.path} have no spliceannot header; "
                             f"taken as made with {made}"
                             f"{' (from its name)' if named is not None else ''}, not this run's "
                             f"{' '.join(differ)}; add --precomputed-trust if they were")
        return
    for key in INPUTS + tuple(scoring):
        want, have = run_info.get(key), meta.get(key)
        if key == "reference_hash" and want != have:
            if have is None and trust:
                continue  # made before headers named the genome; the user vouches for it
            raise UsageError(f"precomputed scores {score_file.path} "
                             + (f"were made on another reference sequence ({have}; this run's "
                                f"FASTA is {want})" if have is not None else
                                "do not record the reference sequence they were made on (an "
                                "older spliceannot made them); remake them, or add "
                                "--precomputed-trust if they were made on this FASTA"))
        if (want is None) != (have is None) or (want is not None and str(want) != have):
            raise UsageError(f"precomputed scores {score_file.path} were made with "
                             f"{key}={have if have is not None else '(unset)'}, this run uses "
                             f"{want if want is not None else '(unset)'}")


@hookimpl
def register_lookups(register):
    register(PrecomputedLookup)
