"""The Pangolin plugin: discovered; its network is Pangolin's; the engine gives the per-window
path's bits; Pangolin 1.0.2's planning, masking and text; every writer; clear weight errors."""

import gzip
import json
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spliceannot_pangolin import semantics as sp, weights as pw
from spliceannot_pangolin.genes import PangolinGenesSource
from spliceannot_pangolin.model import PangolinModel
from spliceannot_pangolin.scorer import OUTPUT
from pangolin_helpers import FASTA, GTF
from spliceannot import registry
from spliceannot.plugin import functional_forward
from spliceannot.cli import main
from spliceannot.errors import SpliceannotError
from spliceannot.genes import Gene
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant
from spliceannot.options import Options
from spliceannot.plugins import get_plugin_manager


def test_plugin_is_discovered():
    names = [name for name, _ in get_plugin_manager().list_name_plugin()]
    assert "pangolin" in names
    assert "pangolin" in registry.models().names()
    assert registry.scorers().get("pangolin").output.info_id == "Pangolin"


# ---- the network ---------------------------------------------------------------------------------


def layout(role: str, i: int) -> str:
    """Pangolin's key names (model.py): conv1/skip the stem, resblocks the units, convs the skips."""
    if role in ("bn1", "conv1", "bn2", "conv2"):
        return f"resblocks.{i}.{role}"
    return f"convs.{i // 4}" if role == "skip" else {"stem": "conv1", "stem_skip": "skip"}[role]


def reference_forward(state: dict, x: torch.Tensor, head: int) -> torch.Tensor:
    """Pangolin's published forward on its own keys; class 1 of softmax head ``conv_last{head}``
    (what the CLI reads)."""
    units = len({k.split(".")[1] for k in state if k.startswith("resblocks.")})
    return functional_forward(state, x, layout, units, head=f"conv_last{head}")[:, 1]


def test_network_is_pangolins(tiny_dir):
    model = registry.model(str(tiny_dir))
    assert isinstance(model, PangolinModel) and model.context == 80
    g = torch.Generator().manual_seed(1)
    x = F.one_hot(torch.randint(0, 4, (2, 300), generator=g), 4).float()
    ours = model.predict(x.numpy())  # (2, 220, 12)
    assert ours.shape == (2, 220, 12)
    for i, name in enumerate(pw.WEIGHT_FILES):
        state = torch.load(tiny_dir / name, weights_only=True)
        want = reference_forward(state, x.transpose(1, 2), 2 * (i // 3) + 1)
        np.testing.assert_allclose(ours[:, :, i], want.numpy(), rtol=0, atol=1e-6)


def test_real_network_is_pangolins(weights):
    net = pw.load_file(weights / "final.2.4.3.v2")  # brain: channel 7 = conv_last5, class 1
    state = torch.load(weights / "final.2.4.3.v2", map_location="cpu", weights_only=True)
    g = torch.Generator().manual_seed(2)
    x = F.one_hot(torch.randint(0, 4, (1, 10040), generator=g), 4).float().transpose(1, 2)
    with torch.no_grad():
        ours = torch.softmax(net(x), dim=1)[:, 1]
        want = reference_forward(state, x, 5)
    assert torch.equal(ours, want)


# ---- planning ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def genes():
    return PangolinGenesSource().load(str(GTF))


@pytest.fixture(scope="module")
def reference():
    ref = Reference(FASTA)
    yield ref
    ref.close()


def test_gene_database_is_create_db_s(genes):
    ids = [g.name for g in genes.genes]
    assert ids[:3] == ["PG_A", "PG_B", "PG_INNER"] and len(ids) == 10
    b = genes.genes[1]
    assert (b.strand, b.tx_start, b.tx_end) == ("+", 47583, 82980)  # the gene line, not a transcript
    assert b.exon_starts[:2] == [47583, 62586] and len(b.exon_starts) == 13  # canonical only
    nocanon = next(g for g in genes.genes if g.name == "PG_NOCANON")
    assert nocanon.exon_starts == []
    # Pangolin's gene test: start < POS <= end (gffutils' region on POS - 1, then its own)
    assert [g.name for g in genes.overlapping("chr16", 47583)] == []
    assert [g.name for g in genes.overlapping("chr16", 47584)] == ["PG_B"]
    assert [g.name for g in genes.overlapping("chr16", 82980)] == ["PG_B", "PG_C"]
    every = {g.name: g for g in PangolinGenesSource().load(str(GTF), transcripts="all").genes}  # --filter None
    assert len(every["PG_NOCANON"].exon_starts) == 11 and len(every["PG_B"].exon_starts) == 27


def _plan(variant, reference, genes, d=50):
    return sp.plan(variant, reference, genes, d, 40)


def test_plan_skips_as_pangolin(reference, genes):
    base = reference.fetch("chr16", 62599, 62601)  # POS 62600, 62601
    cases = [
        (Variant("chr16", 62600, base, [base[0] + "AC"]), sp.FORMAT),  # 2 bases -> 3
        (Variant("chr16", 62600, base[0], ["<DEL>"]), sp.FORMAT),
        (Variant("chr16", 62600, base[0], ["*"]), sp.FORMAT),
        (Variant("chr16", 62600, base[0], ["N"]), sp.FORMAT),
        (Variant("chr16", 62600, base[0], []), sp.FORMAT),  # ALT '.': PyVCF's "None"
        (Variant("chr16", 62600, "A" * 101, ["A"]), sp.TOO_LARGE),
        (Variant("chr16", 62600, "T" if base[0] != "T" else "C", ["G"]), sp.MISMATCH),
        (Variant("chr16", 62600, base[0].lower(), ["G"]), sp.FORMAT),  # no upper-case ACGT
        (Variant("chr16", 91000, reference.fetch("chr16", 90999, 91000), ["A"]), "no overlapping gene"),
        (Variant("chr16", 30, reference.fetch("chr16", 29, 30), ["A"]), sp.NO_SEQUENCE),
        (Variant("chr16", 210150, reference.fetch("chr16", 210149, 210150), ["A"]), sp.NO_SEQUENCE),
        (Variant("chrX", 100, "A", ["G"]), "contig absent from FASTA"),
    ]
    for variant, reason in cases:
        assert _plan(variant, reference, genes).reason == reason, variant
    # 101 bases are fine at -d 500... and a lower-case REF base against soft-masked sequence:
    soft = reference.fetch("chr16", 63200, 63201)
    assert soft.islower()
    assert _plan(Variant("chr16", 63201, soft.upper(), ["A"]), reference, genes).reason == sp.MISMATCH
    long = reference.fetch("chr16", 95099, 95200)
    assert _plan(Variant("chr16", 95100, long, [long[0]]), reference, genes, 500).reason is None


def test_plan_first_alt_and_strands(reference, genes):
    b = reference.fetch("chr16", 82539, 82540)
    p = _plan(Variant("chr16", 82540, b, ["A" if b != "A" else "G", b + "TT"]), reference, genes)
    assert p.reason is None and p.alt_skips == [(b + "TT", sp.FIRST_ALT_ONLY)]
    assert [(t.gene.strand, [g.name for g in t.genes]) for t in p.tasks()] == \
        [("+", ["PG_B"]), ("-", ["PG_C"])]
    # REF sits at the window's middle; the window is Pangolin's plus len(REF) - 1 bases on the left
    ref = reference.fetch("chr16", 82534, 82538)
    t = _plan(Variant("chr16", 82535, ref, [ref[0]]), reference, genes).tasks()[0]
    assert (len(t.x_ref), t.extra) == (2 * 40 + 2 * 50 + 2 * 4 - 1, 3)
    assert len(t.x_alt) == len(t.x_ref) - 3


# ---- Pangolin's numbers and text -----------------------------------------------------------------


def _task(strand="+", genes=(), pos=1000, extra=0):
    return types.SimpleNamespace(gene=sp.Strand(strand), genes=list(genes), pos=pos, extra=extra,
                                 alt="A")


def test_deletion_and_insertion_alignment():
    d = 2
    y_ref = np.tile(np.arange(7, dtype=np.float32)[:, None] / 10, (1, 12))  # 2d + len(REF) = 7
    y_alt = np.tile(np.array([0, 1, 2, 5, 6], dtype=np.float32)[:, None] / 10, (1, 12))
    loss, gain = sp.tissue_changes(_task(), y_ref, y_alt, d)  # a 3-base deletion after the anchor
    assert loss.dtype == np.float64  # numpy's float64 zeros, as in Pangolin
    np.testing.assert_allclose(loss, [0, 0, 0, -0.3, -0.4, 0, 0], atol=1e-7)
    y_alt = np.tile(np.array([0, 1, 9, 4, 3, 8], dtype=np.float32)[:, None] / 10, (1, 12))
    y_ref = np.tile(np.arange(5, dtype=np.float32)[:, None] / 10, (1, 12))  # one base inserted
    loss, gain = sp.tissue_changes(_task(), y_ref, y_alt, d)
    assert gain.dtype == np.float32
    np.testing.assert_allclose(gain, [0, 0, 0.7, 0, 0.4], atol=1e-7)  # anchor: max(.9, .4)


def test_tissues_gain_is_max_loss_is_min():
    d = 1
    y = np.zeros((3, 12), dtype=np.float32)
    alt = y.copy()
    alt[1, 0:3] = 0.3  # heart +0.3
    alt[1, 6:9] = -0.6  # brain -0.6
    alt[2, 3:6] = [0.1, 0.2, 0.3]  # liver mean 0.2
    loss, gain = sp.tissue_changes(_task("-"), y, alt, d)  # '-': back to genomic order
    assert gain.tolist() == pytest.approx([0.2, 0.3, 0.0])
    assert loss.tolist() == pytest.approx([0.0, -0.6, 0.0])


def test_masking_in_place_gene_after_gene():
    d = 2
    loss = np.array([-0.5, -0.2, 0.0, -0.1, -0.3], dtype=np.float32)
    gain = np.array([0.4, 0.1, 0.0, 0.6, 0.2], dtype=np.float32)
    g1 = Gene("G1", "chr16", "+", 1, 2000, [999], [1001])  # sites at offsets -1 and +1
    g2 = Gene("G2", "chr16", "+", 1, 2000, [998], [5000])  # site at -2 only
    nosite = Gene("G3", "chr16", "+", 1, 2000, [], [])
    out = sp.gene_entries(_task(genes=[g1, g2, nosite]), loss, gain, d, True, None, False)
    # G1: gains at -1, +1 zeroed; losses off -1, +1 zeroed -> best gain -2 (0.4), loss -1 (-0.2)
    # G2 on the same arrays: also the gain at -2 zeroed, losses off -2 zeroed (none left)
    assert [e.format() for e in out] == [
        "G1|-2:0.4000000059604645|-1:-0.20000000298023224|Warnings:",
        "G2|2:0.20000000298023224|-2:0.0|Warnings:",
        "G3|2:0.20000000298023224|-2:0.0|Warnings:NoAnnotatedSitesToMaskForThisGene"]


def test_cutoff_and_exons_text():
    d = 2
    loss = np.array([-0.5, -0.2, 0.0, -0.1, -0.3])
    gain = np.array([0.4, 0.1, 0.0, 0.6, 0.2])
    g = Gene("G", "chr16", "+", 1, 2000, [999, 1500], [1001, 1600])
    out = sp.gene_entries(_task(genes=[g]), loss.copy(), gain.copy(), d, False, 0.3, False)
    assert out[0].format() == "G|-2:0.4|1:0.6|-2:-0.5|2:-0.3|Warnings:"
    out = sp.gene_entries(_task(genes=[g]), loss.copy(), gain.copy(), d, False, None, True)
    assert out[0].format() == "G_sites1|-1:-0.2|G_sites2|1:0.6|Warnings:"
    assert OUTPUT.cells(out[0]) == ["A", "G_sites1", "-1:-0.2|G_sites2|1:0.6", "."]
    assert out[0].fields()["SCORES"] == [{"pos": -1, "score": -0.2}, {"label": "G_sites2"},
                                         {"pos": 1, "score": 0.6}]


def test_options_are_declared_through_the_hook(tmp_path, capsys):
    """-s and --score_exons are options of the registry: in score --help, read by name, and a
    run that scores with another scorer refuses them up front."""
    from typer.testing import CliRunner

    from spliceannot.cli import build_app
    from spliceannot.options import Options

    cutoff = registry.options().get("score_cutoff")
    assert cutoff.flags == ("--score-cutoff",) and cutoff.scoring and cutoff.scorers == ("pangolin",)
    assert registry.options().get("score_exons").scorers == ("pangolin",)
    help_text = CliRunner().invoke(build_app(), ["score", "--help"]).output
    assert "--score-cutoff" in help_text and "--score-exons" in help_text
    opts = Options(reference="r", annotation="a", score_cutoff=0.5)
    assert sp.pangolin_options(opts) == (0.5, False)
    assert sp.pangolin_options(Options(reference="r", annotation="a")) == (None, False)
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(vcf), "-o", str(tmp_path / "o.vcf"), "-R", str(FASTA), "-A", str(GTF),
              "--score-cutoff", "0.2", "-q"])
    assert exit_info.value.code == 2
    assert "--score-cutoff is an option of the pangolin scorer" in capsys.readouterr().err
    assert not (tmp_path / "o.vcf").exists()


# ---- the engine: the per-window path's bits ------------------------------------------------------


def _variants(reference):
    def v(pos, ref_len, alt):
        ref = reference.fetch("chr16", pos - 1, pos - 1 + ref_len)
        alt = alt.replace("@", ref[0])
        return Variant("chr16", pos, ref, [alt])

    return [v(62586, 1, "A"), v(62590, 1, "C"), v(82540, 1, "G"),  # '+', near it, both strands
            v(82541, 1, "@GAC"), v(82535, 4, "@"), v(104330, 6, "@"),  # insertion, deletions
            v(62690, 2, "TA"), v(94783, 1, "@T")]  # MNV, insertion on '+'


def test_engine_equals_per_window(tiny_dir, reference, genes):
    from spliceannot.scorer import ScoringContext
    from spliceannot.plugin import Settings

    model = registry.model(str(tiny_dir))
    scorer = registry.scorers().get("pangolin")
    settings = Settings(distance=50, mask=True)
    tasks = [t for v in _variants(reference)
             for t in sp.plan(v, reference, genes, 50, model.context // 2).tasks()]
    assert len(tasks) == 11 and {len(t.x_ref) for t in tasks} == {181, 183, 187, 191}

    def run(which):
        ctx = ScoringContext(reference, genes, model, settings,
                             options=Options(reference="r", annotation="a", scorer=which))
        return scorer.run(tasks, ctx), ctx

    before = scorer.timings().get("alt windows", 0)
    (window, ctx), (engine, _) = run("delta"), run("fast")
    # the engine ran (the core's fast scorer, exact here), one ALT cone per task
    assert registry.scorers().get("fast").engine(ctx).exact
    assert scorer.timings()["alt windows"] - before == 11
    for (r1, a1), (r2, a2), t in zip(window, engine, tasks):
        assert r1.shape == (len(t.x_ref) - 80, 12) and a1.shape == (len(t.x_alt) - 80, 12)
        assert np.array_equal(r1, r2) and np.array_equal(a1, a2)
    texts = [e.format() for t, (r, a) in zip(tasks, engine) for e in scorer.finish(t, r, a, ctx)]
    assert texts[0].startswith("PG_B|") and len(texts) == 11


# ---- the command line and every writer -----------------------------------------------------------


@pytest.fixture
def vcf(tmp_path, reference):
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for v in _variants(reference)[:4] + [Variant("chr16", 91000, "G", ["A"])]:
        lines.append(f"chr16\t{v.pos}\t.\t{v.ref}\t{','.join(v.alts)}\t.\t.\t.")
    b = reference.fetch("chr16", 62599, 62600)
    lines.append(f"chr16\t62600\tmulti\t{b}\t{'T' if b != 'T' else 'C'},{b}AA\t.\t.\t.")
    path = tmp_path / "in.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _score(args, capsys):
    try:
        main(["score", *args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def _info(path):
    out = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            out[f[1]] = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv).get("Pangolin")
    return out


def test_every_writer(tiny_dir, vcf, tmp_path, capsys):
    base = [str(vcf), "-R", str(FASTA), "-A", str(GTF), "--model", str(tiny_dir), "-D", "50",
            "-M", "1", "-q"]
    code, err = _score(base + ["-o", str(tmp_path / "out.vcf")], capsys)
    assert code == 0, err
    text = (tmp_path / "out.vcf").read_text()
    assert '##INFO=<ID=Pangolin,Number=.,Type=String,Description="Pangolin splice scores.' in text
    assert "GPL-3.0" in text and "SpliceAI" not in text.split("#CHROM")[0].split("INFO=<")[-1]
    info = _info(tmp_path / "out.vcf")
    assert info["91000"] is None  # outside every gene: passes through unannotated
    both = info["82540"].split(",")
    assert [e.split("|")[0] for e in both] == ["PG_B", "PG_C"]
    assert all(e.endswith("|Warnings:") and len(e.split("|")) == 4 for e in both)
    assert info["62600"].startswith("PG_B|")  # ALT[0] only
    # TSV: one row per gene, the same text in columns
    code, err = _score(base + ["-o", str(tmp_path / "out.tsv")], capsys)
    assert code == 0, err
    rows = [r.split("\t") for r in (tmp_path / "out.tsv").read_text().splitlines()
            if not r.startswith("##")]
    assert rows[0] == ["CHROM", "POS", "ID", "REF", "ALLELE", "GENE", "SCORES", "WARNINGS",
                       "STATUS"]
    got = {(r[1], r[5]): f"{r[5]}|{r[6]}|Warnings:" for r in rows[1:] if r[-1] == "scored"}
    assert got[("82540", "PG_C")] == both[1]
    assert any(r[1] == "62600" and r[-1] == f"skipped: {sp.FIRST_ALT_ONLY}" for r in rows)
    # JSONL
    code, err = _score(base + ["-o", str(tmp_path / "out.jsonl")], capsys)
    assert code == 0, err
    recs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()[1:]]
    first = next(r for r in recs if r["pos"] == 82540)["scores"][1]
    gain, loss = both[1].split("|")[1:3]
    assert first["gene"] == "PG_C"
    assert first["scores"][0] == {"pos": int(gain.split(":")[0]), "score": float(gain.split(":")[1])}
    assert first["scores"][1]["pos"] == int(loss.split(":")[0])
    # BGZF VCF and BCF: the same INFO
    code, err = _score(base + ["-o", str(tmp_path / "out.vcf.gz")], capsys)
    assert code == 0, err
    with gzip.open(tmp_path / "out.vcf.gz", "rt") as handle:
        (tmp_path / "gz.vcf").write_text(handle.read())
    assert _info(tmp_path / "gz.vcf") == info
    code, err = _score(base + ["-o", str(tmp_path / "out.bcf")], capsys)
    assert code == 0, err
    import pysam

    with pysam.VariantFile(str(tmp_path / "out.bcf")) as bcf:
        got = {str(r.pos): (",".join(r.info["Pangolin"]) if "Pangolin" in r.info else None)
               for r in bcf}
    assert got == info
    # the per-window path writes the same bytes as the engine
    code, err = _score(base + ["-o", str(tmp_path / "win.vcf"), "--scorer", "delta"], capsys)
    assert code == 0, err
    assert _info(tmp_path / "win.vcf") == info


def test_refused_options(tiny_dir, vcf, tmp_path, capsys):
    base = [str(vcf), "-R", str(FASTA), "-A", str(GTF), "--model", str(tiny_dir), "-q"]
    code, err = _score(base + ["-o", str(tmp_path / "o.vep.vcf.gz"), "--format", "vep"], capsys)
    assert code != 0 and "entries cannot be moved" in err and err.count("\n") == 1
    code, err = _score(base + ["-o", str(tmp_path / "o.vcf"), "--score-cache",
                               str(tmp_path / "c")], capsys)
    assert code != 0 and "cannot use them" in err
    code, err = _score(base + ["-o", str(tmp_path / "o.vcf"), "--transcripts", "mane"], capsys)
    assert code != 0 and "Ensembl_canonical" in err


@pytest.fixture
def fresh_models():
    """The registered ``pangolin`` model keeps the folder it found at first use: a test that
    changes where the weights are set up gets new registry objects before and after it."""
    registry.reset()
    yield
    registry.reset()


def test_weights_missing_or_incomplete(tiny_dir, tmp_path, vcf, capsys, monkeypatch, fresh_models):
    part = tmp_path / "part"
    part.mkdir()
    for name in pw.WEIGHT_FILES[:11]:
        (part / name).write_bytes((tiny_dir / name).read_bytes())
    base = [str(vcf), "-R", str(FASTA), "-A", str(GTF), "-o", str(tmp_path / "o.vcf"), "-q"]
    code, err = _score(base + ["--model", str(part)], capsys)
    assert code != 0 and err.count("\n") == 1
    assert "lacks 1 of the 12 weight files (final.3.6.3.v2)" in err
    assert "github.com/tkzeng/Pangolin" in err and "GPL-3.0" in err
    monkeypatch.delenv(pw.DIR_ENV, raising=False)
    code, err = _score(base + ["--model", "pangolin"], capsys)
    assert code != 0 and err.count("\n") == 1 and "no weights set up" in err
    # the line says exactly how to get them, once
    assert "git clone https://github.com/tkzeng/Pangolin" in err
    assert "spliceannot pangolin install-weights Pangolin/pangolin/models" in err


def _cli(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_weights_set_up_once(tiny_dir, tmp_path, vcf, capsys, monkeypatch, fresh_models):
    """install-weights records the folder in $XDG_CONFIG_HOME/spliceannot/pangolin.toml; every
    later --model pangolin reads it (no environment variable), a clone's root is taken too."""
    monkeypatch.delenv(pw.DIR_ENV, raising=False)
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    part = tmp_path / "part"
    part.mkdir()
    (part / pw.WEIGHT_FILES[0]).write_bytes((tiny_dir / pw.WEIGHT_FILES[0]).read_bytes())
    code, _, err = _cli(["pangolin", "install-weights", str(part)], capsys)
    assert code != 0 and err.count("\n") == 1 and "lacks 11 of the 12" in err
    assert not (config / "spliceannot" / "pangolin.toml").exists()
    clone = tmp_path / "Pangolin" / "pangolin" / "models"
    clone.mkdir(parents=True)
    for name in pw.WEIGHT_FILES:
        (clone / name).write_bytes((tiny_dir / name).read_bytes())
    code, out, err = _cli(["pangolin", "install-weights", str(tmp_path / "Pangolin")], capsys)
    assert code == 0, err
    assert str(clone) in out
    assert pw.configured_dir() == clone
    assert (config / "spliceannot" / "pangolin.toml").read_text().count("weights = ") == 1
    code, out, err = _cli(["pangolin", "weights"], capsys)
    assert code == 0 and out.startswith(f"{clone}\t12 of 12")
    base = [str(vcf), "-R", str(FASTA), "-A", str(GTF), "-D", "50", "-M", "1", "-q"]
    code, err = _score(base + ["--model", "pangolin", "-o", str(tmp_path / "a.vcf")], capsys)
    assert code == 0, err
    code, err = _score(base + ["--model", str(tiny_dir), "-o", str(tmp_path / "b.vcf")], capsys)
    assert code == 0, err
    got = _info(tmp_path / "a.vcf")
    assert got == _info(tmp_path / "b.vcf") and got["82540"].startswith("PG_B|")
    # --copy: the files move to the user's data folder, and the record follows them
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = _cli(["pangolin", "install-weights", str(clone), "--copy"], capsys)
    assert code == 0, err
    copied = tmp_path / "data" / "spliceannot" / "pangolin"
    assert pw.configured_dir() == copied.resolve() and not pw.missing(copied)
    assert (copied / pw.WEIGHT_FILES[5]).read_bytes() == (clone / pw.WEIGHT_FILES[5]).read_bytes()
    # the environment still overrides the record (CI, one-off runs)
    monkeypatch.setenv(pw.DIR_ENV, str(part))
    assert pw.find_dir() == part
    with pytest.raises(SpliceannotError, match="lacks 11 of the 12"):
        PangolinModel().files()


def test_help_names_the_info_field(capsys):
    from typer.testing import CliRunner

    from spliceannot.cli import build_app

    text = " ".join(CliRunner().invoke(build_app(), ["score", "--help"],
                                       terminal_width=200).output.split())
    assert "INFO/Pangolin" in text
    assert "install-weights" in CliRunner().invoke(build_app(), ["pangolin", "--help"]).output


def test_pangolin_scorer_needs_a_pangolin_model(vcf, tmp_path, capsys):
    from pangolin_helpers import REPO

    table = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
    code, err = _score([str(vcf), "-R", str(FASTA), "-A", str(table), "--scorer", "pangolin",
                        "-o", str(tmp_path / "o.vcf"), "-q"], capsys)
    assert code != 0 and err.count("\n") == 1 and "--scorer pangolin: only for the models" in err


def test_gff3_gives_the_gtf_s_genes(tmp_path):
    """The golden GTF rewritten as Ensembl writes GFF3: the same genes, extents and sites."""
    lines = ["##gff-version 3"]
    for line in GTF.read_text().splitlines():
        f = line.split("\t")
        a = dict((k, v.strip('"')) for k, v in (p.strip().split(" ", 1) for p in f[8].split(";")
                                               if p.strip()) if k != "tag")
        tags = [p.strip().split(" ", 1)[1].strip('"') for p in f[8].split(";")
                if p.strip().startswith("tag ")]
        if f[2] == "gene":
            attrs = f"ID=gene:{a['gene_id']};gene_id={a['gene_id']};Name={a['gene_name']}"
            kind = "gene"
        elif f[2] == "transcript":
            attrs = (f"ID=transcript:{a['transcript_id']};Parent=gene:{a['gene_id']};"
                     f"tag={','.join(tags)}")
            kind = "mRNA"
        else:
            attrs = f"Parent=transcript:{a['transcript_id']};rank={a['exon_number']}"
            kind = "exon"
        lines.append("\t".join(f[:2] + [kind] + f[3:8] + [attrs]))
    path = tmp_path / "genes.gff3"
    path.write_text("\n".join(lines) + "\n")
    gff3, gtf = PangolinGenesSource().load(str(path)), PangolinGenesSource().load(str(GTF))
    assert [(g.name, g.strand, g.tx_start, g.tx_end, g.exon_starts, g.exon_ends)
            for g in gff3.genes] == [(g.name, g.strand, g.tx_start, g.tx_end, g.exon_starts,
                                      g.exon_ends) for g in gtf.genes]
    assert sum(len(g.exon_starts) for g in gff3.genes) > 80
