"""Byte-identical SpliceAI= strings against spliceai 1.3.1 itself (recipe: tests/golden/README.md).

332 real-sequence records on hg38 chr16:186964-397118 (Debian augustus-doc) with its RefSeq
table, at -D 50 and -D 500, -M 0 and -M 1, and the two published TUBB8 results of Illumina's unit
tests. -M 0 and -M 1 feed the model identical windows, so each -D runs the model once and both
masks are finished from the same predictions; the whole pipeline and the per-window reference
path run subsets (the latter's -M 1 pass reads its -M 0 predictions from a memo: a memo of a
deterministic function changes no number).
"""

import hashlib

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN
from spliceannot import registry
from spliceannot.hookspecs import hookimpl
from spliceannot.models import Model
from spliceannot.plugins import get_plugin_manager
from spliceannot.pipeline import Options, score_file


def spliceai_strings(path):
    out = []
    for line in open(path):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        info = [kv[len("SpliceAI="):] for kv in f[7].split(";") if kv.startswith("SpliceAI=")]
        out.append((f[0], f[1], f[2], f[3], f[4], info[0] if info else None))
    return out


class MemoModel(Model):
    name = "spliceai-memo"
    context = 10000

    def __init__(self, inner):
        self.inner = inner
        self.memo = {}

    def predict(self, x):
        key = (x.shape, hashlib.sha1(x.tobytes()).digest())
        if key not in self.memo:
            self.memo[key] = self.inner.predict(x)
        return self.memo[key]


@pytest.fixture(scope="module")
def memo_model(spliceai_model):
    model = MemoModel(spliceai_model)

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(model)

    pm = get_plugin_manager()
    pm.register(Plugin(), name="memo-plugin")
    registry.reset()
    yield model
    pm.unregister(name="memo-plugin")
    registry.reset()


def golden_subset(tmp_path, n):
    """The first n records of the golden VCF, and the matching golden lines."""
    lines = open(GOLDEN / "chr16_variants.vcf").read().splitlines(keepends=True)
    header = [l for l in lines if l.startswith("#")]
    path = tmp_path / f"first{n}.vcf"
    path.write_text("".join(header + [l for l in lines if not l.startswith("#")][:n]))
    return path


def engine_strings(model, vcf, distance):
    """SpliceAI strings per record for -M 0 and -M 1 from ONE engine pass over ``vcf``.

    What the default ``fast`` scorer and the VCF writer do, with the model run shared by both
    masks (the mask only enters ``delta.finish``).
    """
    from spliceannot import genes as annotation, delta
    from spliceannot.engine import Engine
    from spliceannot.io.reference import Reference
    from spliceannot.io.vcf import VcfReader

    reference, genes = Reference(str(CHR16_FASTA)), registry.load_annotation(str(CHR16_TABLE))
    settings = {m: delta.Settings(distance=distance, mask=bool(m)) for m in (0, 1)}
    plans = [delta.plan(r.variant, reference, genes, model.context, settings[0])
             for r in VcfReader(str(vcf))]
    items = [(t, p.variant.chrom, p.variant.pos) for p in plans for t in p.tasks()]
    tracks = dict(zip(map(id, (t for t, _, _ in items)), Engine(model).predict(items)))
    out = {}
    for m in (0, 1):
        strings = []
        for p in plans:
            entries = [delta.finish(i, *tracks[id(i)], settings[m]) if isinstance(i, delta.Task)
                       else i for i in p.items] if p.reason is None else []
            strings.append(",".join(e.format() for e in entries) or None)
        out[m] = strings
    return out


@pytest.mark.parametrize("distance", [50, 500])
def test_chr16_matches_spliceai_131(spliceai_model, distance):
    """All 332 records through the fast engine (the default scorer), -M 0 and -M 1."""
    got = engine_strings(spliceai_model, GOLDEN / "chr16_variants.vcf", distance)
    for mask in (0, 1):
        want = [w[-1] for w in spliceai_strings(GOLDEN / f"spliceai131_D{distance}_M{mask}.vcf")]
        assert len(got[mask]) == len(want) == 332
        diff = [(i, w, g) for i, (g, w) in enumerate(zip(got[mask], want)) if g != w]
        assert diff == [], f"D={distance} M={mask}: {len(diff)} records differ"
        assert sum(1 for w in want if w) > 250  # most records carry scores


def test_pipeline_matches_spliceai_131(spliceai_model, tmp_path):
    """The whole CLI pipeline with its default scorer on 40 records, D=50, -M 1."""
    vcf = golden_subset(tmp_path, 40)
    out = tmp_path / "o.vcf"
    opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), distance=50, mask=True)
    assert score_file(str(vcf), str(out), opts).records_out == 40
    assert spliceai_strings(out) == spliceai_strings(GOLDEN / "spliceai131_D50_M1.vcf")[:40]


def test_reference_path_matches_spliceai_131(memo_model, tmp_path):
    """The per-window ``delta`` scorer on the first 36 records (both masks, D=50); the fast
    engine's equality to it on every kind of record is the option matrix's and test_engine's."""
    memo_model.memo.clear()
    vcf = golden_subset(tmp_path, 36)
    for mask in (0, 1):
        out = tmp_path / f"delta_M{mask}.vcf"
        opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), distance=50,
                       mask=bool(mask), model="spliceai-memo", scorer="delta")
        score_file(str(vcf), str(out), opts)
        want = spliceai_strings(GOLDEN / f"spliceai131_D50_M{mask}.vcf")[:36]
        assert spliceai_strings(out) == want
        assert sum(1 for w in want if w[-1]) > 30


TUBB8 = [("94077", "A", "C", "C|TUBB8|0.15|0.27|0.00|0.05|89|-23|-267|193"),
         ("94555", "C", "T", "T|TUBB8|0.01|0.18|0.15|0.62|-2|110|-190|0")]


@pytest.mark.parametrize("fasta,chrom", [("test.fa", "10"), ("test.fa", "chr10"),
                                          ("test_without_prefix.fa", "10"),
                                          ("test_without_prefix.fa", "chr10")])
def test_tubb8_published_results(spliceai_model, shared_data, tmp_path, fasta, chrom):
    """Illumina's tests/test_delta_score.py cases: D=500, M=0, grch37, CHROM with and without chr."""
    ref = shared_data / "human_grch37" / "chr10_1-110000_spliceai_test" / fasta
    work = tmp_path / fasta  # pysam wants to own the .fai beside the FASTA
    work.symlink_to(ref)
    vcf = tmp_path / "tubb8.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + "".join(
        f"{chrom}\t{pos}\t.\t{r}\t{a}\t.\t.\t.\n" for pos, r, a, _ in TUBB8))
    out = tmp_path / "out.vcf"
    score_file(str(vcf), str(out), Options(reference=str(work), annotation="grch37", distance=500))
    assert [s[-1] for s in spliceai_strings(out)] == [want for *_, want in TUBB8]
