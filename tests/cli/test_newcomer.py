"""A newcomer's first hour, scripted on the bundled example: the habits of bcftools and SpliceAI
users work, long runs talk in logs, every output gets the umask's mode, and the small
inconsistencies a first user trips over are gone."""

import gzip
import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.request

import pytest

from support.cli import error_line
from support.pangolin import pangolin_helpers
from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, EXAMPLES, REPO
from support.serving import free_port

DEMO = EXAMPLES / "chr16_demo.vcf"
TINY = ("--model", "tiny-dir", "--plugins-dir", str(DATA / "plugins"))  # an 80-nt test model
BASE = ("-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE))

# `--help` line budgets at COLUMNS=100, options in panels (Input, Scoring, Output, ...); plot and
# serve take the input, scoring and engine groups as score does (tests/cli/test_help.py).
SCORE_HELP_LINES = 64
HELP_LINES = {"": 40, "score": SCORE_HELP_LINES, "predict": 50, "plot": 50, "serve": 61,
              "precompute": 53, "models": 12, "plugins": 12, "train": 24}


def run(*args, env=None, umask=None, cwd=None, **kwargs):
    full = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
        **(env or {}))
    return subprocess.run([sys.executable, "-m", "spliceannot", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, env=full,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
                          **kwargs)


def body(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        return [line for line in handle if not line.startswith("#")]


# ---- the basics -------------------------------------------------------------------------------

def test_version():
    from spliceannot import __version__

    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"spliceannot {__version__}"


@pytest.mark.parametrize("command", sorted(HELP_LINES))
def test_help_fits_its_budget(command):
    r = run(*command.split(), "--help", env={"COLUMNS": "100"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.rstrip("\n").splitlines()
    assert 5 < len(lines) <= HELP_LINES[command], f"{command} --help: {len(lines)} lines"
    assert max(len(l.rstrip()) for l in lines) <= 100


def test_completion_is_offered():
    r = run("--help", env={"COLUMNS": "100"})
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


def all_exit_codes() -> set:
    """Every exit status the code can end with: the error classes' and main()'s own."""
    import spliceannot.pipeline  # noqa: F401  (defines Interrupted)
    import spliceannot.scale.distributed  # noqa: F401
    from spliceannot.errors import SpliceannotError

    found, todo = set(), [SpliceannotError]
    while todo:
        cls = todo.pop()
        found.add(cls.exit_code)
        todo.extend(cls.__subclasses__())
    source = (REPO / "spliceannot" / "cli" / "__init__.py").read_text()
    found |= {int(c) for c in re.findall(r"sys\.exit\((\d+)\)", source)}
    return found | {0}


def test_exit_code_table_is_the_same_in_code_help_and_readme():
    from spliceannot.errors import EXIT_CODES

    assert set(EXIT_CODES) == all_exit_codes()
    help_text = " ".join(run("--help", env={"COLUMNS": "200"}).stdout.split())
    readme = (REPO / "README.md").read_text()
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme.split("## Exit codes", 1)[1],
                            re.M))
    assert {int(k): v for k, v in table.items()} == EXIT_CODES
    for code, text in EXIT_CODES.items():
        assert f"{code} {text}" in help_text


def test_input_errors_come_before_torch(tmp_path):
    """A mistyped path is reported without importing torch (which takes seconds)."""
    script = (
        "import sys\n"
        "from spliceannot.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, 'torch' in sys.modules, 'cyvcf2' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cases = [
        (["score", str(tmp_path / "nope.vcf"), *BASE], "input VCF", 5),
        (["score", str(DEMO), "-R", str(tmp_path / "nope.fa"), "-A", str(CHR16_TABLE)],
         "reference FASTA", 5),
        (["score", str(DEMO), "-R", str(CHR16_FASTA), "-A", str(tmp_path / "genes.gtf")],
         "neither a file nor a registered source", 2),
        (["score", str(DEMO), "-A", str(CHR16_TABLE)], "-R", 2),
    ]
    for argv, words, code in cases:
        r = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
        assert r.stdout.strip() == f"exit {code} False False", (argv, r.stdout, r.stderr)
        assert words in r.stderr


# ---- bcftools' -O and -W ----------------------------------------------------------------------

def test_output_type_and_index(tmp_path):
    """-O z -o x.vcf.gz -W writes x.vcf.gz and its index; -O b -W a BCF and its .csi."""
    for letter, name, index in (("z", "x.vcf.gz", "x.vcf.gz.tbi"), ("b", "x.bcf", "x.bcf.csi")):
        r = run("score", str(DEMO), *BASE, *TINY, "-O", letter, "-o", str(tmp_path / name),
                "-W", "-q")
        assert r.returncode == 0, r.stderr
        assert not (tmp_path / letter).exists()  # the old trap: a VCF named after the letter
        assert (tmp_path / index).stat().st_size > 0
        count = subprocess.run(["bcftools", "index", "-n", str(tmp_path / name)],
                               capture_output=True, text=True) if _has("bcftools") else None
        if count is not None:
            assert count.stdout.strip() == "12", count.stderr
    with open(tmp_path / "x.vcf.gz", "rb") as handle:
        assert handle.read(4) == b"\x1f\x8b\x08\x04"  # BGZF
    with gzip.open(tmp_path / "x.bcf", "rb") as handle:
        assert handle.read(3) == b"BCF"


def test_spliceai_dash_capital_o_is_still_the_output(tmp_path):
    r = run("score", "-I", str(DEMO), "-O", str(tmp_path / "out.vcf"), *BASE, *TINY, "-q")
    assert r.returncode == 0, r.stderr
    assert len(body(tmp_path / "out.vcf")) == 12


@pytest.mark.parametrize("args, words", [
    (("-O", "z", "-o", "x.vcf"), "-O z (BGZF-compressed VCF) and -o"),
    (("-O", "b", "-o", "x.vcf.gz"), "-O b (BCF) and -o"),
    (("-O", "v", "-o", "x.bcf"), "-O v (VCF) and -o"),
    (("-O", "z"), "needs a file name"),
    (("-O", "u", "-o", "x.bcf"), "-O u (uncompressed BCF) is not written"),
    (("-O", "a.vcf", "-o", "b.vcf"), "name two outputs"),
    (("-W", "-o", "x.vcf"), "-W indexes a .vcf.gz or .bcf output"),
    (("-W",), "-W indexes a .vcf.gz or .bcf output"),
    (("--format", "vep", "-o", "out.vcf"), "--format vep and -o out.vcf disagree"),
    (("--format", "vep", "-o", "out.txt"), "--format vep and -o out.txt disagree"),
    (("--format", "vep", "-o", "out.dat"), "--format vep writes a compressed file"),
    (("--format", "tsv", "-o", "out.vcf.gz"), "--format tsv and -o out.vcf.gz disagree"),
])
def test_output_flags_never_silently_disagree(tmp_path, args, words):
    r = run("score", str(DEMO), *BASE, *TINY, *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert words in error_line(r)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def _has(tool):
    import shutil

    return shutil.which(tool) is not None


# ---- progress in logs -------------------------------------------------------------------------

def test_progress_lines_without_a_terminal(tmp_path):
    out = tmp_path / "out.vcf"
    r = run("score", str(DEMO), *BASE, *TINY, "-o", str(out), "--chunk-size", "4",
            env={"SPLICEANNOT_PROGRESS_SECONDS": "0"})
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("spliceannot: scoring: ")]
    assert lines, r.stderr
    assert re.fullmatch(r"spliceannot: scoring: 12 of 12 records \(100\.0%\), [0-9.,]+ "
                        r"records/s, elapsed \d:\d\d:\d\d, ETA 0:00:00", lines[-1]), lines[-1]
    assert len(lines) >= 3  # chunks of 4 records: one line each, the total known up front
    quiet = run("score", str(DEMO), *BASE, *TINY, "-o", str(out), "-q",
                env={"SPLICEANNOT_PROGRESS_SECONDS": "0"})
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_predict_progress_lines_have_a_total(tmp_path):
    r = run("predict", "chr16:12000-12400", "-R", str(CHR16_FASTA), *TINY,
            "-o", str(tmp_path / "t.tsv"), env={"SPLICEANNOT_PROGRESS_SECONDS": "0"})
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("spliceannot: predicting: ")]
    assert lines and lines[-1].startswith(
        "spliceannot: predicting: 401 of 401 positions (100.0%), "), r.stderr


def test_progress_totals_are_counted_cheaply(tmp_path):
    from spliceannot.io.files import count_records

    assert count_records(str(DEMO)) == 12
    gz = tmp_path / "demo.vcf.gz"
    subprocess.run(["bgzip", "-c", str(DEMO)], stdout=open(gz, "wb"), check=True) \
        if _has("bgzip") else pytest.skip("bgzip not installed")
    assert count_records(str(gz)) is None  # no index: not read twice
    subprocess.run(["tabix", "-p", "vcf", str(gz)], check=True)
    assert count_records(str(gz)) == 12  # from the index's counts
    assert count_records("-") is None
    no_newline = tmp_path / "cut.vcf"
    no_newline.write_text(DEMO.read_text().rstrip("\n"))
    assert count_records(str(no_newline)) == 12


def test_one_progress_class_for_every_command():
    from spliceannot.progress import Progress
    from spliceannot.training.reporting import Bar

    assert issubclass(Bar, Progress)
    for module in ("spliceannot/pipeline.py", "spliceannot/tracks/outputs.py"):
        assert "from .progress import Progress" in (REPO / module).read_text() \
            or "from ..progress import Progress" in (REPO / module).read_text()


# ---- every output file gets the umask's mode ---------------------------------------------------

def modes(folder) -> dict:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.is_file()}


def test_every_output_gets_the_umask_mode(tmp_path):
    """Every writer, its partial renamed over the output, rejects, the summary and -W's index:
    mode 0666 less the umask, as bcftools and every shell redirect give (mkstemp's 0600 was
    what .bcf outputs had)."""
    umask = 0o027
    names = ["out.vcf", "out.vcf.gz", "out.bcf", "out.tsv", "out.jsonl", "out.vep.vcf.gz"]
    for name in names:
        extra = ("-W",) if name in ("out.vcf.gz", "out.bcf") else ()
        r = run("score", str(DEMO), *BASE, *TINY, "-o", str(tmp_path / name), *extra,
                "--rejects", str(tmp_path / f"{name}.rejects.tsv"),
                "--summary-json", str(tmp_path / f"{name}.json"), "-q", umask=umask)
        assert r.returncode == 0, (name, r.stderr)
    r = run("predict", "chr16:12000-12400", "-R", str(CHR16_FASTA), *TINY,
            "-o", str(tmp_path / "t.bed.gz"), "-o", str(tmp_path / "t.tsv"),
            "-o", str(tmp_path / "t.bedgraph"), "-q", umask=umask)
    assert r.returncode == 0, r.stderr
    found = modes(tmp_path)
    assert {"out.bcf", "out.bcf.csi", "out.vcf.gz.tbi", "out.vep.vcf.gz.tbi",
            "t.bed.gz.tbi", "t.acceptor_plus.bedgraph"} <= set(found), sorted(found)
    wrong = {name: oct(mode) for name, mode in found.items() if mode != 0o666 & ~umask}
    assert wrong == {}


def test_temporaries_renamed_over_outputs_get_the_umask_mode(tmp_path):
    from spliceannot.io.output import temporary_beside

    old = os.umask(0o002)
    try:
        name = temporary_beside(str(tmp_path / "x.bcf"), ".bcf")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o664


# ---- the inconsistencies a first user meets ---------------------------------------------------

def test_contigless_header_prints_no_htslib_noise(tmp_path):
    vcf = tmp_path / "nocontig.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t12272\t.\tC\tT\t.\t.\t.\n")
    r = run("score", str(vcf), *BASE, *TINY, "-o", str(tmp_path / "out.vcf"))
    assert r.returncode == 0, r.stderr
    assert "[E::" not in r.stderr and "/tmp/tmp" not in r.stderr, r.stderr
    assert "contig chr16 is not declared in the input header" in r.stderr


def test_model_path_that_does_not_exist(tmp_path):
    r = run("score", str(DEMO), *BASE, "--model", str(tmp_path / "no" / "such" / "dir"))
    assert r.returncode == 6
    assert error_line(r).endswith("no/such/dir: no such file or directory")
    unknown = run("score", str(DEMO), *BASE, "--model", "nope")
    assert unknown.returncode == 2 and "unknown model 'nope'" in error_line(unknown)


def test_plugins_on_a_fresh_install_say_so():
    r = run("plugins", env={"SPLICEANNOT_LOAD_PLUGINS": ""})
    assert r.returncode == 0 and json.loads(r.stdout) == []
    assert re.fullmatch(r"spliceannot: no third-party plugins installed; 'spliceannot plugins "
                        r"--all' lists the \d+ built-in ones\n", r.stderr), r.stderr


def test_models_show_context_and_weights():
    r = run("models")
    assert r.returncode == 0
    rows = {l.split("\t")[0]: l.split("\t") for l in r.stdout.splitlines()}
    assert rows["spliceai"][1:3] == ["context=10000", "weights=installed"] or \
        rows["spliceai"][2].startswith("weights=missing")
    assert rows["checkpoint"][1:3] == ["context=from file", "weights=from --model PATH"]
    assert not any(row[1] == "context=0" for row in rows.values())
    assert all(row[2].startswith("weights=") for row in rows.values())


def test_plot_help_documents_every_variant_spelling():
    from spliceannot.io.variant import parse_variant

    text = " ".join(run("plot", "--help", env={"COLUMNS": "100"}).stdout.split())
    for spelling in ("CHROM-POS-REF-ALT", "CHROM:POS:REF:ALT", "CHROM:POS REF>ALT"):
        assert spelling in text.replace("│ ", "").replace(" │", "")
    for spelling in ("chr16-12272-C-T", "chr16:12272:C:T", "chr16:12272 C>T"):
        assert parse_variant(spelling).alts == ["T"]


def test_predict_output_help_ends_with_a_sentence():
    from spliceannot.cli.predict import OUTPUT_HELP

    assert OUTPUT_HELP.endswith("under the name given.")


def test_docs_name_modules_that_exist():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        for path in re.findall(r"`(spliceannot/[\w/]+\.py)`", page.read_text()):
            assert (REPO / path).exists(), f"{page.name} names {path}, which does not exist"


def test_threads_default_is_bounded():
    from spliceannot.engine import default_threads

    assert 1 <= default_threads() <= 4


# ---- the walk: score, predict, plot and serve on the bundled example with the real model ------

def test_newcomer_walk(spliceai_model, tmp_path):
    r = run("score", str(DEMO), *BASE, "-O", "z", "-o", str(tmp_path / "demo.vcf.gz"), "-W",
            env={"SPLICEANNOT_PROGRESS_SECONDS": "0"})
    assert r.returncode == 0, r.stderr
    assert "spliceannot: scoring: 12 of 12 records (100.0%)" in r.stderr
    scored = {l.split("\t")[2]: l.split("\t")[7] for l in body(tmp_path / "demo.vcf.gz")}
    assert len(scored) == 12 and (tmp_path / "demo.vcf.gz.tbi").exists()
    assert sum("SpliceAI=" in info for info in scored.values()) == 10

    r = run("predict", "chr16:12200-12300", *BASE, "-o", str(tmp_path / "sites.tsv"), "-q")
    assert r.returncode == 0, r.stderr
    rows = (tmp_path / "sites.tsv").read_text().splitlines()
    assert len(rows) > 100

    r = run("plot", "chr16-12272-C-T", *BASE, "-o", str(tmp_path / "v.png"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{tmp_path / 'v.png'}\tT|NM_")
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"

    pytest.importorskip("uvicorn")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "spliceannot", "serve", *BASE, "--port",
                             str(port), "-q"], env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/spliceai/?hg=38&distance=50&variant=chr16-12272-C-T"
        deadline = time.monotonic() + 300
        while True:  # the README's wait: the port opens once the model has loaded
            try:
                with urllib.request.urlopen(url, timeout=60) as answer:
                    data = json.loads(answer.read())
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.5)
        assert data["variant"] == "chr16-12272-C-T" and data["scores"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_newcomer_walk_pangolin(tmp_path):
    """docs/pangolin.md's walk from a fresh shell: install-weights once, then --model pangolin
    on the bundled example with its RefSeq GTF (genes built from transcripts). Pangolin's own
    weights are not bundled: 12 tiny networks in its file layout stand in (the plugin's tests
    pin the real weights' strings where ../shared has them)."""
    pytest.importorskip("spliceannot_pangolin", reason="the README's test command installs it")
    folder = tmp_path / "pangolin-weights"
    folder.mkdir()
    pangolin_helpers().write_tiny_weights(folder)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "SPLICEANNOT_PANGOLIN_DIR": ""}
    r = run("pangolin", "install-weights", str(folder), env=env)
    assert r.returncode == 0, r.stderr

    gtf = EXAMPLES / "data" / "hg38_chr16_186964-397118.refseq.gtf"
    out = tmp_path / "demo.pangolin.vcf"
    r = run("score", str(DEMO), "-R", str(CHR16_FASTA), "-A", str(gtf), "--model", "pangolin",
            "-o", str(out), "-q", env=env)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "##INFO=<ID=Pangolin," in text
    rows = body(out)
    assert len(rows) == 12
    info = {row.split("\t")[2]: row.split("\t")[7] for row in rows}
    scored = {k: v for k, v in info.items() if "Pangolin=" in v}
    assert len(scored) >= 8
    for record, value in scored.items():  # GENE|pos:gain|pos:loss|Warnings: per gene
        for entry in re.search(r"Pangolin=([^;\s]+)", value).group(1).split(","):
            gene, gain, loss, warnings = entry.split("|")
            assert gene[:3] in ("NM_", "NR_") and warnings.startswith("Warnings:"), (record, entry)
            assert float(gain.split(":")[1]) >= 0 >= float(loss.split(":")[1]), (record, entry)

    r = run("score", str(DEMO), "-R", str(CHR16_FASTA), "-A", str(gtf), "--model", "pangolin",
            "-o", str(tmp_path / "again.vcf"), "-q",
            env={**env, "XDG_CONFIG_HOME": str(tmp_path / "empty")})
    assert r.returncode != 0 and "install-weights" in error_line(r), r.stderr


def test_readme_first_screen_is_two_commands_and_a_quickstart():
    text = (REPO / "README.md").read_text()
    first = text.split("## A real genome", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", first, re.S)
    assert len(blocks) == 3, "the main job, the tests, the quickstart"
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert blocks[1].strip() == ci  # CI runs the README's test command verbatim
    assert "--index-url https://download.pytorch.org/whl/cpu" in blocks[0]
    assert "chr16_demo.vcf" in blocks[0]
    assert len(blocks[2].strip().splitlines()) <= 10
    assert len(first.splitlines()) <= 45
