"""``spliceannot plot`` on a real exon-boundary variant: image written, DS/DP marks in place."""

import numpy as np
import pytest
from typer.testing import CliRunner

from support.paths import CHR16_FASTA, CHR16_TABLE
from support.fakes import BaseCountModel, add_models
from spliceannot import genes as annotation, delta
from spliceannot.cli import build_app
from spliceannot.plot import plot_variant
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant


def test_real_acceptor_loss_is_marked_on_the_site(spliceai_model, tmp_path):
    # 97424 is the first base of an NM_006849 exon (acceptor p ~ 0.96 in SpliceAI).
    out = tmp_path / "v.png"
    data = plot_variant(Variant("chr16", 97424, "A", ["T"]), Reference(CHR16_FASTA),
                        annotation.read_table(CHR16_TABLE), spliceai_model,
                        delta.Settings(distance=50), str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert data.gene == "NM_006849" and data.positions[0] == 97374 and len(data.positions) == 101
    assert data.marks["AL"] == 97424 and 97424 in data.boundaries
    i = int(np.where(data.positions == data.marks["AL"])[0][0])
    assert data.ref[i, 1] > 0.9
    # Every mark sits where its delta is largest, and that delta is the reported score.
    for k, cls, sign in (("AG", 1, 1), ("AL", 1, -1), ("DG", 2, 1), ("DL", 2, -1)):
        d = sign * (data.alt_track[:, cls] - data.ref[:, cls])
        j = int(np.where(data.positions == data.marks[k])[0][0])
        assert j == int(d.argmax())
        assert data.score.ds["AG AL DG DL".split().index(k)] == pytest.approx(d[j], abs=1e-6)


def test_cli_writes_svg(tmp_path):
    undo = add_models(BaseCountModel())
    try:
        out = tmp_path / "v.svg"
        result = CliRunner().invoke(build_app(), [
            "plot", "chr16:97424:A:T", "-o", str(out), "-R", str(CHR16_FASTA),
            "-A", str(CHR16_TABLE), "--model", BaseCountModel.name, "-D", "20"])
        assert result.exit_code == 0, result.output
        assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()
        assert result.stdout.split("\t")[1].startswith("T|NM_006849|")
        bad = CliRunner().invoke(build_app(), ["plot", "chr16:97424:A:T", "-o", "x.gif", "-R",
                                               str(CHR16_FASTA), "-A", str(CHR16_TABLE)])
        assert bad.exit_code != 0
    finally:
        undo()


@pytest.mark.parametrize("where", ["nodir/v.svg", "afile/v.svg"])
def test_cli_output_directory_missing_is_one_line(tmp_path, where):
    """Refused before the model loads: exit 2, one line, nothing written."""
    import subprocess
    import sys

    from support.paths import REPO

    (tmp_path / "afile").write_text("x")
    r = subprocess.run([sys.executable, "-m", "spliceannot", "plot", "chr16:97424:A:T", "-o",
                        where, "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--model",
                        "no-such-model"], capture_output=True, text=True, cwd=tmp_path,
                       env=dict(__import__("os").environ, PYTHONPATH=str(REPO)))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"spliceannot: error: -o {where}: directory ")
    assert len(r.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
