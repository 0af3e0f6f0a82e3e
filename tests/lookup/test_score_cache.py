"""The persistent score cache: a second identical run computes nothing; other settings miss."""

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot.pipeline import Options, score_file


def body(path):
    return [l.split("\t")[:8] for l in open(path) if not l.startswith("#")]


def test_second_run_is_answered_from_the_cache(tmp_path):
    undo = add_models(BaseCountModel())
    try:
        def run(name, **kw):
            BaseCountModel.calls = 0
            out = tmp_path / name
            summary = score_file(str(GOLDEN / "chr16_variants.vcf"), str(out), Options(
                reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                model=BaseCountModel.name, score_cache=str(tmp_path / "cache"), **kw))
            run.timings = summary.timings
            return out, BaseCountModel.calls

        first, calls = run("a.vcf")
        assert calls > 100
        # Counted are the records that need a model; records outside every gene pass by before
        # the lookups, and unscorable ones never reach them.
        assert run.timings["cache hits"] == 0 and run.timings["cache misses"] == 302
        second, calls = run("b.vcf")
        assert calls == 0 and body(second) == body(first)
        assert run.timings["cache hits"] == 302 and run.timings["cache misses"] == 0
        _, calls = run("c.vcf", distance=10)  # other settings: another cache file
        assert calls > 100
        raw, calls = run("d.vcf", raw=True)
        assert calls > 0 and len(list((tmp_path / "cache" / "scores").glob("*.sqlite"))) == 3
        again, calls = run("e.vcf", raw=True)
        assert calls == 0 and body(again) == body(raw)
    finally:
        undo()
