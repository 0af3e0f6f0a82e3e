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


OPTIONS = (
    # What is scored: inputs, recorded by the pipeline as names and content hashes.
    Option("reference", flags=("-R", "--reference"), required=True,
           help="reference FASTA (plain or bgzip, indexed)"),
    Option("annotation", flags=("-A", "--annotation"), required=True,
           help="gene annotation: grch37, grch38, a table, GTF or GFF3 path, or both-strands"),
    Option("model", "spliceai", help="model backend name or path (see 'spliceannot models')"),
    Option("transcripts", flags=("--transcripts",),
           help="GTF/GFF3 annotation: canonical (default), mane, all or locus"),
    # SpliceAI 1.3.1's own options: always in the header.
    Option("distance", 50, flags=("-D", "--distance"), min=0, scoring=True, always_recorded=True,
           profiles={"lookup": 500}, example=7,
           help="maximum distance between the variant and gained/lost splice site"),
    Option("mask", False, flags=("-M", "--mask"), zero_one=True, scoring=True,
           always_recorded=True, record=lambda v: int(bool(v)), profiles={"lookup": False},
           example=True, metavar="0|1",
           help="1: mask scores of annotated-site gains and unannotated-site losses"),
    # Beyond 1.3.1: each off by default, in the header when on.
    Option("per_transcript", False, scoring=True, profiles={"lookup": True}, example=True,
           help="one entry per transcript, named SYMBOL/TRANSCRIPT (GTF input: every transcript)"),
    Option("mask_mode", "nearest", scoring=True, choices=("nearest", "positionwise"),
           check=_needs_mask, example={"mask": True, "mask_mode": "positionwise"},
           help="with -M 1: nearest (1.3.1) or positionwise (mask each position before the "
                "maximum)"),
    Option("pad_ends", False, scoring=True, profiles={"lookup": True}, example=True,
           help="N-pad windows past contig ends instead of skipping the record"),
    Option("trim_alleles", False, scoring=True, profiles={"lookup": True}, example=True,
           help="trim bases REF and ALT share and score MNVs/delins (1.3.1 leaves them '.')"),
    Option("raw", False, scoring=True, profiles={"lookup": True}, example=True,
           help="append REF and ALT probabilities at each DP to every entry"),
    # How a delins meets the REF track with --trim-alleles (delta.Settings.delins_rule): "pair"
    # (bases paired in order), "strongest-ref" (SpliceAI-lookup's current scoring: the change
    # sits at the strongest REF base, the other REF bases keep their values) or "first-base"
    # (the lookup's earlier rule: the maximum ALT value on the first REF base).
    Option("delins_rule", "pair", scoring=True, choices=("pair", "strongest-ref", "first-base"),
           check=_needs_trimming, profiles={"lookup": "strongest-ref"},
           example={"trim_alleles": True, "delins_rule": "strongest-ref"},
           help="with --trim-alleles: how a delins meets the REF track: pair (bases in order), "
                "strongest-ref (SpliceAI-lookup's current rule) or first-base (its earlier one)"),
    # Stored scores consulted before the model (the lookups).
    Option("precomputed", (), multiple=True, metavar="FILE",
           help="bgzip+tabix SpliceAI VCF whose scores are used where it has every entry of a "
                "record (repeatable)"),
    Option("precomputed_trust", False,
           help="take --precomputed files without spliceannot's header at this run's -D, -M "
                "and model (by default only at -D 50 -M 0 with spliceai; -M 1 for Illumina's "
                "*.masked.* files)"),
    Option("score_cache", check=_directory, metavar="DIR",
           help="directory of a persistent cache of computed scores (keyed by model, "
                "annotation, genome and every option that changes scores)"),
    # How the model runs: exact whatever the values (but --precision other than fp32).
    Option("scorer", "fast", help="scorer plugin: fast (default) or delta (per-window "
                                  "reference path)"),
    Option("chunk_size", 64, min=1, help="records scored together"),
    Option("device", "cpu", choices=("cpu", "cuda", "auto"),
           help="engine device: cpu, cuda or auto"),
    # Not torch's default (every core): on a shared node that oversubscribes the other jobs.
    Option("threads", type=int, min=1,
           help="CPU threads for torch (default: the CPUs this process may use, at most 4)"),
    Option("batch_size", 16, min=1, help="ALT windows per engine batch"),
    Option("precision", "fp32", choices=("fp32", "tf32", "bf16", "fp16"),
           help="fp32 (exact), tf32, bf16 or fp16"),
    # How the run is written.
    Option("format", help="writer: vcf (.vcf, .vcf.gz, .bcf), tsv, jsonl or vep, or a "
                          "plugin's (default: from the output name)"),
    Option("write_index", False, flags=("-W", "--write-index"),
           help="index the output as bcftools -W does: .vcf.gz gets .tbi (.csi past 512 Mb "
                "contigs), .bcf gets .csi"),
    Option("rejects", metavar="TSV",
           help="write every unscored record and ALT, with its reason, to this TSV"),
    Option("skip_malformed", False,
           help="leave lines the VCF parser cannot read out of the output (counted, sent to "
                "--rejects) instead of stopping"),
    Option("resume", False, help="continue an interrupted run from OUT.partial"),
    Option("progress", type=bool, flags=(),
           help="progress on stderr; None: a bar on a terminal, a line every 30 s otherwise "
                "(score -q: off)"),
)


@hookimpl(tryfirst=True)
def register_options(register):
    for option in OPTIONS:
        register(option)
