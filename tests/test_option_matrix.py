"""The option matrix: every scoring option x every scorer and lookup x every writer.

Each cell's output, parsed field by field, must equal the ``delta`` scorer's for the same option
and writer, or the run must stop with a one-line usage error (exit code 2) before any output is
opened. The tables below are checked against the registry and the ``score`` command's
parameters; every declared option that changes scores (a plugin's too) gets its row from its
declaration, so a new option, writer, scorer or lookup cannot be added without entering them.
The breadth runs on the seeded 80-nt test model; ``test_real_model_every_kind`` runs a handful
of records of every kind through the real SpliceAI model.
"""

import gzip
import inspect
import json
import os

import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE, DATA
from spliceannot import options as declarations
from spliceannot import registry
from spliceannot.errors import UsageError
from spliceannot.plugins import load_plugins_dir
from spliceannot.io.reference import Reference
from spliceannot.pipeline import Options, score_file
from spliceannot.profiles import PROFILES

PLUGINS = DATA / "plugins"
MODEL = "tiny-dir"  # seeded random SpliceNet, 80 nt of context: loadable by Ray workers too
# The plugins dir also declares --demo-scale, an option that changes scores: it joins the rows
# below as every declared one does. Loaded now, since the rows are made when tests are collected.
load_plugins_dir(PLUGINS)


# Scorers and lookups: each cell of a row is run every way and compared with "delta".
SCORER_COLUMNS = ("fast", "delta", "precomputed hit", "precomputed miss", "cache cold",
                  "cache warm", "ray")


def option_rows() -> dict:
    """One row per declared option that changes scores, from its declaration's ``example`` (a
    value, or the options of the row), named as the command line spells it."""
    rows = {}
    for option in declarations.scoring():
        if option.scorers and not set(option.scorers) & set(SCORER_COLUMNS):
            continue  # a plugin scorer's own option (Pangolin's): tested with that plugin
        assert option.example is not None, f"option {option.name}: declare an example for its row"
        values = option.example if isinstance(option.example, dict) \
            else {option.name: option.example}
        name = " ".join(filter(None, (declarations.get(k).spell(v) for k, v in values.items())))
        rows[name] = values
    return rows


# Rows that are not one option: inputs (-A) and the runs' own parameters.
EXTRA_ROWS = {
    "-A both-strands": {"annotation": "both-strands"},
    "-A GTF": {"annotation": str(CHR16_GTF)},
    "-A GTF --transcripts all --per-transcript": {"annotation": str(CHR16_GTF),
                                                  "transcripts": "all", "per_transcript": True},
    "--chunk-size 2": {"chunk_size": 2},
    "--profile lookup": dict(PROFILES["lookup"]),
}
# Scoring options: one row each, as the command line spells them -> Options fields.
OPTION_ROWS = {"defaults": {}, **option_rows(), **EXTRA_ROWS}
# Output names per registered writer (the writer follows the name).
WRITER_FILES = {"vcf": ("out.vcf", "out.vcf.gz", "out.bcf"), "tsv": ("out.tsv",),
                "jsonl": ("out.jsonl",), "vep": ("out.vep.vcf.gz",)}
OUTPUTS = [name for names in WRITER_FILES.values() for name in names]

# The parameters of `spliceannot score` that are not options of a run, and where the matrix
# covers them.
RUN_PARAMETERS = {
    "input_path": "every cell", "input_opt": "every cell (same value as IN)",
    "output": "writer axis", "output_type": "tests/cli/test_newcomer.py (-O v|z|b|PATH)",
    "profile": "row --profile lookup",
    "summary_json": "test_cli", "quiet": "logging only",
}
# Declared options that do not change scores, and where they are covered. (Those that change
# scores have a row each, from their declaration.)
OTHER_OPTIONS = {
    "reference": "every cell", "annotation": "rows -A both-strands, -A GTF",
    "model": "every cell (tiny-dir); test_real_model_every_kind (spliceai)",
    "transcripts": "row --transcripts all", "format": "writer axis (inferred from the name here)",
    "scorer": "columns fast, delta", "precomputed": "columns precomputed hit/miss",
    "score_cache": "columns cache cold/warm", "chunk_size": "row --chunk-size 2",
    "device": "cpu here; cuda in test_engine -m gpu",
    "threads": "torch threads only",
    "write_index": "tests/cli/test_newcomer.py (-W on .vcf.gz and .bcf; refused elsewhere)", "batch_size": "test_engine (batching is exact)",
    "precision": "fp32 here; bf16/fp16/tf32 trade exactness by design (test_engine)",
    "rejects": "test_scoring (a second output)", "skip_malformed": "test_bad_inputs",
    "resume": "test_resume (vcf only: declared)", "progress": "tests/cli/test_newcomer.py (plain lines without a terminal; -q: off)",
    "plugins_dir": "every cell (the test model comes from a plugins dir)",
    "engine": "column ray", "shards": "column ray (2 shards)", "workers": "column ray",
    "address": "column ray (local instance; a cluster address is not testable here)",
    "precomputed_trust": "test_precomputed (files without spliceannot's header; the matrix's "
                         "files have it)",
}


def ray_cells():
    """Ray is slow to start a job on 2 cores: each row meets Ray once, on a writer picked in
    turn, and each writer's file kinds meet Ray on the defaults row."""
    cells = {("defaults", name) for name in OUTPUTS}
    mergeable = ["out.vcf", "out.tsv", "out.jsonl", "out.vep.vcf.gz"]
    for i, row in enumerate(OPTION_ROWS):
        cells.add((row, mergeable[i % len(mergeable)]))
    return cells


# ---- the records: every kind of variant -----------------------------------------------------

def records(ref) -> list:
    """(pos, REF, ALTs, what) with REF read from the FASTA (except the mismatch)."""
    def s(pos, n=1):
        return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()

    def other(b):
        return "A" if b != "A" else "C"

    p = 12240
    return [
        (97420, s(97420), [other(s(97420))], "SNV, plus-strand gene"),
        (12270, s(12270), [other(s(12270)), "G" if s(12270) != "G" else "T", "<DEL>"],
         "multi-ALT SNVs and a symbolic ALT, two minus-strand transcripts"),
        (97430, s(97430), [s(97430) + "AGGT"], "insertion"),
        (12250, s(12250, 3), [s(12250)], "deletion"),
        (12230, s(12230, 2), [s(12230) + other(s(12231))], "MNV with a shared first base"),
        (97440, s(97440, 2), [other(s(97440)) + other(s(97441))], "MNV"),
        (97450, s(97450, 3), [other(s(97450)) + "GT"], "delins"),
        (p, s(p, 2), [s(p, 2) + s(p + 1)], "insertion spelled with a shared suffix (CT>CTT)"),
        (97460, s(97460, 3), [s(97460, 2)], "deletion spelled with extra bases (AGG>AG)"),
        (97470, s(97470, 2), [s(97470), s(97470, 2) + "A", other(s(97470)) + s(97471), "*"],
         "multi-ALT: deletion, MNV-shaped insertion, MNV-shaped SNV, spanning deletion"),
        (44000, s(44000), [other(s(44000))], "no gene"),
        (97480, other(s(97480)), [s(97480)], "REF mismatch"),
        (210100, s(210100), [other(s(210100))], "gene near the contig end"),
    ]


def write_vcf(path, recs):
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, (pos, ref, alts, _) in enumerate(sorted(recs)):  # sorted: precomputed files index it
        lines.append(f"chr16\t{pos}\trs{i}\t{ref}\t{','.join(alts)}\t.\t.\t.")
    path.write_text("\n".join(lines) + "\n")


# ---- parsing each output field by field -----------------------------------------------------

def parse(path):
    name = str(path)
    if name.endswith(".vep.vcf.gz"):
        with gzip.open(path, "rt") as handle:
            return [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]
    if name.endswith((".vcf", ".vcf.gz", ".bcf")):
        import pysam

        with pysam.VariantFile(name) as vf:
            return [(r.chrom, r.pos, r.id, r.ref, r.alts,
                     [e.split("|") for e in r.info["SpliceAI"]] if "SpliceAI" in r.info else None)
                    for r in vf]
    if name.endswith(".tsv"):
        lines = [line.rstrip("\n").split("\t") for line in open(path)
                 if not line.startswith("##")]
        header, rows = lines[0], lines[1:]
        assert all(len(row) == len(header) for row in rows), "rows and header differ in width"
        return [dict(zip(header, row)) for row in rows]
    if name.endswith(".jsonl"):
        lines = [json.loads(line) for line in open(path)]
        assert "spliceannot" in lines[0]
        return lines[1:]
    raise AssertionError(f"no parser for {name}")


def scored_entries(parsed) -> int:
    """How many entries with numbers an output holds, whatever its layout."""
    n = 0
    for r in parsed:
        if isinstance(r, tuple):  # VCF/BCF
            n += sum(e[2] != "." for e in r[5] or ())
        elif isinstance(r, list):  # vep: a line is one scored entry
            n += 1
        elif "STATUS" in r:  # tsv
            n += r["STATUS"] == "scored" and r["DS_AG"] != "."
        else:  # jsonl
            n += sum("DS_AG" in e for e in r.get("scores", ()))
    return n


# ---- running cells --------------------------------------------------------------------------

def options(row, **kw):
    base = {"reference": str(CHR16_FASTA), "annotation": str(CHR16_TABLE), "model": MODEL,
            "progress": False}
    return Options(**{**base, **OPTION_ROWS[row], **kw})


def index_vcf(path):
    import pysam

    pysam.tabix_index(str(path), preset="vcf", force=True)
    return str(path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    load_plugins_dir(PLUGINS)
    root = tmp_path_factory.mktemp("matrix")
    ref = Reference(str(CHR16_FASTA))
    recs = records(ref)
    ref.close()
    vcf = root / "in.vcf"
    write_vcf(vcf, recs)
    empty = root / "empty.vcf"
    write_vcf(empty, [])
    return root, vcf, empty, recs


def precomputed_files(setup, row, tmp):
    """A score file of every record made by ``delta`` with the row's options (hits), and one
    made from no records (misses), both bgzip + tabix as --precomputed wants them."""
    _, vcf, empty, _ = setup
    files = {}
    for column, source in (("precomputed hit", vcf), ("precomputed miss", empty)):
        pre = tmp / f"{column.replace(' ', '-')}.vcf.gz"
        score_file(str(source), str(pre), options(row, scorer="delta"))
        files[column] = index_vcf(pre)
    return files


def run_cell(setup, row, column, output, tmp, files=None):
    """Run one cell into ``tmp / output``; returns the summary, or the UsageError it raised.
    "cache warm" reuses the cache its "cache cold" cell (run first) filled in ``tmp/..``."""
    _, vcf, _, _ = setup
    out = tmp / output
    try:
        if column in ("fast", "delta"):
            return score_file(str(vcf), str(out), options(row, scorer=column))
        if column.startswith("precomputed"):
            return score_file(str(vcf), str(out), options(row, precomputed=(files[column],)))
        if column.startswith("cache"):
            cache = tmp.parent / "cache"
            return score_file(str(vcf), str(out), options(row, score_cache=str(cache)))
        if column == "ray":
            from spliceannot.scale.distributed import score_distributed

            return score_distributed(str(vcf), str(out), options(row), shards=2,
                                     plugins_dirs=[PLUGINS], workers=2)
    except UsageError as exc:
        return exc
    raise AssertionError(f"unknown column {column}")


def check_cell(summary, row, column, output, tmp, want):
    out = tmp / output
    if isinstance(summary, UsageError):
        assert summary.exit_code == 2 and "\n" not in str(summary)
        assert not os.path.exists(out) and not os.path.exists(str(out) + ".partial"), \
            "a refused run opened its output"
        return "refused"
    got = parse(out)
    assert got == want, f"{row} x {column} x {output}: differs from delta"
    timings = summary.timings
    if column == "precomputed hit":
        assert timings.get("precomputed hits", 0) > 0
        # A minimal-alleles writer scores CT>CTT as C>CT, which a file of the spelling as
        # written has as '.': such records miss and go to the model.
        if not output.endswith(".vep.vcf.gz"):
            assert timings.get("precomputed misses") == 0
    if column == "precomputed miss":
        assert timings.get("precomputed hits") == 0
    if column == "cache cold":
        assert timings.get("cache hits") == 0 and timings.get("cache misses", 0) > 0
    if column == "cache warm":
        assert timings.get("cache hits", 0) > 0 and timings.get("cache misses") == 0
    return "equal"


# ---- the tables are complete ----------------------------------------------------------------

def test_every_writer_scorer_and_lookup_is_in_the_matrix():
    assert set(registry.writers().names()) == set(WRITER_FILES)
    # Scorers with entries of their own (a model names them) are tested by their plugins; the
    # demo-scale scorer of the plugins dir only exists to read --demo-scale (test_options).
    assert {n for n, s in registry.scorers().items.items() if s.output is None} - {
        "demo-scale"} <= set(SCORER_COLUMNS)
    assert {f"{name} hit" for name in registry.lookups().names() if name != "cache"} | {
        f"{name} cold" for name in registry.lookups().names() if name == "cache"} <= set(
        SCORER_COLUMNS)
    for writer in registry.writers().values():
        for name in WRITER_FILES[writer.name]:
            assert any(name.endswith(s) for s in writer.suffixes), (writer.name, name)


def test_every_score_option_is_in_the_matrix():
    """Every parameter of `score` is a declared option or a run parameter; every declared option
    that changes scores has a row (from its declaration), every other one a note here."""
    from spliceannot.cli.score import build

    params = set(inspect.signature(build()).parameters)
    declared = set(declarations.declared())
    assert params - declared == set(RUN_PARAMETERS)
    # A plugin scorer's own options (Option.scorers: Pangolin's) are that plugin's to test.
    scoring = {o.name for o in declarations.scoring()
               if not o.scorers or set(o.scorers) & set(SCORER_COLUMNS)}
    covered = {name for row in option_rows().values() for name in row}
    assert scoring <= covered
    scoring = {o.name for o in declarations.scoring()}
    assert declared - scoring == set(OTHER_OPTIONS), (
        f"enter these in the matrix: {sorted(declared - scoring - set(OTHER_OPTIONS))}; "
        f"gone: {sorted(set(OTHER_OPTIONS) - (declared - scoring))}")


def test_a_plugin_option_joins_the_matrix():
    assert OPTION_ROWS["--demo-scale 0.5"] == {"demo_scale": 0.5}
    assert OPTION_ROWS["-M 1 --mask-mode positionwise"] == {"mask": True,
                                                            "mask_mode": "positionwise"}
    assert {"-D 7", "-M 1", "--per-transcript", "--trim-alleles", "--raw", "--pad-ends",
            "--trim-alleles --delins-rule strongest-ref"} <= set(OPTION_ROWS)


def test_every_row_meets_ray():
    rows = {row for row, _ in ray_cells()}
    assert rows == set(OPTION_ROWS)
    assert {name for _, name in ray_cells()} == set(OUTPUTS)


# ---- the matrix -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance for every Ray cell (each run would otherwise start its own)."""
    try:
        import ray
    except ImportError:  # the Ray column is left out; every other cell still runs
        yield False
        return
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING,
             log_to_driver=False)
    yield True
    ray.shutdown()


@pytest.mark.parametrize("row", list(OPTION_ROWS))
def test_matrix_row(setup, ray_instance, row, tmp_path):
    outcomes = {}
    files = precomputed_files(setup, row, tmp_path)
    for output in OUTPUTS:
        cell = tmp_path / output.replace(".", "_")
        base_dir = cell / "delta-base"
        base_dir.mkdir(parents=True)
        base = run_cell(setup, row, "delta", output, base_dir)
        assert not isinstance(base, UsageError), f"{row} x {output}: {base}"
        want = parse(base_dir / output)
        assert len(want) and scored_entries(want) > 0, "a cell with nothing scored proves little"
        for column in SCORER_COLUMNS:
            if column == "delta":
                continue
            if column == "ray" and (not ray_instance or (row, output) not in ray_cells()):
                continue
            tmp = cell / column.replace(" ", "_")
            tmp.mkdir()
            summary = run_cell(setup, row, column, output, tmp, files)
            outcomes[(column, output)] = check_cell(summary, row, column, output, tmp, want)
    refused = {k for k, v in outcomes.items() if v == "refused"}
    # Only Ray refuses, and only the output it cannot merge bit for bit (binary BCF).
    assert refused == {("ray", o) for o in ("out.bcf",)
                       if ("ray", o) in outcomes}, refused


def test_records_in_equal_records_out(setup, tmp_path):
    """Every input record is in every per-record output, whatever happened to it."""
    _, vcf, _, recs = setup
    for output in ("out.vcf", "out.bcf", "out.jsonl"):
        score_file(str(vcf), str(tmp_path / output), options("--trim-alleles"))
        assert len(parse(tmp_path / output)) == len(recs)


def test_trim_alleles_fast_scores_mnv_with_shared_first_base(setup, tmp_path):
    """chr16 12230 TT>TA with --trim-alleles on the fast scorer: scored, as delta scores it."""
    _, vcf, _, recs = setup
    got = {}
    for scorer in ("fast", "delta"):
        score_file(str(vcf), str(tmp_path / f"{scorer}.jsonl"),
                   options("--trim-alleles", scorer=scorer))
        got[scorer] = [r for r in parse(tmp_path / f"{scorer}.jsonl") if r["pos"] == 12230]
    assert got["fast"] == got["delta"]
    entries = got["fast"][0]["scores"]
    assert entries and all("DS_AG" in e for e in entries)  # scored, not '.'


# ---- the real model ---------------------------------------------------------------------------

def test_real_model_every_kind(spliceai_model, setup, tmp_path):
    """The real SpliceAI model: every kind of record, fast == delta, under the rows that change
    what is scored, on the VCF writer; at the defaults also on the minimal-alleles export (the
    other file kinds share these writers' code, and a writer only renders the entries both
    scorers hand it: the tiny model's matrix rows cover every writer)."""
    _, vcf, _, _ = setup
    cells = [(row, "out.vcf") for row in ("defaults", "--trim-alleles", "--raw")]
    cells += [("defaults", "out.vep.vcf.gz")]
    for row, output in cells:
        parsed = {}
        for scorer in ("fast", "delta"):
            out = tmp_path / f"{scorer}-{row.strip('-')}-{output}"
            score_file(str(vcf), str(out), options(row, model="spliceai", scorer=scorer))
            parsed[scorer] = parse(out)
        assert parsed["fast"] == parsed["delta"], (row, output)
        assert scored_entries(parsed["delta"]) > 0
