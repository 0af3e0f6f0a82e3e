"""Built-in options: every option of ``spliceannot score`` and ``Options(...)``, declared once.

Adding a built-in option is its declaration here plus the code that reads it (``opts["name"]``
or ``ctx.settings["name"]``); the command line, ``--help``, profiles, the output header,
precomputed and cache matching, ``--resume``, ``serve`` and the option matrix follow from it.
Defaults keep SpliceAI 1.3.1's behaviour; ``profiles={"lookup": ...}`` is what ``--profile
lookup`` sets (SpliceAI-lookup's numbers, see :mod:`spliceannot.profiles`).
"""

import os

from spliceannot.hookspecs import hookimpl
from spliceannot.options import Option


def _needs_mask(value, opts):
    if value != "nearest" and not opts.mask:
        return f"--mask-mode {value} needs -M 1"
    return None


def _needs_trimming(value, opts):
    if value != "pair" and not opts.trim_alleles:
        return f"the {value} delins rule needs --trim-alleles (delins are '.' without it)"
    return None


def _directory(value, opts):
    if value and os.path.exists(value) and not os.path.isdir(value):
        return f"--score-cache {value}: is a file; give a directory (it is created if missing)"
    return None


def _engine(value, opts):
    if value not in ("local", "ray"):
        return f"--engine must be local or ray, got {value!r}"
    return None


def _needs_ray(value, opts):
    if value and opts.engine != "ray":
        return "--address needs --engine ray"
    return None


OPTIONS = (
    # What is scored: inputs, recorded by the pipeline as names and content hashes.
    Option("reference", flags=("-R", "--reference"), required=True, group="input", role="input",
           metavar="FASTA", help="reference FASTA (plain or bgzip, indexed)"),
    Option("annotation", flags=("-A", "--annotation"), required=True, group="input",
           role="input", metavar="NAME|FILE",
           help="grch37, grch38, GTF/GFF3/table or both-strands"),
    Option("model", "spliceai", group="input", role="input", metavar="NAME|DIR",
           help="model name or checkpoint directory"),
    Option("transcripts", flags=("--transcripts",), group="input", metavar="POLICY",
           help="GTF/GFF3: canonical (default), mane, all, locus"),
    Option("plugins_dir", flags=("--plugins-dir",), group="input", role="directory", metavar="DIR",
           help="also load plugins from this directory"),
    # SpliceAI 1.3.1's own options: always in the header.
    Option("distance", 50, flags=("-D", "--distance"), min=0, scoring=True, always_recorded=True,
           profiles={"lookup": 500}, example=7, metavar="N",
           help="max distance to a gained/lost splice site"),
    Option("mask", False, flags=("-M", "--mask"), zero_one=True, scoring=True,
           always_recorded=True, record=lambda v: int(bool(v)), profiles={"lookup": False},
           example=True, metavar="0|1",
           help="1: mask annotated gains, unannotated losses"),
    # Beyond 1.3.1: each off by default, in the header when on.
    Option("per_transcript", False, scoring=True, profiles={"lookup": True}, example=True,
           help="one entry per transcript (SYMBOL/TRANSCRIPT)"),
    Option("mask_mode", "nearest", scoring=True, choices=("nearest", "positionwise"),
           check=_needs_mask, example={"mask": True, "mask_mode": "positionwise"},
           metavar="MODE", help="with -M 1: nearest (1.3.1) or positionwise"),
    Option("pad_ends", False, scoring=True, profiles={"lookup": True}, example=True,
           help="N-pad windows past contig ends (else skip)"),
    Option("trim_alleles", False, scoring=True, profiles={"lookup": True}, example=True,
           help="trim shared bases; score MNVs and delins"),
    Option("raw", False, scoring=True, profiles={"lookup": True}, example=True,
           help="append REF/ALT probabilities at each DP"),
    # How a delins meets the REF track with --trim-alleles (delta.Settings.delins_rule): "pair"
    # (bases paired in order), "strongest-ref" (SpliceAI-lookup's current scoring: the change
    # sits at the strongest REF base, the other REF bases keep their values) or "first-base"
    # (the lookup's earlier rule: the maximum ALT value on the first REF base).
    Option("delins_rule", "pair", scoring=True, choices=("pair", "strongest-ref", "first-base"),
           check=_needs_trimming, profiles={"lookup": "strongest-ref"},
           example={"trim_alleles": True, "delins_rule": "strongest-ref"}, metavar="RULE",
           help="delins: pair, strongest-ref or first-base"),
    # The scorer: how plan/run/finish are done; recorded in the header, so a scoring choice.
    Option("scorer", "fast", group="scoring", choices_from="scorers", metavar="NAME",
           help="scorer plugin"),
    # Stored scores consulted before the model (the lookups).
    Option("precomputed", (), multiple=True, metavar="FILE", group="lookup", role="input",
           help="bgzip+tabix SpliceAI VCF to take scores from (repeatable)"),
    Option("precomputed_trust", False, group="lookup",
           help="use --precomputed files without our header"),
    Option("score_cache", check=_directory, metavar="DIR", group="lookup", role="directory",
           help="directory of a persistent cache of computed scores"),
    # How the model runs: exact whatever the values (but --precision other than fp32).
    Option("chunk_size", 64, min=1, metavar="N", help="records scored together"),
    Option("device", "cpu", choices=("cpu", "cuda", "auto"), metavar="DEV",
           help="engine device: cpu, cuda or auto"),
    # Not torch's default (every core): on a shared node that oversubscribes the other jobs.
    Option("threads", type=int, min=1, metavar="N",
           help="CPU threads for torch (default: usable CPUs, at most 4)"),
    Option("batch_size", 16, min=1, metavar="N", help="ALT windows per engine batch"),
    Option("precision", "fp32", choices=("fp32", "tf32", "bf16", "fp16"), metavar="P",
           help="fp32 (exact), tf32, bf16 or fp16"),
    Option("progress", type=bool, flags=(),
           help="progress on stderr; None: a bar on a terminal, a line every 30 s otherwise "
                "(score -q: off)"),
    # How the run is written.
    Option("format", group="output", choices_from="writers", metavar="NAME",
           help="writer (default: from -o)"),
    Option("write_index", False, flags=("-W", "--write-index"), group="output",
           help="index .vcf.gz (.tbi) or .bcf (.csi), as bcftools -W"),
    Option("rejects", metavar="TSV", group="output", role="output",
           help="write unscored records and their reasons here"),
    Option("skip_malformed", False, group="output",
           help="drop unreadable lines (counted) instead of stopping"),
    Option("resume", False, group="output", help="continue an interrupted run from OUT.partial"),
    # Where the run goes: this machine, or region shards on Ray workers merged in input order.
    Option("engine", "local", group="distributed", check=_engine, metavar="NAME",
           help="local, or ray: region shards on Ray workers"),
    Option("address", group="distributed", metavar="ADDR", check=_needs_ray,
           help="Ray cluster address (default: a local Ray)"),
    Option("shards", 4, min=1, group="distributed", metavar="N",
           help="region shards the input is split into"),
    Option("workers", 2, min=1, group="distributed", metavar="N",
           help="CPUs of the local Ray instance"),
)


@hookimpl(tryfirst=True)
def register_options(register):
    for option in OPTIONS:
        register(option)
