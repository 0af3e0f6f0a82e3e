"""The OpenSpliceAI backend: discovered through its entry point, loads every checkpoint size, and
matches an independent re-statement of OpenSpliceAI's forward pass."""

import pathlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import spliceannot_openspliceai as osai
from spliceannot import registry
from spliceannot.plugin import functional_forward, to_layout
from spliceannot.plugins import get_plugin_manager

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
MODELS = REPO.parent / "shared" / "data" / "models" / "openspliceai"
CHR16_FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
CHR16_TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"


@pytest.fixture
def weights(monkeypatch):
    if not MODELS.is_dir():
        pytest.skip(f"needs OpenSpliceAI checkpoints in ../shared ({MODELS} is absent)")
    monkeypatch.setenv(osai.DIR_ENV, str(MODELS))
    return MODELS


def test_plugin_is_discovered():
    names = [name for name, _ in get_plugin_manager().list_name_plugin()]
    assert "openspliceai" in names
    models = registry.models().names()
    assert {f"openspliceai-mane-{f}" for f in osai.FLANKS} <= set(models)
    assert "openspliceai-arabidopsis-10000" in models


def layout(role: str, i: int) -> str:
    """OpenSpliceAI's key names: ``residual_units`` holds the units with each skip conv after
    its group of four."""
    if role == "skip":
        return f"residual_units.{i + i // 4 + 1}.conv"
    if role in ("bn1", "conv1", "bn2", "conv2"):
        return f"residual_units.{i + i // 4}." + {"bn1": "batchnorm1", "bn2": "batchnorm2"}.get(role, role)
    return {"stem": "initial_conv", "stem_skip": "initial_skip.conv", "head": "final_conv"}[role]


def reference_forward(state: dict, x: torch.Tensor, flank: int) -> torch.Tensor:
    """OpenSpliceAI's network as published (leaky ReLU 0.1), on its own keys."""
    units = {10000: 16, 2000: 12, 400: 8, 80: 4}[flank]
    return functional_forward(state, x, layout, units, slope=0.1)


def random_state(flank):
    """A random state_dict in OpenSpliceAI's key layout (no 2,000 nt weights are in ../shared)."""
    from spliceannot.plugin import SpliceNet

    torch.manual_seed(flank)
    net = SpliceNet(osai.network_config(flank))
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    assert len(net.units) == {80: 4, 400: 8, 2000: 12, 10000: 16}[flank]
    return to_layout(net.state_dict(), layout)


@pytest.mark.parametrize("flank", osai.FLANKS)
def test_every_size_maps_onto_splicenet(flank, tmp_path):
    state = random_state(flank)
    path = tmp_path / f"model_{flank}nt_rs10.pt"
    torch.save(state, path)
    net = osai.load_checkpoint(path, flank)
    x = F.one_hot(torch.randint(0, 4, (1, flank + 31)), 4).float().transpose(1, 2)
    with torch.no_grad():
        got = torch.softmax(net(x), dim=1)
        want = reference_forward(state, x, flank)
    assert got.shape == (1, 3, 31)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("flank", [80, 400, 10000])
def test_published_checkpoints_load_and_predict(weights, flank):
    model = registry.models().get(f"openspliceai-mane-{flank}")
    files = model.files()
    assert len(files) == 5
    nets = model.load_networks()  # every seed fits the network, strictly
    rng = np.random.default_rng(flank)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, flank + 5)][None]
    xt = torch.from_numpy(x).transpose(1, 2)
    state = torch.load(files[0], map_location="cpu", weights_only=True)
    with torch.no_grad():
        got = torch.softmax(nets[0](xt), dim=1)
    torch.testing.assert_close(got, reference_forward(state, xt, flank), rtol=1e-5, atol=1e-6)
    if flank < 10000:  # the five-member average, where it is cheap
        members = [reference_forward(torch.load(f, map_location="cpu", weights_only=True), xt,
                                     flank) for f in files]
        mean = torch.stack(members).mean(0).transpose(1, 2).numpy()
        y = model.predict(x)
        assert y.shape == (1, 5, 3)
        np.testing.assert_allclose(y, mean, atol=1e-6)


def test_scores_a_vcf(weights, tmp_path):
    from spliceannot.pipeline import Options, score_file

    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t97424\tacc\tA\tT\t.\t.\t.\nchr16\t12275\tdon\tC\tG\t.\t.\t.\n")
    out = tmp_path / "out.vcf"
    score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                                           model="openspliceai-mane-400"))
    text = open(out).read()
    assert "##spliceannot_model=openspliceai-mane-400" in text
    entries = [l.split("\t")[7] for l in text.splitlines() if not l.startswith("#")]
    assert all(e.startswith("SpliceAI=") for e in entries)
    acc = entries[0].split("=")[1].split("|")
    assert acc[:2] == ["T", "NM_006849"] and all(-50 <= int(v) <= 50 for v in acc[6:])


def test_real_acceptor_is_called(weights):
    """97424 starts an NM_006849 exon: the human model must see an acceptor exactly there."""
    from spliceannot.io.reference import Reference
    from spliceannot.sequence import one_hot

    model = registry.models().get("openspliceai-mane-400")
    ref = Reference(CHR16_FASTA)
    pos, half = 97424, model.context // 2
    y = model.predict(one_hot(ref.fetch("chr16", pos - 1 - half - 5, pos + half + 5))[None])[0]
    assert y[:, 1].argmax() == 5 and y[5, 1] > 0.9


def test_missing_folder_says_what_to_set(monkeypatch):
    from spliceannot.errors import ModelFileError

    monkeypatch.delenv(osai.DIR_ENV, raising=False)
    with pytest.raises(ModelFileError, match=osai.DIR_ENV):
        registry.models().get("openspliceai-mane-80").files()


def test_matches_openspliceai_variant_007(weights, tmp_path):
    """Record for record, the strings `openspliceai variant` 0.0.7 wrote (tests/data)."""
    from spliceannot.pipeline import Options, score_file

    rows = [l.rstrip("\n").split("\t") for l in open(HERE / "data" / "openspliceai007_chr16_D50.tsv")
            if not l.startswith("#")]
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join("\t".join(r[:5] + [".", ".", "."]) + "\n" for r in rows))
    out = tmp_path / "out.vcf"
    score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                                           model="openspliceai-mane-10000"))
    got = [l.rstrip("\n").split("\t")[7] for l in open(out) if not l.startswith("#")]
    want = [r[5].replace("OpenSpliceAI=", "SpliceAI=") for r in rows]
    assert got == want
