"""The public Python API: the README's example runs and gives 1.3.1's strings; the facade is lazy."""

import re

import pytest

from support.cli import run_python
from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN, REPO
import spliceannot
from spliceannot.errors import UsageError


def golden_strings(distance=50):
    out = {}
    for line in open(GOLDEN / f"spliceai131_D{distance}_M0.vcf"):
        if not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            info = [kv[9:] for kv in f[7].split(";") if kv.startswith("SpliceAI=")]
            out[(int(f[1]), f[3], f[4])] = info[0] if info else None
    return out


def test_readme_example_runs_and_matches_spliceai_131(spliceai_model, tmp_path, monkeypatch):
    text = (REPO / "README.md").read_text()
    code = re.search(r"## Python API.*?```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(REPO)
    code = code.replace('"demo.scored.vcf.gz"', repr(str(tmp_path / "demo.scored.vcf.gz")))
    ns = {}
    exec(compile(code, "README.md", "exec"), ns)
    want = golden_strings()
    got = [",".join(e.format() for e in r.entries) for r in ns["results"]]
    assert got == [want[(5963, "C", "CGGAT")], want[(6052, "T", "C")]]
    assert ns["probs"].shape == (180, 3)
    assert ns["summary"].records_in == ns["summary"].records_out > 0
    frame = ns["frame"]
    assert list(frame["SYMBOL"]) == ["NM_018032", "NM_201412"]
    assert frame["DP_AL"].tolist() == [-18, -18]


def test_score_variants_keeps_order_and_reasons():
    from support.fakes import BaseCountModel, add_models

    remove = add_models(BaseCountModel())
    try:
        results = spliceannot.score_variants(
            ["chr16-6052-T-C", "chr16-2100-C-A", "chrX-10-A-G", "chr16-6052-G-C"],
            reference=CHR16_FASTA, annotation=CHR16_TABLE, model="base-count-test")
    finally:
        remove()
    assert [r.reason for r in results] == [None, "window runs past contig end",
                                           "contig absent from FASTA", "REF does not match FASTA"]
    assert [e.gene for e in results[0].entries] == ["NM_018032", "NM_201412"]


def test_unknown_option_and_bad_variant_are_usage_errors():
    with pytest.raises(UsageError, match="unknown option.*distanse"):
        spliceannot.score_variants(["chr16-6052-T-C"], CHR16_FASTA, CHR16_TABLE, distanse=5)
    with pytest.raises(UsageError, match="CHROM-POS-REF-ALT"):
        spliceannot.parse_variant("chr16 6052")


@pytest.mark.parametrize("spec, want", [
    ("chr16-262226-G-A", ("chr16", 262226, "G", ["A"])),
    ("16:262226 G>A,T", ("16", 262226, "G", ["A", "T"])),
    (("chr1", "5", "ac", "G"), ("chr1", 5, "ac", ["G"])),
])
def test_variant_spellings(spec, want):
    v = spliceannot.parse_variant(spec)
    assert (v.chrom, v.pos, v.ref, v.alts) == want


def test_predict_sequence_tiles_equal_one_window():
    import numpy as np

    from spliceannot.models import EnsembleModel
    from spliceannot.sequence import one_hot

    class Tiny(EnsembleModel):
        name, context = "tiny-api", 80

        def load_networks(self):
            import torch

            from spliceannot.models.network import NetworkConfig, SpliceNet

            torch.manual_seed(0)
            return [SpliceNet(NetworkConfig.preset(80))]

    model = Tiny()
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 1234))
    got = spliceannot.predict_sequence(seq, model=model, chunk=500)  # three tiles
    want = model.predict(one_hot("N" * 40 + seq + "N" * 40)[None])[0]
    assert got.shape == (1234, 3)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.abs(got.sum(axis=1) - 1).max() < 1e-5


def test_import_is_lazy_and_exports_resolve():
    code = ("import sys, spliceannot; assert 'torch' not in sys.modules and 'cyvcf2' not in "
            "sys.modules; [getattr(spliceannot, n) for n in spliceannot.__all__]; print('ok')")
    out = run_python(code)
    assert out.stdout.strip() == "ok", out.stderr
    from spliceannot.hookspecs import hookimpl
    from spliceannot.models import Model

    assert spliceannot.hookimpl is hookimpl and spliceannot.Model is Model


def _tiny_model():
    from spliceannot.models import EnsembleModel

    class Tiny(EnsembleModel):
        name, context = "tiny-api", 80

        def load_networks(self):
            import torch

            from spliceannot.models.network import NetworkConfig, SpliceNet

            torch.manual_seed(0)
            return [SpliceNet(NetworkConfig.preset(80))]

    return Tiny()


def test_predict_sequence_drops_whitespace_and_names_a_bad_base():
    import numpy as np

    from spliceannot.errors import ArgumentError, ArgumentTypeError

    model = _tiny_model()
    seq = "ACGTTGCAAGGTAAGTNNacgtagct" * 4
    pasted = "\n".join(seq[i:i + 10] for i in range(0, len(seq), 10)) + "\n"
    got = spliceannot.predict_sequence(pasted, model=model)
    assert got.shape == (len(seq), 3)  # a newline is not a base
    np.testing.assert_array_equal(got, spliceannot.predict_sequence(seq, model=model))
    with pytest.raises(ArgumentError, match=r"sequence: 'R' at position 5 is not A, C, G, T or N"):
        spliceannot.predict_sequence("ACG\nRT", model=model)
    with pytest.raises(ValueError, match="'-' at position 3"):  # a ValueError too
        spliceannot.predict_sequence("AC-GT", model=model)
    with pytest.raises(ArgumentError, match=r"chunk=0: must be >= 1"):
        spliceannot.predict_sequence(seq, model=model, chunk=0)
    with pytest.raises(ArgumentTypeError, match="sequence: text"):
        spliceannot.predict_sequence(b"ACGT", model=model)
    with pytest.raises(TypeError, match=r"model: a name, a path or a Model, not int"):
        spliceannot.predict_sequence(seq, model=3)
    with pytest.raises(TypeError, match=r"chunk='5': give a whole number"):
        spliceannot.predict_sequence(seq, model=model, chunk="5")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"chunk_size": 0}, ValueError, r"chunk_size=0: must be >= 1"),
    ({"chunk_size": -3}, ValueError, r"chunk_size=-3: must be >= 1"),
    ({"chunk_size": 2.5}, TypeError, r"chunk_size=2.5: give a whole number"),
    ({"distance": -1}, ValueError, r"distance=-1: must be >= 0"),
    ({"distance": "50"}, TypeError, r"distance='50': give a whole number"),
    ({"mask": 2}, TypeError, r"mask=2: give True or False"),
    ({"raw": "yes"}, TypeError, r"raw='yes': give True or False"),
    ({"precomputed": [1]}, TypeError, r"precomputed=\[1\]: give a path or a list of paths"),
    ({"reference": 5}, TypeError, r"reference: a FASTA path, not int"),
])
def test_score_variants_checks_arguments(kwargs, error, message):
    from spliceannot.errors import UsageError

    args = {"reference": CHR16_FASTA, "annotation": CHR16_TABLE, "model": "base-count-test"}
    args.update(kwargs)
    with pytest.raises(error, match=message) as info:
        spliceannot.score_variants(["chr16-6052-T-C"], **args)
    assert isinstance(info.value, UsageError)  # the CLI's own kind, too


def test_score_variants_chunk_size_one_and_argument_kinds():
    from support.fakes import BaseCountModel, add_models

    from spliceannot.errors import ArgumentError, ArgumentTypeError

    remove = add_models(BaseCountModel())
    try:
        kw = {"reference": CHR16_FASTA, "annotation": CHR16_TABLE, "model": "base-count-test"}
        one = spliceannot.score_variants(["chr16-6052-T-C", "chr16-6053-A-G"], chunk_size=1, **kw)
        many = spliceannot.score_variants(["chr16-6052-T-C", "chr16-6053-A-G"], **kw)
        assert len(one) == 2 and [r.entries for r in one] == [r.entries for r in many]
        assert [r.variant.pos for r in one] == [6052, 6053]
        with pytest.raises(ArgumentTypeError, match=r"variants: a list of variants, not a "
                                                    r"single str; wrap it"):
            spliceannot.score_variants("chr16-6052-T-C", **kw)
        with pytest.raises(ArgumentTypeError, match="variants: a list"):
            spliceannot.score_variants(5, **kw)
        with pytest.raises(TypeError, match=r"input_path: a path"):
            spliceannot.score_vcf(None, "-", CHR16_FASTA, CHR16_TABLE)
    finally:
        remove()
    for spec, error, message in [
        (("chr16", "x", "A", "G"), ArgumentError, "pos must be a whole number >= 1"),
        (("chr16", 0, "A", "G"), ArgumentError, "pos must be a whole number >= 1"),
        (("chr16", 5, "A", None), ArgumentTypeError, "alt must be text or a list"),
        (("chr16", 5, None, "G"), ArgumentTypeError, "ref must be non-empty text"),
        ((16, 5, "A", "G"), ArgumentTypeError, "chrom must be non-empty text"),
        (("chr16", 5, "A"), ArgumentError, "a tuple of 3 items"),
        (12345, ArgumentTypeError, "a int; give text such as chr16-262226-G-A"),
        ("chr16 6052", ArgumentError, "CHROM-POS-REF-ALT"),
    ]:
        with pytest.raises(error, match=message):
            spliceannot.parse_variant(spec)
