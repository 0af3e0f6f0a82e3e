"""Records no gene touches go through as lines: the same bytes and counts as the record path."""

import gzip

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from spliceannot import delta, registry
from spliceannot.passthrough import RawLines
from spliceannot.pipeline import Options, score_file
from spliceannot.plugins import get_plugin_manager, load_plugins_dir

HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
          '##INFO=<ID=AC,Number=A,Type=Integer,Description="count">\n'
          '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="an older run">\n'
          '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
BODY = [
    "chr16\t42600\tout1\tN\tA\t50\tPASS\tAC=1\tGT\t0/1",  # outside every gene
    "chr16\t42700\tout2\tN\tA,C\t.\t.\t.\tGT\t1/1",
    "chr16\t99500\tin1\tN\tA\t50\tPASS\tAC=1\tGT\t0/1",  # in NM_006849: scored
    "chr16\t42800\tcrlf\tN\tA\t50\tPASS\tAC=1\tGT\t0/1\r",  # a CRLF line end
    "",  # a blank line
    "chr16\t42900\tundeclared\tN\tA\t50\tLowQ\tAC=1;NEW=3;FLAG\tGT:XX\t0/1:2",
    "chr16\t43000\told\tN\tA\t50\tPASS\tAC=1;SpliceAI=A|X|0|0|0|0|1|2|3|4\tGT\t0/1",
    "chr16\t43100\tnoalt\tN\t.\t50\tPASS\tAC=1",  # 8 columns, no ALT
    "chrZ\t500\tnocontig\tN\tA\t50\tPASS\tAC=1\tGT\t0/1",  # not in the FASTA: a warning
    "chr16\t0\ttelomere\tN\tA\t50\tPASS\tAC=1\tGT\t0/1",
    "chr16\t43200\tshort\tN\tA",  # malformed: 5 columns
    "chr16\tx\tbadpos\tN\tA\t50\tPASS\tAC=1",  # malformed POS
    "chr16\t99600\tin2\tN\tG\t50\tPASS\t.\tGT\t0/1",
    "chr16\t43300\tlatin1\tN\tA\t50\tPASS\tAC=1\tGT\t0/1",
]


@pytest.fixture(scope="module")
def tiny():
    names = load_plugins_dir(DATA / "plugins")
    yield
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


def mixed_vcf(path):
    body = "\n".join(BODY).encode().replace(b"latin1", b"lat\xe9n1")  # not UTF-8: kept as is
    path.write_bytes(HEADER.encode() + body + b"\n")
    return path


def run(tmp_path, name, monkeypatch, by_line: bool, **extra):
    from spliceannot.default_plugins.vcf_writer import VcfOutput

    monkeypatch.setattr(VcfOutput, "raw_lines", by_line)
    runs = []
    monkeypatch.setattr(VcfOutput, "write_raw", lambda self, batch: (
        runs.append(len(batch)), self._out.write_raw(batch)))
    out = tmp_path / name
    opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
                   skip_malformed=True, **extra)
    summary = score_file(str(mixed_vcf(tmp_path / "in.vcf")), str(out), opts)
    data = gzip.open(out).read() if name.endswith(".gz") else out.read_bytes()
    return data, summary, runs


@pytest.mark.parametrize("name", ["out.vcf", "out.vcf.gz"])
def test_lines_and_records_write_the_same_bytes(tiny, tmp_path, monkeypatch, caplog, name):
    fast, fast_summary, runs = run(tmp_path, name, monkeypatch, True)
    warned = sorted(r.getMessage() for r in caplog.records)
    caplog.clear()
    slow, slow_summary, none = run(tmp_path, "slow-" + name, monkeypatch, False)
    assert fast == slow
    assert sorted(r.getMessage() for r in caplog.records) == warned
    assert sum(runs) == 7 and none == []  # out1, out2, crlf, undeclared, old, noalt, latin1
    fast_summary.seconds = slow_summary.seconds = 0
    fast_summary.timings = slow_summary.timings = {}
    assert fast_summary == slow_summary
    assert fast_summary.records_in == 13 and fast_summary.unscored[delta.NO_GENE] == 7
    body = [line for line in fast.split(b"\n") if line and not line.startswith(b"#")]
    ids = [line.split(b"\t")[2] for line in body]
    assert ids == [b"out1", b"out2", b"in1", b"crlf", b"undeclared", b"old", b"noalt",
                   b"nocontig", b"telomere", b"in2", b"lat\xe9n1"]
    assert body[0] == BODY[0].encode() and body[3] == BODY[3][:-1].encode()  # CRLF -> LF
    assert b"SpliceAI=" not in body[5]  # this run's INFO ID replaces an older run's
    head = fast.split(b"#CHROM")[0]
    assert b"##INFO=<ID=NEW," in head and b"##FORMAT=<ID=XX," in head and b"##FILTER=<ID=LowQ," in head


def test_raw_lines_are_runs_of_well_formed_records_outside_genes(tiny, tmp_path):
    from spliceannot.genes import GeneTable  # noqa: F401  (the table's own overlap is used)
    from spliceannot.io.reference import Reference
    from spliceannot.io.vcf import VcfReader
    from spliceannot.passthrough import GeneSpans, sort_lines

    genes = registry.load_annotation(str(CHR16_TABLE))
    reference = Reference(str(CHR16_FASTA))
    reader = VcfReader(str(mixed_vcf(tmp_path / "in.vcf")))
    items = list(sort_lines(reader, GeneSpans(genes, reference)))
    reader.close()
    reference.close()
    kinds = [("raw", [f[2] for _, _, f in item]) if type(item) is RawLines
             else ("record", item.raw.split("\t")[2]) for item in items]
    assert kinds == [("raw", [b"out1", b"out2"]), ("record", "in1"),
                     ("raw", [b"crlf", b"undeclared", b"old", b"noalt"]), ("record", "nocontig"),
                     ("record", "telomere"), ("record", "short"), ("record", "badpos"),
                     ("record", "in2"), ("raw", [b"lat\xe9n1"])]
    assert items[0][0][0] == 7  # line numbers count the header


def test_rejects_keep_the_record_path(tiny, tmp_path, monkeypatch):
    _, summary, runs = run(tmp_path, "r.vcf", monkeypatch, True, rejects=str(tmp_path / "rej.tsv"))
    assert runs == []  # every no-gene record gets its rejects line
    rows = (tmp_path / "rej.tsv").read_bytes().decode("utf-8", "surrogateescape").splitlines()[1:]
    assert sum(r.endswith("\t" + delta.NO_GENE) for r in rows) == 7


def blocky_vcf(path):
    """Many records outside genes (varying INFO values) with, among them, each kind of line the
    block path must hand to the line path; the last line has no line end."""
    body = [f"chr16\t{42600 + i}\tb{i}\tN\tA\t{i}\tPASS\tAC={i % 7};DP={i}\tGT\t0/1"
            for i in range(300)]
    body[40] = "chr16\t99500\tin1\tN\tA\t50\tPASS\tAC=1\tGT\t0/1"  # in a gene: scored
    body[80] = "chr16\t42680\tnew\tN\tA\t50\tLowQ\tAC=1;NEW=3;FLAG\tGT:XX\t0/1:2"  # undeclared
    body[120] = "chr16\t42720\told\tN\tA\t50\tPASS\tAC=1;SpliceAI=A|X|0|0|0|0|1|2|3|4\tGT\t0/1"
    body[160] = "chrZ\t500\tnocontig\tN\tA\t50\tPASS\tAC=1\tGT\t0/1"
    body[200] = "chr16\t0\ttelomere\tN\tA\t50\tPASS\tAC=1\tGT\t0/1"
    body[240] = "chr16\t42840\tnoformat\tN\tA\t50\t.\t."  # 8 columns
    body[260] = "chr16\t42860\tflag\tN\tA\t50\tPASS\tFLAG;AC=2\tGT\t0/1"  # declared by then
    path.write_bytes(HEADER.encode() + "\n".join(body).encode())
    return path


@pytest.mark.parametrize("name", ["out.vcf", "out.vcf.gz"])
def test_blocks_write_the_bytes_the_lines_and_records_write(tiny, tmp_path, monkeypatch, caplog,
                                                           name):
    from spliceannot.default_plugins.vcf_writer import VcfOutput
    from spliceannot.passthrough import RawBlock

    outs = []
    for raw_lines, raw_blocks in ((True, True), (True, False), (False, False)):
        monkeypatch.setattr(VcfOutput, "raw_lines", raw_lines)
        monkeypatch.setattr(VcfOutput, "raw_blocks", raw_blocks)
        kinds = []
        monkeypatch.setattr(VcfOutput, "write_raw", lambda self, batch: (
            kinds.append(type(batch)), self._out.write_raw(batch)))
        caplog.clear()
        out = tmp_path / f"{raw_lines}{raw_blocks}{name}"
        summary = score_file(str(blocky_vcf(tmp_path / "in.vcf")), str(out),
                             Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                                     model="tiny-dir"))
        summary.seconds, summary.timings = 0, {}
        data = gzip.open(out).read() if name.endswith(".gz") else out.read_bytes()
        outs.append((data, summary, sorted(r.getMessage() for r in caplog.records)))
        if raw_blocks:
            assert RawBlock in kinds
    assert outs[0] == outs[1] == outs[2]
    data, summary, warned = outs[0]
    assert summary.records_in == summary.records_out == 300
    assert summary.unscored[delta.NO_GENE] == 297  # all but in1, nocontig and telomere
    body = [line for line in data.split(b"\n") if line and not line.startswith(b"#")]
    assert body[0] == b"chr16\t42600\tb0\tN\tA\t0\tPASS\tAC=0;DP=0\tGT\t0/1"
    assert b"SpliceAI=" not in body[120] and body[-1].startswith(b"chr16\t42899\tb299")
    head = data.split(b"#CHROM")[0]
    assert b"##INFO=<ID=NEW," in head and b"##INFO=<ID=FLAG," in head
    assert b"##FORMAT=<ID=XX," in head and b"##FILTER=<ID=LowQ," in head
