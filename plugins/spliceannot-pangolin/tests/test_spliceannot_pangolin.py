"""The Pangolin plugin: discovered; its network is Pangolin's; the engine gives the per-window
path's bits; Pangolin 1.0.2's planning, masking and text; every writer; clear weight errors."""

import gzip
import json
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import spliceannot_pangolin as sp
from conftest import FASTA, GTF, tiny_state
from spliceannot import registry
from spliceannot.cli import main
from spliceannot.genes import Gene
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant
from spliceannot.plugins import get_plugin_manager


def test_plugin_is_discovered():
    names = [name for name, _ in get_plugin_manager().list_name_plugin()]
    assert "pangolin" in names
    assert "pangolin" in registry.models().names()
    assert registry.scorers().get("pangolin").output.info_id == "Pangolin"


# ---- the network ---------------------------------------------------------------------------------


def reference_forward(state: dict, x: torch.Tensor, head: int) -> torch.Tensor:
    """Pangolin's published forward (model.py), written out with functional ops on its own keys;
    returns class 1 of softmax head ``conv_last{head}`` (what the CLI reads)."""
    units = len({k.split(".")[1] for k in state if k.startswith("resblocks.")})
    kd = ([(11, 1)] * 4 + [(11, 4)] * 4 + [(21, 10)] * 4 + [(41, 25)] * 4)[:units]

    def conv(h, name, dilation=1):
        w = state[name + ".weight"]
        return F.conv1d(h, w, state[name + ".bias"], dilation=dilation,
                        padding=(w.shape[-1] - 1) * dilation // 2)

    def bn(h, name):
        return F.batch_norm(h, state[name + ".running_mean"], state[name + ".running_var"],
                            state[name + ".weight"], state[name + ".bias"], False, 0.0, 1e-5)

    h = conv(x, "conv1")
    skip = conv(h, "skip")
    for i, (k, d) in enumerate(kd):
        p = f"resblocks.{i}"
        y = conv(torch.relu(bn(h, p + ".bn1")), p + ".conv1", d)
        h = conv(torch.relu(bn(y, p + ".bn2")), p + ".conv2", d) + h
        if (i + 1) % 4 == 0:
            skip = skip + conv(h, f"convs.{i // 4}")
    crop = sum((k - 1) * d for k, d in kd)
    skip = skip[:, :, crop:skip.shape[-1] - crop]
    return torch.softmax(conv(skip, f"conv_last{head}"), dim=1)[:, 1]


def test_network_is_pangolins(tiny_dir):
    model = registry.model(str(tiny_dir))
    assert isinstance(model, sp.PangolinModel) and model.context == 80
    g = torch.Generator().manual_seed(1)
    x = F.one_hot(torch.randint(0, 4, (2, 300), generator=g), 4).float()
    ours = model.predict(x.numpy())  # (2, 220, 12)
    assert ours.shape == (2, 220, 12)
    for i, name in enumerate(sp.WEIGHT_FILES):
        state = torch.load(tiny_dir / name, weights_only=True)
        want = reference_forward(state, x.transpose(1, 2), 2 * (i // 3) + 1)
        np.testing.assert_allclose(ours[:, :, i], want.numpy(), rtol=0, atol=1e-6)


def test_real_network_is_pangolins(weights):
    net = sp.load_file(weights / "final.2.4.3.v2")  # brain: channel 7 = conv_last5, class 1
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
    return sp.PangolinGenes.read(GTF)


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
    every = {g.name: g for g in sp.PangolinGenes.read(GTF, tag=None).genes}  # --filter None
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
    assert out[0].columns() == ["A", "G_sites1", "-1:-0.2|G_sites2|1:0.6", "."]
    assert out[0].as_dict()["scores"] == [{"pos": -1, "score": -0.2}, {"label": "G_sites2"},
                                          {"pos": 1, "score": 0.6}]


def test_options_function(monkeypatch):
    assert sp.pangolin_options(None) == (None, False)
    monkeypatch.setenv("SPLICEANNOT_PANGOLIN_SCORE_CUTOFF", "0.2")
    monkeypatch.setenv("SPLICEANNOT_PANGOLIN_SCORE_EXONS", "True")
    assert sp.pangolin_options(types.SimpleNamespace()) == (0.2, True)
    assert sp.pangolin_options(types.SimpleNamespace(score_cutoff=0.5, score_exons=False)) == \
        (0.5, False)
