"""Byte-identical SpliceAI= strings against spliceai 1.3.1 itself (recipe: tests/golden/README.md).

332 real-sequence records on hg38 chr16:186964-397118 (Debian augustus-doc) with its RefSeq
table, at -D 50 and -D 500, -M 0 and -M 1, and the two published TUBB8 results of Illumina's unit
tests. -M 0 and -M 1 feed the model identical windows, so the second run of each -D reads the
first run's predictions from a memo instead of recomputing them (a memo of a deterministic
function changes no number).
"""

import hashlib

import pytest

from conftest import CHR16_FASTA, CHR16_TABLE, GOLDEN
from spliceannot import registry
from spliceannot.hookspecs import hookimpl
from spliceannot.model import Model
from spliceannot.plugins import get_plugin_manager
from spliceannot.scoring import Options, score_file


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


@pytest.mark.slow
@pytest.mark.parametrize("distance", [50, 500])
def test_chr16_matches_spliceai_131(memo_model, tmp_path, distance):
    memo_model.memo.clear()
    for mask in (0, 1):
        out = tmp_path / f"D{distance}_M{mask}.vcf"
        opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), distance=distance,
                       mask=bool(mask), model="spliceai-memo")
        summary = score_file(str(GOLDEN / "chr16_variants.vcf"), str(out), opts)
        got = spliceai_strings(out)
        want = spliceai_strings(GOLDEN / f"spliceai131_D{distance}_M{mask}.vcf")
        assert len(got) == len(want) == summary.records_out == 332
        diff = [(w, g[-1]) for g, w in zip(got, want) if g != w]
        assert diff == [], f"D={distance} M={mask}: {len(diff)} records differ"
        assert sum(1 for w in want if w[-1]) > 250  # most records carry scores


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
