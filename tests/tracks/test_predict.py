"""``spliceannot predict``: tracks equal to the scoring path's REF, and every output readable back."""

import gzip

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from spliceannot import genes as annotation, delta, registry
from spliceannot.cli import main
from spliceannot.engine import Engine
from spliceannot.plugins import get_plugin_manager, load_plugins_dir
from spliceannot.tracks.accuracy import top_k_accuracy
from spliceannot.tracks.prediction import predict_chunks
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant

SEQ = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])


@pytest.fixture(scope="module")
def tiny():
    names = load_plugins_dir(DATA / "plugins")
    yield registry.models().get("tiny-dir")
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


def scoring_refs(model, genes, reference, pos, settings, engine=None):
    """gene name -> (positions, (n, 3) REF track in genomic order) as the scoring path has them."""
    v = Variant("chr16", pos, SEQ[pos - 1], ["A" if SEQ[pos - 1] != "A" else "C"], line=1)
    plan = delta.plan(v, reference, genes, model.context, settings)
    out = {}
    tasks = plan.tasks()
    if engine is not None:
        refs = [y for y, _ in engine.predict([(t, "chr16", pos) for t in tasks])]
    else:
        refs = [model.predict(t.x_ref[None])[0] for t in tasks]
    for task, y in zip(tasks, refs):
        y = y[::-1] if task.gene.strand == "-" else y
        out[task.gene.name] = (np.arange(pos - settings.distance, pos + settings.distance + 1), y)
    return out


def per_gene(chunks):
    """gene name -> {position: (acceptor, donor)} from predict's runs."""
    out = {}
    for chunk in chunks:
        for run, probs in chunk.runs:
            d = out.setdefault(run.gene, {})
            for i, p in enumerate(probs):
                d[run.start + i] = p
    return out


@pytest.mark.parametrize("pos", [2100, 7000, 41000, 47600, 60000, 88970, 100480, 120000,
                                 183600, 183820, 194980, 209800, 210100])
def test_equals_scoring_ref_both_strands(tiny, pos):
    """At every position of +-D around variants in '+' and '-' genes (near transcript ends too,
    where the N masking bites), predict's value is the scoring path's REF, bit for bit, for the
    per-window path and the fast engine alike."""
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    settings = delta.Settings(distance=50, pad_ends=True)
    chunks = list(predict_chunks([("chr16", max(1, pos - 60), pos + 60)], reference, tiny, genes,
                                 tile=37, batch=3))
    got = per_gene(chunks)
    engine = Engine(tiny)
    for eng in (None, engine):
        refs = scoring_refs(tiny, genes, reference, pos, settings, eng)
        assert refs, "the variant must be in a gene"
        for name, (positions, y) in refs.items():
            g = next(g for g in genes.genes if g.name == name)
            inside = (positions >= g.tx_start) & (positions <= g.tx_end)
            assert inside.sum() > 10
            for p, row in zip(positions[inside], y[inside]):
                assert np.array_equal(got[name][int(p)], row[1:3]), (name, p)


def test_unannotated_is_both_strands_unmasked(tiny):
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation("both-strands")
    settings = delta.Settings(distance=50, pad_ends=True)
    for pos in (30, 150_000, len(SEQ) - 10):  # contig ends are N-padded as --pad-ends does
        (chunk,) = predict_chunks([("chr16", max(1, pos - 50), min(len(SEQ), pos + 50))],
                                  reference, tiny, None, tile=29)
        refs = scoring_refs(tiny, genes, reference, pos, settings)
        for strand in "+-":
            track = chunk.track(strand)
            positions, y = refs[strand]
            for p, row in zip(positions, y):
                if chunk.start <= p <= chunk.end:
                    assert np.array_equal(track[p - chunk.start], row[1:3])


def test_tiling_does_not_change_a_bit(tiny):
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    a = per_gene(predict_chunks([("chr16", 40_000, 50_000)], reference, tiny, genes, tile=5000))
    b = per_gene(predict_chunks([("chr16", 40_000, 50_000)], reference, tiny, genes, tile=333,
                                batch=1))
    assert a.keys() == b.keys()
    for name in a:
        assert all(np.array_equal(a[name][p], b[name][p]) for p in a[name])


def run(args):
    """The CLI's exit status (0 when main returns)."""
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def cli(tmp_path, *extra):
    return ["predict", "-R", str(CHR16_FASTA), "--model", "tiny-dir", "--plugins-dir",
            str(DATA / "plugins"), "-q", *extra]


def test_outputs_read_back(tiny, tmp_path):
    pysam = pytest.importorskip("pysam")
    pyBigWig = pytest.importorskip("pyBigWig")
    bed, bw, tsv, bg = (str(tmp_path / n) for n in ("s.bed.gz", "s.bw", "s.tsv", "s.bedgraph"))
    main_args = cli(tmp_path, "chr16:99001-101000", "-A", str(CHR16_TABLE), "-o", bed, "-o", bw,
                    "-o", tsv, "-o", bg, "--threshold", "0.3")
    assert run(main_args) == 0
    rows = [l.rstrip("\n").split("\t") for l in open(tsv)][1:]
    # NM_006849 (+) ends at 100246, NM_003502 (-) starts at 100477 (table: 0-based 100476)
    assert {r[3] for r in rows} == {"NM_006849", "NM_003502"}
    assert len(rows) == (100246 - 99001 + 1) + (101000 - 100477 + 1)
    tsv_vals = {(int(r[1]), r[2]): (float(r[4]), float(r[5])) for r in rows}
    # bigWig: one file per class and strand, values as float32, 1-based POS at 0-based POS - 1
    f = pyBigWig.open(str(tmp_path / "s.acceptor_plus.bw"))
    assert f.chroms() == {"chr16": len(SEQ)}
    vals = f.values("chr16", 99000, 100246)
    assert np.allclose(vals, [tsv_vals[(p, "+")][0] for p in range(99001, 100247)], rtol=0,
                       atol=1e-7)
    assert np.isnan(f.values("chr16", 100300, 100301)[0])  # between the genes: no value
    g = pyBigWig.open(str(tmp_path / "s.donor_minus.bw"))
    assert np.allclose(g.values("chr16", 100476, 101000),
                       [tsv_vals[(p, "-")][1] for p in range(100477, 101001)], atol=1e-7)
    # BED: tabix-indexed, 0-based half-open, every site >= threshold and only those
    expected = sorted((p - 1, cls, s) for (p, s), v in tsv_vals.items()
                      for cls, x in zip(("acceptor", "donor"), v) if x >= 0.3)
    with pysam.TabixFile(bed) as tbx:
        got = [r.split("\t") for r in tbx.fetch("chr16", 99000, 101000)]
        assert sorted((int(r[1]), r[3], r[5]) for r in got) == expected
        assert all(int(r[2]) == int(r[1]) + 1 for r in got)
        assert all(abs(int(r[4]) - 1000 * float(r[6])) <= 0.5 + 1e-3 for r in got)
        one = list(tbx.fetch("chr16", expected[0][0], expected[0][0] + 1))
        assert one and int(one[0].split("\t")[1]) == expected[0][0]
    with gzip.open(bed, "rt") as h:
        starts = [int(l.split("\t")[1]) for l in h]
        assert starts == sorted(starts)
    lines = open(str(tmp_path / "s.acceptor_minus.bedgraph")).read().splitlines()
    assert lines[0].startswith("track type=bedGraph")
    first = lines[1].split("\t")
    assert first[:3] == ["chr16", "100476", "100477"]
    assert float(first[3]) == pytest.approx(tsv_vals[(100477, "-")][0], rel=1e-5)


# Every registered predict writer, with the -o names it is tested under here.
TRACK_WRITER_FILES = {"bigwig": ("s.bw", "s.bigwig"), "bedgraph": ("s.bedgraph", "s.bg"),
                      "bed": ("s.bed", "s.bed.gz"), "tsv": ("s.tsv", "s.tsv.gz")}


def test_every_track_writer_follows_the_one_naming_rule(tiny, tmp_path):
    pytest.importorskip("pysam")
    pytest.importorskip("pyBigWig")
    assert set(registry.track_writers().names()) == set(TRACK_WRITER_FILES)
    for name, outputs in TRACK_WRITER_FILES.items():
        for out in outputs:
            d = tmp_path / out.replace(".", "_")
            d.mkdir()
            assert registry.track_writer_for(str(d / out)).name == name
            assert run(cli(tmp_path, "chr16:99001-99010", "-o", str(d / out))) == 0
            stem, suffix = out.split(".", 1)
            if name in ("bigwig", "bedgraph"):  # one track per file: OUT.CLASS_STRAND.SUFFIX
                expected = {f"{stem}.{c}_{s}.{suffix}" for c in ("acceptor", "donor")
                            for s in ("plus", "minus")}
            else:  # rows carry class and strand: the file named (and its index)
                expected = {out} | ({out + ".tbi"} if out.endswith(".bed.gz") else set())
            assert {p.name for p in d.iterdir()} == expected, out


def test_predict_help_states_the_naming_rule():
    from typer.testing import CliRunner

    from spliceannot.cli import build_app
    from spliceannot.tracks import NAMING_RULE

    result = CliRunner().invoke(build_app(), ["predict", "--help"], env={"COLUMNS": "2000"})
    assert result.exit_code == 0
    assert " ".join(NAMING_RULE.split()) in " ".join(result.stdout.split())
    assert "s.acceptor_plus.bw" in NAMING_RULE and ".bedgraph" in NAMING_RULE


def test_regions_bed_and_gene(tiny, tmp_path):
    regions = tmp_path / "r.bed"
    regions.write_text("chr16\t209790\t209800\nchr16\t209795\t209810\n")  # overlapping: merged
    a, b = str(tmp_path / "a.tsv"), str(tmp_path / "b.tsv")
    assert run(cli(tmp_path, "--regions", str(regions), "-A", str(CHR16_TABLE), "-o", a)) == 0
    assert run(cli(tmp_path, "--gene", "NM_001286436", "-A", str(CHR16_TABLE), "-o", b)) == 0
    rows_a = [l.split("\t") for l in open(a)][1:]
    rows_b = {l.split("\t")[1]: l for l in list(open(b))[1:]}
    assert [int(r[1]) for r in rows_a] == list(range(209792, 209811))  # the gene starts at 209792
    assert len(rows_b) == 210116 - 209792 + 1
    assert all(rows_b[r[1]] == "\t".join(r) for r in rows_a)


@pytest.mark.parametrize("extra, message", [
    (["-o", "x.vcf"], "output type follows the name"),
    ([], "no output"),
    (["-o", "x.tsv", "--threshold", "2"], "--threshold"),
    (["chrZ:1-10", "-o", "x.tsv"], "contig not in the FASTA"),
    (["chr16:1-10", "--gene", "X", "-A", str(CHR16_TABLE), "-o", "x.tsv"], "one of REGION"),
    (["--gene", "NOPE", "-A", str(CHR16_TABLE), "-o", "x.tsv"], "not in the annotation"),
    (["--gene", "NM_001286436", "-o", "x.tsv"], "needs an annotation"),
    (["chr16:,-,", "-o", "x.tsv"],
     "region 'chr16:,-,': START and END must be numbers (CHROM:START-END)"),
    (["chr16:300000-300100", "-o", "x.tsv"],
     "region 'chr16:300000-300100': starts past the end of chr16 (210155 bp)"),
    (["--regions", "far.bed", "-o", "x.tsv"],
     "--regions far.bed, line 2: starts past the end of chr16 (210155 bp)"),
    (["--regions", "missing.bed", "-o", "x.tsv"],
     "--regions missing.bed: cannot read it (No such file or directory)"),
    (["--regions", "latin1.bed", "-o", "x.tsv"],
     "--regions latin1.bed, line 2: not UTF-8 text (a BED file is plain text)"),
    (["chr16:97400-97500", "-o", "nodir/x.tsv"], "-o nodir/x.tsv: directory "),
    (["chr16:97400-97500", "-o", "afile/x.tsv"], "-o afile/x.tsv: directory "),
])
def test_usage_errors(tiny, tmp_path, capsys, extra, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "far.bed").write_text("chr16\t10\t20\nchr16\t300000\t300100\n")
    (tmp_path / "latin1.bed").write_bytes(b"chr16\t10\t20\nchr16\t5\t10\tg\xe8ne\n")
    (tmp_path / "afile").write_text("a file, not a directory")
    assert run(cli(tmp_path, *extra)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("spliceannot: error: ")
    assert not list(tmp_path.glob("x*")) and not list(tmp_path.glob("*/x*"))


def test_real_model_equals_scoring_ref(spliceai_model):
    """The real SpliceAI ensemble: a '+' and a '-' gene, both ends of a 2-tile region."""
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    settings = delta.Settings(distance=20, pad_ends=True)
    for pos in (96100, 100500):
        chunks = list(predict_chunks([("chr16", pos - 20, pos + 20)], reference, spliceai_model,
                                     genes, tile=25, batch=2))
        got = per_gene(chunks)
        for name, (positions, y) in scoring_refs(spliceai_model, genes, reference, pos,
                                                  settings).items():
            g = next(g for g in genes.genes if g.name == name)
            for p, row in zip(positions, y):
                if g.tx_start <= p <= g.tx_end:
                    assert np.array_equal(got[name][int(p)], row[1:3]), (name, p)


def test_top_k_on_annotated_sites(tiny):
    """The metric itself, on a model that knows the answer: top-k is 1 when the annotated sites
    score highest, and falls when they do not."""
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    gene = next(g for g in genes.genes if g.name == "NM_001176")
    chunks = list(predict_chunks([("chr16", gene.tx_start, gene.tx_end)], reference, tiny, genes))
    acceptors, donors = delta.splice_sites(gene, 0)
    for chunk in chunks:
        for run, probs in chunk.runs:
            probs[:] = 0.01
            if run.gene == "NM_001176":
                for s in acceptors:
                    probs[s - run.start, 0] = 0.9
                for s in donors[:-1]:
                    probs[s - run.start, 1] = 0.9
    sub = annotation.GeneTable([gene])
    result = top_k_accuracy(chunks, sub)
    assert result["acceptor"] == {"k": len(acceptors), "top_k": 1.0}
    assert result["donor"]["k"] == len(donors)
    assert result["donor"]["top_k"] == pytest.approx((len(donors) - 1) / len(donors))


def test_any_backend_and_temperatures(tiny):
    """A backend that is not a SpliceNet ensemble, and a calibrated one (temperatures divide the
    logits): predict still gives the scoring path's REF."""
    from support.fakes import BaseCountModel

    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    settings = delta.Settings(distance=50, pad_ends=True)
    tiny.temperatures = [1.0, 2.0, 0.5]
    try:
        for model in (BaseCountModel(), tiny):
            (chunk,) = predict_chunks([("chr16", 100450, 100550)], reference, model, genes,
                                      tile=41)
            got = per_gene([chunk])
            for name, (positions, y) in scoring_refs(model, genes, reference, 100500,
                                                     settings).items():
                for p, row in zip(positions, y):
                    if p >= 100477:  # NM_003502 starts there
                        assert np.array_equal(got[name][int(p)], row[1:3])
        calibrated = got["NM_003502"][100500]
    finally:
        tiny.temperatures = None
    (chunk,) = predict_chunks([("chr16", 100500, 100500)], reference, tiny, genes)
    assert not np.array_equal(per_gene([chunk])["NM_003502"][100500], calibrated)
