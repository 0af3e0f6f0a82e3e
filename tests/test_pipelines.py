"""examples/pipelines/: the Snakemake rule runs on the bundled example; the Nextflow process's
script runs as Nextflow would run it (and Nextflow itself checks the file where it is installed)."""

import gzip
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, EXAMPLES, REPO

PIPELINES = EXAMPLES / "pipelines"
TINY = f"--model tiny-dir --plugins-dir {DATA / 'plugins'}"  # an 80-nt test model: seconds


def shim(tmp_path) -> dict:
    """An environment whose `spliceannot` on PATH is this checkout's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "spliceannot"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m spliceannot "$@"\n')
    script.chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))


def records(path) -> list:
    with gzip.open(path, "rt") as handle:
        return [l for l in handle if not l.startswith("#")]


def test_snakemake_rule_on_the_bundled_example(tmp_path):
    if importlib.util.find_spec("snakemake") is None:
        pytest.skip("snakemake is not installed (pip install -e '.[test]' installs it)")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLES / "chr16_demo.vcf", work / "chr16_demo.vcf")
    r = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(PIPELINES / "Snakefile"), "-d", str(work),
         "--cores", "1", "--config", f"fasta={CHR16_FASTA}", f"annotation={CHR16_TABLE}",
         "samples=chr16_demo", "suffix=.vcf", f"extra={TINY}"],
        capture_output=True, text=True, env=shim(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = work / "chr16_demo.spliceai.vcf.gz"
    assert len(records(out)) == 12
    assert (work / "chr16_demo.spliceai.vcf.gz.tbi").stat().st_size > 0
    log = (work / "logs" / "chr16_demo.spliceannot.log").read_text()
    assert "spliceannot: records read: 12" in log


def nextflow_script() -> str:
    text = (PIPELINES / "main.nf").read_text()
    return re.search(r'script:\s*"""\n(.*?)"""', text, re.S).group(1)


def test_nextflow_process_script_runs(tmp_path):
    """The process's script block, with Nextflow's substitutions made here, on the example."""
    vcf = tmp_path / "chr16_demo.vcf"
    shutil.copy(EXAMPLES / "chr16_demo.vcf", vcf)
    values = {"${vcf}": vcf.name, "${fasta}": str(CHR16_FASTA),
              "${params.annotation}": str(CHR16_TABLE), "${params.distance}": "50",
              "${params.mask}": "0", "${params.extra}": TINY, "${task.cpus}": "1",
              "${vcf.simpleName}": "chr16_demo"}
    script = nextflow_script()
    for key, value in values.items():
        script = script.replace(key, value)
    assert "${" not in script, script
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True,
                       text=True, env=shim(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(records(tmp_path / "chr16_demo.spliceai.vcf.gz")) == 12
    assert (tmp_path / "chr16_demo.spliceai.vcf.gz.tbi").exists()
    # Its output declaration names what the script writes.
    text = (PIPELINES / "main.nf").read_text()
    assert 'path("${vcf.simpleName}.spliceai.vcf.gz.tbi")' in text


def test_nextflow_file_is_well_formed(tmp_path):
    text = (PIPELINES / "main.nf").read_text()
    for pair in ("{}", "()", "[]"):
        assert text.count(pair[0]) == text.count(pair[1]), pair
    assert text.count('"""') % 2 == 0
    if shutil.which("nextflow") is None:
        pytest.skip("nextflow is not installed (and cannot be fetched offline): the script "
                    "block ran above; the Groovy syntax is checked where nextflow exists")
    r = subprocess.run(["nextflow", "run", str(PIPELINES / "main.nf"), "-preview",
                        "--fasta", str(CHR16_FASTA)], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
