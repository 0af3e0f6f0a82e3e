"""The fast engine gives the reference path's numbers bit for bit, hence the ``delta`` strings.

Each reference window is predicted once (``model.predict`` on one window, what ``delta`` does) and
cached; the engine must reproduce every REF and ALT track exactly, whatever the batching, order or
track sharing. Variants come from the committed chr16 fixture: SNVs, insertions and deletions on
both strands, a multi-allelic record, variants whose window reaches a transcript end (masking),
two nearby variants sharing one REF track, and a seeded random sample.
"""

import random

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN
from spliceannot import delta, registry
from spliceannot.engine.cone import Cone, build_tracks, split_alt, stage_radii
from spliceannot.models.network import UNITS_10K
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant

torch = pytest.importorskip("torch")


def read_variants():
    out = []
    for line in open(GOLDEN / "chr16_variants.vcf"):
        if line.startswith("#"):
            continue
        f = line.split("\t")
        out.append(Variant(f[0], int(f[1]), f[3], f[4].split(","), id=f[2]))
    return out


def kind(task):
    if task.ref_len == len(task.alt):
        return "snv"
    return "ins" if len(task.alt) > task.ref_len else "del"


@pytest.fixture(scope="module")
def world():
    return Reference(str(CHR16_FASTA)), registry.load_annotation(str(CHR16_TABLE))


def pick_plans(world, model, distance, seed=3):
    """Plans of a varied, seeded selection of fixture records (see the module docstring)."""
    reference, genes = world
    settings = delta.Settings(distance=distance)
    plans = [delta.plan(v, reference, genes, model.context, settings) for v in read_variants()]
    plans = [p for p in plans if p.tasks()]
    rng = random.Random(seed)
    chosen = {}
    by_kind = {}
    for p in plans:
        for t in p.tasks():
            by_kind.setdefault((t.gene.strand, kind(t)), []).append(p)
    for group in by_kind.values():
        for p in rng.sample(group, 1):
            chosen[p.variant.id] = p
    multi = [p for p in plans if len(p.variant.alts) > 1 and len(p.tasks()) > 1]
    chosen[multi[0].variant.id] = multi[0]
    # Nearest a transcript end: the window's N-masking differs from its neighbours'.
    ends = sorted(plans, key=lambda p: min(min(abs(p.variant.pos - t.gene.tx_start),
                                               abs(p.variant.pos - t.gene.tx_end))
                                           for t in p.tasks()))
    chosen[ends[0].variant.id] = ends[0]
    # A neighbour within a few hundred bases of a chosen SNV shares its REF track.
    anchor = by_kind[("+", "snv")][0]
    near = [p for p in plans if 0 < abs(p.variant.pos - anchor.variant.pos) < 600
            and p.tasks()[0].gene.strand == "+"]
    chosen[anchor.variant.id] = anchor
    if near:
        chosen[near[0].variant.id] = near[0]
    for p in rng.sample(plans, 2):  # plus a random pair
        chosen[p.variant.id] = p
    return list(chosen.values())


class ReferencePath:
    """model.predict on one window at a time, memoised by window content."""

    def __init__(self, model):
        self.model = model
        self.cache = {}

    def __call__(self, x):
        key = (x.shape, x.tobytes())
        if key not in self.cache:
            self.cache[key] = self.model.predict(x[None])[0]
        return self.cache[key]


@pytest.fixture(scope="module")
def d50(world, spliceai_model):
    plans = pick_plans(world, spliceai_model, 50)
    items = [(t, p.variant.chrom, p.variant.pos) for p in plans for t in p.tasks()]
    ref = ReferencePath(spliceai_model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    return plans, items, want


def engine(model, **kw):
    from spliceannot.engine import Engine

    return Engine(model, **kw)


def assert_same(got, want, items):
    for (y_ref, y_alt), (w_ref, w_alt), (task, _, pos) in zip(got, want, items):
        label = f"{pos} {task.gene.strand} {task.ref_len}>{len(task.alt)}"
        assert y_ref.dtype == w_ref.dtype and np.array_equal(y_ref, w_ref), f"REF {label}"
        assert y_alt.shape == w_alt.shape and np.array_equal(y_alt, w_alt), f"ALT {label}"


def test_selection_covers_every_kind(d50):
    _, items, _ = d50
    kinds = {(t.gene.strand, kind(t)) for t, _, _ in items}
    assert kinds == {(s, k) for s in "+-" for k in ("snv", "ins", "del")}


def test_engine_equals_reference_bit_for_bit(d50, spliceai_model):
    _, items, want = d50
    assert_same(engine(spliceai_model).predict(items), want, items)


def test_batch_size_span_and_order_do_not_change_a_bit(d50, spliceai_model):
    _, items, want = d50
    subset = list(zip(items, want))[:6]
    random.Random(1).shuffle(subset)  # unsorted input must stay correct
    items, want = [i for i, _ in subset], [w for _, w in subset]
    assert_same(engine(spliceai_model, batch_size=1, span=0).predict(items), want, items)
    assert_same(engine(spliceai_model, batch_size=5, track_positions=1).predict(items), want, items)


@pytest.mark.parametrize("mask", [False, True])
def test_fast_scorer_strings_equal_delta(d50, world, spliceai_model, mask):
    from spliceannot import registry
    from spliceannot.scorer import ScoringContext

    plans, items, want = d50
    settings = delta.Settings(distance=50, mask=mask)
    expected = [delta.finish(t, r, a, settings).format() for (t, _, _), (r, a) in zip(items, want)]
    ctx = ScoringContext(*world, spliceai_model, settings)
    got_plans = registry.scorers().get("fast").score([p.variant for p in plans], ctx)
    got = [e.format() for p in got_plans for e in p.entries if e is not None and e.ds is not None]
    got_scored = [e for p in got_plans for e in p.entries]
    assert len(got_scored) == sum(len(p.items) for p in plans)
    assert got == expected


def test_fast_scorer_falls_back_where_kernels_are_not_position_invariant(
        d50, world, spliceai_model, monkeypatch, caplog):
    """Never a different number: if the probe fails, the per-window path scores instead."""
    import spliceannot.engine
    from spliceannot.default_plugins.fast_scorer import FastScorer
    from spliceannot.scorer import ScoringContext

    plans, items, want = d50
    settings = delta.Settings(distance=50)
    expected = [delta.finish(t, r, a, settings).format() for (t, _, _), (r, a) in zip(items, want)]
    monkeypatch.setattr(spliceannot.engine, "position_invariant", lambda net: False)
    scorer = FastScorer()
    ctx = ScoringContext(*world, spliceai_model, settings)
    got_plans = scorer.score([p.variant for p in plans[:3]], ctx)
    got = [e.format() for p in got_plans for e in p.entries if e is not None and e.ds is not None]
    assert got == expected[:len(got)] and got
    assert not scorer.engine(ctx).exact and scorer.timings().get("alt windows", 0) == 0
    assert "per-window path" in caplog.text


def test_d500_snv_and_deletion(world, spliceai_model):
    reference, genes = world
    settings = delta.Settings(distance=500)
    ref = ReferencePath(spliceai_model)
    variants = [Variant("chr16", 97424, "C", ["T"]), Variant("chr16", 95652, "TG", ["T"])]
    items = []
    for v in variants:
        if reference.fetch("chr16", v.pos - 1, v.pos - 1 + len(v.ref)).upper() != v.ref:
            continue
        p = delta.plan(v, reference, genes, spliceai_model.context, settings)
        items += [(t, v.chrom, v.pos) for t in p.tasks()]
    assert items
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    assert_same(engine(spliceai_model).predict(items), want, items)


def test_overlapping_genes_share_only_when_masked_alike(world, spliceai_model):
    """Same-strand genes whose transcripts both cover a window share its REF and ALT runs; a
    third whose transcript ends inside the window is masked differently and must not."""
    import dataclasses

    from spliceannot.genes import GeneTable

    reference, genes = world
    base = next(g for g in genes.genes if g.tx_end - g.tx_start > 30_000)
    pos = (base.tx_start + base.tx_end) // 2
    twin = dataclasses.replace(base, name="TWIN", tx_start=base.tx_start - 7)
    short = dataclasses.replace(base, name="SHORT", tx_end=pos + 1000)  # ends inside the window
    table = GeneTable([base, twin, short])
    settings = delta.Settings(distance=50)
    ref_base = reference.fetch("chr16", pos - 1, pos).upper()
    alt = "A" if ref_base != "A" else "C"
    plan = delta.plan(Variant("chr16", pos, ref_base, [alt, alt + "GT"]), reference, table,
                      spliceai_model.context, settings)
    items = [(t, "chr16", pos) for t in plan.tasks()]
    assert len(items) == 6
    ref = ReferencePath(spliceai_model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    eng = engine(spliceai_model)
    assert_same(eng.predict(items), want, items)
    assert eng.stats["tracks"] == 2  # base and twin together, short alone
    assert eng.stats["alt windows"] == 4  # 2 ALTs x (shared pair, short)
    names = [t.gene.name for t, _, _ in items]
    got = dict(zip(names[:3], want[:3]))
    assert np.array_equal(got[base.name][0], got["TWIN"][0])
    assert not np.array_equal(got[base.name][0], got["SHORT"][0])


def test_cone_spans_lie_in_backward_cone_and_cover_the_change():
    radii = stage_radii(UNITS_10K)
    assert 2 * sum(radii) == 10000
    wid = 10000 + 101
    for a, b, m in [(5050, 5051, 1), (5050, 5051, 7), (5050, 5060, 1), (5041, 5051, 1)]:
        cone = Cone(radii, wid, a, b, m)
        for r, (lo, hi) in zip(cone.reach, cone.spans):
            assert r <= lo < hi <= cone.wid_alt - r
            assert lo <= max(a - r, r) and hi >= min(a + m + r, cone.wid_alt - r)
        assert cone.out[1] - cone.out[0] == 101 + m - (b - a)


def test_split_alt_and_tracks():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 11)]
    ins = np.eye(4, dtype=np.float32)[[1, 2]]
    x_alt = np.concatenate([x[:5], ins, x[6:]])
    a, b, m = split_alt(x, x_alt, 1, 2, "+")
    assert (a, b) == (5, 6) and np.array_equal(m, ins)
    with pytest.raises(ValueError):
        split_alt(x, x_alt[::-1].copy(), 1, 2, "+")

    class A:
        offset = 0

    entries = [(("c", "+"), s, x, A()) for s in (300, 0, 5000, 10)] + [(("c", "-"), 0, x, A())]
    tracks = build_tracks(entries, 11, span=100)
    assert sorted((t.key[1], t.start, t.length) for t in tracks) == [
        ("+", 0, 11 + 10), ("+", 300, 11), ("+", 5000, 11), ("-", 0, 11)]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_engine_equals_cuda_reference(d50, spliceai_model):
    _, items, _ = d50
    items = items[:4]
    cuda_model = type(spliceai_model)()
    cuda_model.device = "cuda"
    want = [(cuda_model.predict(t.x_ref[None])[0], cuda_model.predict(t.x_alt[None])[0])
            for t, _, _ in items]
    got = engine(cuda_model, device="cuda").predict(items)
    assert_same(got, want, items)


def test_bad_precision_and_device_are_refused(spliceai_model):
    with pytest.raises(ValueError):
        engine(spliceai_model, precision="fp8")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError):
            engine(spliceai_model, device="cuda")


def test_whole_window_fallback_equals_reference(d50, spliceai_model, monkeypatch):
    """CUDA's fallback where its probe fails (each window whole, on the device), run on the CPU."""
    from spliceannot.engine import Engine

    _, items, want = d50
    monkeypatch.setattr(Engine, "whole_windows", property(lambda self: True))
    e = engine(spliceai_model)
    got = e.predict(items[:5])
    assert_same(got, want[:5], items[:5])
    refs = len({t.ref_key for t, _, _ in items[:5]})
    assert e.stats["whole windows"] == refs + 5 and e.stats["tracks"] == 0


def test_cuda_shapes_on_cpu_equal_reference(d50, spliceai_model):
    """The engine with CUDA's one-shape-per-layer convolutions (items padded to whole calls),
    on the CPU: the reference path's bits, over several ALT batches."""
    from spliceannot.engine import Engine
    from spliceannot.engine.inference import InferenceNet

    _, items, want = d50
    e = Engine(spliceai_model, batch_size=3)
    # smaller than inference.CUDA_SHAPES, to keep the CPU's padding work small; same code
    e.nets = [InferenceNet(n, "cpu").set_fixed_shapes((256, 5)) for n in spliceai_model.networks()]
    e.runners = [InferenceNet.stacked(e.nets)]  # stacked, as CUDA runs it
    assert e.runners[0].stem.fixed == (256, 5)
    assert_same(e.predict(items), want, items)


# ---- ALTs of every geometry in one batch, members stacked: tiny ensembles and the real model ---

class TinyEnsemble:
    """Three seeded random 80-nt SpliceNets with random batch-norm statistics (and, optionally,
    calibration temperatures): an ensemble the engine stacks, small enough for many windows."""

    def __new__(cls, members=3, temperatures=None, slope=0.0):
        from spliceannot.models import EnsembleModel
        from support.nets import random_net

        class Tiny(EnsembleModel):
            name = "tiny-ensemble"
            context = 80

            def load_networks(self):
                return [random_net(80, seed, slope) for seed in range(members)]

        model = Tiny()
        model.temperatures = temperatures
        model.networks()
        return model


def mixed_items(world, context, distance, count=24, seed=5):
    """SNVs, insertions and deletions of 1-10 bases on both strands, some of them near each
    other (shared tracks), as ``(task, chrom, pos)``."""
    reference, genes = world
    rng = random.Random(seed)
    settings = delta.Settings(distance=distance)
    items = []
    chosen = [g for g in genes.genes if g.tx_end - g.tx_start > 4 * distance + 400]
    for strand in "+-":
        pool = [g for g in chosen if g.strand == strand]
        for n in range(count // 2):
            g = rng.choice(pool)
            pos = rng.randint(g.tx_start + 2 * distance + 100, g.tx_end - 2 * distance - 100)
            if n % 4 == 3 and items:
                pos = items[-1][2] + rng.randint(1, 40)  # a neighbour: same track
            ref = reference.fetch("chr16", pos - 1, pos + 11).upper()
            if "N" in ref:
                continue
            shape = n % 3
            if shape == 0:
                v = Variant("chr16", pos, ref[0], [rng.choice([b for b in "ACGT" if b != ref[0]])])
            elif shape == 1:
                k = rng.randint(1, 10)
                v = Variant("chr16", pos, ref[:k + 1], [ref[0]])
            else:
                ins = "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 10)))
                snv = rng.choice("ACGT".replace(ref[0], ""))
                v = Variant("chr16", pos, ref[0], [ref[0] + ins, snv])
            plan = delta.plan(v, reference, genes, context, settings)
            items += [(t, v.chrom, v.pos) for t in plan.tasks()]
    return items


@pytest.mark.parametrize("distance", [50, 500])
@pytest.mark.parametrize("batch_size", [3, 64])
def test_mixed_geometries_in_one_batch_equal_per_window_tiny(world, distance, batch_size):
    """ALTs of many geometries (SNVs, insertions and deletions of 1-10 bases, both strands)
    share ALT batches, members run stacked: every REF and ALT track as the per-window path."""
    model = TinyEnsemble(temperatures=(1.3, 0.7, 0.9) if distance == 50 else None)
    items = mixed_items(world, model.context, distance)
    geometries = {(kind(t), t.gene.strand, t.ref_len, len(t.alt)) for t, _, _ in items}
    assert len(geometries) >= 8 and {kind(t) for t, _, _ in items} == {"snv", "ins", "del"}
    ref = ReferencePath(model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    e = engine(model, batch_size=batch_size, kernels_mode="grouped")
    assert e.exact and len(e.runners) == 1 and e.runners[0].members == 3
    assert_same(e.predict(items), want, items)
    # and member by member (no stacking): the same bits
    assert_same(engine(model, batch_size=batch_size, stack=False).predict(items), want, items)
    # and stacked with every layer run per member into one output (the kernel choice)
    split = engine(model, batch_size=batch_size, kernels_mode="split")
    assert len(split.runners) == 1 and split.runners[0].units[0][1].per_member
    assert_same(split.predict(items), want, items)


def test_leaky_relu_members_stack_bit_for_bit(world):
    model = TinyEnsemble(members=2, slope=0.1)
    items = mixed_items(world, model.context, 50, count=10, seed=9)
    ref = ReferencePath(model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    assert_same(engine(model, batch_size=64).predict(items), want, items)


def count_ops(fn):
    """Compute ops (aten, views apart) dispatched while ``fn`` runs."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        ops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.ops += not func.is_view
            return func(*args, **(kwargs or {}))

    with Count():
        fn()
    return Count.ops


def test_alt_batch_launches_do_not_grow_with_geometries_or_members(world, monkeypatch):
    """One ALT pass per track batch, one chain of launches whatever its geometries (SNVs and
    indels of both strands together) and member count (three stacked members as one)."""
    from spliceannot.engine import Engine

    calls = []
    original = Engine._alt_pass

    def counted(self, net, stages, sub, wid, onehot):
        out = {}
        ops = count_ops(lambda: out.setdefault("r", original(self, net, stages, sub, wid, onehot)))
        calls.append((len({a.geometry for a in sub}), net.members, ops))
        return out["r"]

    monkeypatch.setattr(Engine, "_alt_pass", counted)
    items = mixed_items(world, 80, 50)
    for members in (3, 1):
        engine(TinyEnsemble(members=members), batch_size=1000, track_positions=40_000,
               kernels_mode="grouped").predict(items)
    stacked = [c for c in calls if c[1] == 3]
    single = [c for c in calls if c[1] == 1]
    assert len(stacked) == len(single) >= 1
    assert max(c[0] for c in stacked) >= 3  # passes of several geometries each
    ops = [c[2] for c in calls]
    assert max(ops) - min(ops) <= 0.1 * max(ops), ops


def test_cone_batch_union_covers_every_alt():
    from spliceannot.engine.cone import ConeBatch

    radii = stage_radii(UNITS_10K)
    wid = 10000 + 101
    geo = [(5050, 5051, 1), (5050, 5051, 7), (5050, 5060, 1), (5041, 5051, 1), (5045, 5051, 3)]
    batch = ConeBatch(radii, wid, *zip(*geo))
    for b, (a, bb, m) in enumerate(geo):
        cone = Cone(radii, wid, a, bb, m)
        for (lo, hi), (ulo, uhi) in zip(cone.spans, batch.spans):
            assert ulo <= lo - a and hi - a <= uhi  # the union holds each ALT's span
        assert batch.out[0] + batch.crop[b] == cone.out[0] - a
        assert batch.n_out[b] == cone.out[1] - cone.out[0]
    # the middle of a read is the earlier union; the sides are REF reads
    left, mid, right = batch.parts(3, batch.spans[4][0] - 5, batch.spans[4][1] + 5)
    assert left[1] == mid[0] == batch.spans[3][0] and mid[1] == right[0] == batch.spans[3][1]


def test_real_model_members_stack_bit_for_bit(spliceai_model):
    """The five SpliceAI members as one grouped network: each member's channels carry the
    member's own bits (the probe), and whole windows give the per-member path's bits."""
    from spliceannot.engine.inference import InferenceNet, predict_windows, stack_identical

    nets = spliceai_model.inference_nets()
    stacked = InferenceNet.stacked(nets)
    assert stack_identical(nets, stacked)
    g = torch.Generator().manual_seed(4)
    x = torch.zeros(2, 10101, 4)
    x[0, torch.arange(10101), torch.randint(0, 4, (10101,), generator=g)] = 1
    x[1] = x[0].roll(11, 0)
    with torch.inference_mode():
        assert torch.equal(predict_windows([stacked], x), predict_windows(nets, x))


def test_real_model_mixed_geometries_one_batch(world, spliceai_model):
    """A few SNVs and indels of both strands in ONE ALT batch at D=50 and D=500, real model."""
    e = engine(spliceai_model, batch_size=64, kernels_mode="grouped")
    assert len(e.runners) == 1 and e.runners[0].members == 5
    ref = ReferencePath(spliceai_model)
    for distance, count, seed, keep in ((50, 8, 2, 6), (500, 6, 4, 3)):
        items = mixed_items(world, spliceai_model.context, distance, count=count, seed=seed)[:keep]
        assert len({kind(t) for t, _, _ in items}) >= 2
        want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
        assert_same(e.predict(items), want, items)
