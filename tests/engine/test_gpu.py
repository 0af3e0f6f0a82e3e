"""On CUDA: the probe, the engine against the per-window path and 1.3.1's strings (``-m gpu``).

Skipped without CUDA; the logic of every CUDA path is also run on the CPU by test_inference.py
(fixed shapes, batched head) and test_engine.py (whole-window fallback, batching).
The H200 figures and the check script: benchmarks/gpu.sh, benchmarks/RESULTS.i13.md.
"""

import numpy as np
import pytest

from support.paths import CHR16_FASTA, GOLDEN

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def test_probe_passes_on_cuda(spliceai_model):
    from spliceannot.engine.inference import InferenceNet, position_invariant

    for net in spliceai_model.networks()[:1]:
        assert position_invariant(InferenceNet(net, "cuda"))


def test_cuda_golden_strings_equal_spliceai_131(spliceai_model):
    from test_golden import engine_strings, spliceai_strings

    import spliceannot.engine

    original = spliceannot.engine.Engine
    spliceannot.engine.Engine = lambda model: original(model, device="cuda", batch_size=64)
    try:
        got = engine_strings(spliceai_model, GOLDEN / "chr16_variants.vcf", 50)
    finally:
        spliceannot.engine.Engine = original
    for mask in (0, 1):
        want = [w[-1] for w in spliceai_strings(GOLDEN / f"spliceai131_D50_M{mask}.vcf")]
        assert got[mask] == want


def test_cuda_probabilities_match_keras(spliceai_model):
    from spliceannot.engine.inference import InferenceNet
    from spliceannot.sequence import one_hot, reverse_complement_onehot

    golden = np.load(GOLDEN / "keras_probs.npz")
    seq = "".join(line.strip() for line in open(CHR16_FASTA).readlines()[1:])
    nets = [InferenceNet(n, "cuda") for n in spliceai_model.networks()]
    for w, (centre, strand) in enumerate(zip(golden["centres"], golden["strands"])):
        x = one_hot(seq[centre - 5051:centre + 5050])
        if strand == "-":
            x = reverse_complement_onehot(x)
        xt = torch.from_numpy(np.ascontiguousarray(x))[None].cuda()
        with torch.inference_mode():
            for m, net in enumerate(nets):
                y = net.probs(net.forward(xt)[0])[0].cpu().numpy()
                assert np.abs(y - golden["probs"][w, m]).max() <= 1e-5


def test_cuda_fallback_runs_whole_windows(monkeypatch, spliceai_model):
    """Where the probe fails on CUDA the engine computes each window whole: the per-window path."""
    import spliceannot.engine
    from test_engine import assert_same, pick_plans, world  # noqa: F401

    from spliceannot import registry
    from spliceannot.io.reference import Reference

    plans = pick_plans((Reference(str(CHR16_FASTA)), registry.load_annotation(str(
        GOLDEN.parent.parent / "annotations" / "hg38_chr16_186964-397118.refseq.txt"))),
        spliceai_model, 50)
    items = [(t, p.variant.chrom, p.variant.pos) for p in plans for t in p.tasks()][:3]
    monkeypatch.setattr(spliceannot.engine, "position_invariant", lambda net: False)
    engine = spliceannot.engine.Engine(spliceai_model, device="cuda")
    assert engine.whole_windows and not engine.defers_to_per_window
    cuda_model = type(spliceai_model)()
    cuda_model.device = "cuda"
    want = [(cuda_model.predict(t.x_ref[None])[0], cuda_model.predict(t.x_alt[None])[0])
            for t, _, _ in items]
    assert_same(engine.predict(items), want, items)


def test_cuda_switches_to_fixed_shapes_where_natural_ones_fail(monkeypatch, spliceai_model):
    """A probe failing on natural shapes only: the engine runs every conv in one shape per layer,
    stays exact, and is not the whole-window fallback; TF32 is off for fp32."""
    import spliceannot.engine
    from spliceannot.engine.inference import CUDA_SHAPES

    monkeypatch.setattr(spliceannot.engine, "position_invariant",
                        lambda net: net.stem.fixed is not None)
    engine = spliceannot.engine.Engine(spliceai_model, device="cuda")
    assert engine.exact and not engine.whole_windows
    assert all(c.fixed == CUDA_SHAPES for n in engine.nets for c in n.convs())
    assert not torch.backends.cudnn.allow_tf32 and torch.backends.cudnn.deterministic


def test_cuda_graphs_equal_plain_cuda_engine(spliceai_model):
    """Every REF and ALT pass captured once and replayed: the plain CUDA engine's bits, and a
    second call replays without capturing again."""
    from test_engine import pick_plans
    from spliceannot.engine import Engine
    from spliceannot.engine.graphs import REF_BUCKET  # noqa: F401
    from spliceannot.io.reference import Reference
    from spliceannot import registry
    from support.paths import CHR16_TABLE

    world = Reference(str(CHR16_FASTA)), registry.load_annotation(str(CHR16_TABLE))
    plans = pick_plans(world, spliceai_model, 50)
    tasks = [t for p in plans for t in p.tasks()][:8]
    plain = Engine(spliceai_model, device="cuda", batch_size=4, graphs=False).predict(tasks)
    e = Engine(spliceai_model, device="cuda", batch_size=4, graphs=True)
    assert e.graphs.cuda
    for _ in range(2):
        got = e.predict(tasks)
        for (a, b), (c, d) in zip(got, plain):
            assert np.array_equal(a, c) and np.array_equal(b, d)
    assert e.stats["ref replays"] >= 1 and e.stats["alt replays"] >= 1
