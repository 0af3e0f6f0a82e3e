"""`train species` and `train package` end to end on the toy genome, the package pip-installed."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from support.cli import run_python
from support.paths import REPO, TOY_FA, TOY_GFF
from spliceannot.models import checkpoint
from spliceannot.cli import build_app
from spliceannot.errors import ModelFileError, UsageError
from spliceannot.models.network import NetworkConfig, SpliceNet
from spliceannot.training import cached, species, transfer
from spliceannot.training.dataset import iter_fasta

# Three SNVs in geneP on chrT (exons 21-40, 61-80, 101-120): at a donor, an acceptor, an exon
# At least two of them get a SpliceAI= annotation.
VCF = ("##fileformat=VCFv4.2\n##contig=<ID=chrT,length=300>\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def _tiny_source(path, seed=0):
    torch.manual_seed(seed)
    net = SpliceNet(NetworkConfig.preset(80, width=8)).eval()
    checkpoint.save(path, net, checkpoint.new_meta(net.config, licence="toy licence"))
    return net


def _vcf(path):
    seq = dict(iter_fasta(TOY_FA))
    rows = []
    for pos in (40, 61, 70):
        ref = seq["chrT"][pos - 1]
        alt = "A" if ref != "A" else "C"
        rows.append(f"chrT\t{pos}\tv{pos}\t{ref}\t{alt}\t.\t.\t.\n")
    path.write_text(VCF + "".join(rows))


def _run(args, env):
    return subprocess.run([sys.executable, "-m", "spliceannot", *args], capture_output=True,
                          text=True, env=env, cwd=REPO)


def _info(vcf_text):
    return [line.split("\t")[7] for line in vcf_text.splitlines() if not line.startswith("#")]


def test_cached_suffix_equals_whole_network():
    """The cached prefix + trainable suffix gives the whole network's labelled outputs."""
    net = transfer.cut_to_context(_tiny_source_net(), 80)
    x = torch.from_numpy(np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(
        0, 4, (2, 80 + 50))].transpose(0, 2, 1).copy())
    with torch.no_grad():
        whole = net(x)
        for first in range(len(net.units) + 1):
            h, taps = cached.prefix(net, x, first)
            m = cached.margin(net, first)
            z = cached.suffix(net, first, h[:, :, 40 - m:40 + 50 + m],
                              [t[:, :, 40:90] for t in taps])
            np.testing.assert_allclose(z.numpy(), whole.numpy(), rtol=1e-5, atol=1e-5)


def _tiny_source_net():
    torch.manual_seed(1)
    return SpliceNet(NetworkConfig.preset(80, width=8)).eval()


def test_budget_and_refusals(tmp_path):
    from spliceannot.cli.species import parse_budget

    assert parse_budget("2h") == 7200 and parse_budget("90m") == 5400
    assert parse_budget("45") == 45
    run = CliRunner().invoke
    base = ["train", "species", "-R", str(TOY_FA), "-A", str(TOY_GFF), "-o",
            str(tmp_path / "o"), "--species", "x", "--no-progress"]
    for bad in (["--budget", "soon"], ["--members", "0"], ["--device", "tpu"],
                ["--from", str(tmp_path / "nothing")], ["--compare", str(tmp_path / "none")]):
        r = run(build_app(), base + bad)
        assert isinstance(r.exception, (UsageError, ModelFileError)), (bad, r.output)
        assert not (tmp_path / "o").exists()  # refused before any output
    r = run(build_app(), ["train", "package", str(tmp_path), "--name", "x", "-o",
                          str(tmp_path / "p")])
    assert isinstance(r.exception, UsageError)  # not a model directory
    r = run(build_app(), ["train", "package", str(tmp_path), "--name", "Bad-Name", "-o",
                          str(tmp_path / "p")])
    assert isinstance(r.exception, UsageError)
    # through the real entry point a usage error is exit status 2 with one line
    p = _run(base[:] + ["--budget", "soon"], dict(os.environ, PYTHONPATH=str(REPO)))
    assert p.returncode == 2 and "--budget" in p.stderr and "Traceback" not in p.stderr


def test_species_package_install_score(tmp_path):
    _tiny_source(tmp_path / "src")
    out = tmp_path / "out"
    run = CliRunner().invoke
    r = run(build_app(), ["train", "species", "-R", str(TOY_FA), "-A", str(TOY_GFF), "-o",
                          str(out), "--species", "Toy plant", "--from", str(tmp_path / "src"),
                          "--test-chroms", "chrU", "--val-fraction", "0.3", "--members", "2",
                          "--trainable-units", "1", "--epochs", "2", "--batch-size", "1",
                          "--device", "cpu", "--no-progress"])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert report["test"]["genes"] == 1 and report["data"]["splits"]["test"]["genes"] == 1
    models = report["test"]["models"]
    assert set(models) == {"untransferred (src)", "transferred", "transferred + calibrated"}
    assert models["transferred"]["metrics"]["acceptor"]["sites"] == 1
    assert [m["member"] for m in report["transfer"]["members"]] == [0, 1]
    assert all(m["steps"] > 0 for m in report["transfer"]["members"])
    model = out / "model"
    meta = checkpoint.read_meta(model)
    assert meta["kind"] == "ensemble" and len(meta["calibration"]["temperatures"]) == 3
    assert meta["licence"] == "toy licence"
    card = (model / "README.md").read_text()
    assert "toy licence" in card and "## Evaluation" in card and "| transferred |" in card
    # calibration is reported on test, and the card's test ECE is the report's
    cal = report["calibration"]
    assert cal["test_before"] == models["transferred"]["calibration"]
    assert f"{cal['test_after']['ece']:.5f}" in card
    # the untransferred row is the source network: transfer changed the weights
    src = checkpoint.load_networks(tmp_path / "src")[0].state_dict()
    new = checkpoint.load_networks(model)[0].state_dict()
    assert torch.equal(src["units.0.conv1.weight"], new["units.0.conv1.weight"])  # frozen
    assert not torch.equal(src["head.weight"], new["head.weight"])  # trained

    # known, strong temperatures so scores with and without them differ visibly
    meta["calibration"]["temperatures"] = [1.0, 0.25, 0.25]
    checkpoint.write_meta(model, meta)
    plain = tmp_path / "plain"
    shutil.copytree(model, plain)
    checkpoint.write_meta(plain, dict(meta, calibration=None))

    pkg = tmp_path / "pkg"
    r = run(build_app(), ["train", "package", str(model), "--name", "toyplant", "-o", str(pkg)])
    assert r.exit_code == 0, r.output
    assert 'toyplant = "spliceannot_model_toyplant"' in (pkg / "pyproject.toml").read_text()
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                          "--target", str(site), str(pkg)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert (site / "spliceannot_model_toyplant" / "model" / "ensemble.json").is_file()

    env = {k: v for k, v in os.environ.items() if k != "SPLICEANNOT_LOAD_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    env["SPLICEANNOT_MODELS_PATH"] = ""
    listed = _run(["models"], env)
    assert listed.returncode == 0, listed.stderr
    assert "toyplant" in listed.stdout and "Toy plant" in listed.stdout

    fa = tmp_path / "toy.fa"
    shutil.copyfile(TOY_FA, fa)
    vcf = tmp_path / "in.vcf"
    _vcf(vcf)
    outs = {}
    for key, spec in (("plugin", "toyplant"), ("calibrated", str(model)), ("plain", str(plain))):
        res = _run(["score", str(vcf), "-R", str(fa), "-A", str(TOY_GFF), "--model", spec,
                    "--raw", "-D", "20", "-o", str(tmp_path / f"{key}.vcf")], env)
        assert res.returncode == 0, res.stderr
        outs[key] = _info((tmp_path / f"{key}.vcf").read_text())
    assert len(outs["plugin"]) == 3 and sum("SpliceAI=" in i for i in outs["plugin"]) >= 2
    assert outs["plugin"] == outs["calibrated"]  # the plugin scores with the temperatures
    assert outs["plugin"] != outs["plain"]  # ... which change the scores
    # the backend the plugin registered carries them and runs on the fast engine
    probe = run_python("from spliceannot import registry; from spliceannot.engine import Engine; "
                    "m = registry.models().get('toyplant'); e = Engine(m); "
                    "print(m.temperatures, e.temperatures, len(e.nets))", env)
    assert probe.stdout.split() == ["[1.0,", "0.25,", "0.25]", "[1.0,", "0.25,", "0.25]", "2"], \
        probe.stdout + probe.stderr


def test_licence_of():
    assert "CC BY-NC" in species.licence_of("spliceai")
    assert "GPL" in species.licence_of("/some/openspliceai/dir")


def test_shared_logits_equal_separate_evaluation(tmp_path):
    """Evaluating sources and members through one shared prefix gives each network's logits."""
    from spliceannot.training import calibration
    from spliceannot.training.dataset import WindowData, create_data

    create_data(TOY_FA, TOY_GFF, tmp_path / "d", context=80, window=60, test_chroms=["chrU"],
                val_fraction=0.0)
    sources = [_tiny_source_net(), _tiny_source_net()]
    torch.manual_seed(5)
    sources[1] = SpliceNet(NetworkConfig.preset(80, width=8)).eval()
    first = 2
    members = []
    for s in range(3):  # member s shares source s mod 2's prefix, suffix changed
        net = SpliceNet(NetworkConfig.preset(80, width=8)).eval()
        net.load_state_dict(sources[s % 2].state_dict())
        with torch.no_grad():
            net.head.weight.add_(0.1 * (s + 1))
            net.units[3].conv1.weight.mul_(1.5)
        members.append(net)
        assert cached.same_prefix(sources[s % 2], net, first)
    assert not cached.same_prefix(sources[0], members[1], first)
    data = WindowData(tmp_path / "d" / "train.h5")
    idx = np.arange(len(data))
    z_src, z_mem, y = cached.shared_logits(sources, members, first, data, idx, "cpu",
                                           batch_size=2)
    ref_src, y_ref = calibration.collect_logits(sources, data, idx, batch_size=2)
    ref_mem, _ = calibration.collect_logits(members, data, idx, batch_size=2)
    data.close()
    assert torch.equal(y, y_ref) and len(y) > 100
    np.testing.assert_allclose(z_src.numpy(), ref_src.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z_mem.numpy(), ref_mem.numpy(), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(z_mem[0], z_src[0])


def test_package_hostile_card_cannot_inject(tmp_path, monkeypatch):
    """A crafted model.json (species, licence) and --version are values in the generated files,
    never code or TOML structure: the files parse, the values round-trip, nothing runs."""
    import ast
    import importlib.util
    import tomllib

    from spliceannot.training.package import make_package

    model = tmp_path / "src"
    _tiny_source(model)
    meta = checkpoint.read_meta(model)
    species = 'x"""\nimport os; os.system("touch PWNED")\n#\'\'\' \\'
    licence = 'MIT"}\nevil = "yes"\n[tool.x]\nRequires-Dist: evilpkg'
    checkpoint.write_meta(model, dict(meta, species=species, licence=licence))
    monkeypatch.chdir(tmp_path)
    out = make_package(model, "hostile", tmp_path / "pkg")
    init = out / "spliceannot_model_hostile" / "__init__.py"
    tree = ast.parse(init.read_text())
    # one docstring, then only imports, one assignment and the hook: no injected statement
    assert [type(n).__name__ for n in tree.body] == [
        "Expr", "Import", "ImportFrom", "Assign", "FunctionDef"]
    doc = ast.get_docstring(tree)
    assert "import os; os.system" in doc and "(x\"\"\" import os" in doc  # folded to one line
    spec = importlib.util.spec_from_file_location("spliceannot_model_hostile", init)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert not (tmp_path / "PWNED").exists() and not (REPO / "PWNED").exists()
    toml = tomllib.loads((out / "pyproject.toml").read_text())
    assert set(toml) == {"build-system", "project"}  # no [tool.x] table
    project = toml["project"]
    assert set(project) == {"name", "version", "description", "readme", "license",
                            "dependencies", "entry-points"}
    assert project["license"] == {"text": " ".join(licence.split())}
    assert project["description"] == f"spliceannot model backend 'hostile' for " \
                                      f"{' '.join(species.split())}"
    assert project["entry-points"] == {"spliceannot": {"hostile": "spliceannot_model_hostile"}}
    # the wheel's METADATA has no injected header
    sys.path.insert(0, str(out / "_build"))
    try:
        import backend
        text = backend._metadata(backend._spec())
    finally:
        sys.path.remove(str(out / "_build"))
        sys.modules.pop("backend", None)
    headers = text.split("\n\n")[0].splitlines()
    assert not any(h.startswith("Requires-Dist: evil") for h in headers)
    assert [h.split(":")[0] for h in headers] == [
        "Metadata-Version", "Name", "Version", "Summary", "License", "Requires-Dist",
        "Description-Content-Type"]
    # version and name are validated, not quoted into place
    for bad in ('1.0"\nevil = "x', "1.0\n", "latest"):
        with pytest.raises(UsageError, match="--version"):
            make_package(model, "hostile2", tmp_path / "p2", version=bad)
    with pytest.raises(UsageError, match="--name"):
        make_package(model, "ok\n", tmp_path / "p2")
    assert not (tmp_path / "p2").exists()


def test_package_unwritable_out_is_one_line(tmp_path):
    """An output under a plain file (unwritable even for root) is one line, exit 7; a missing
    parent directory is created."""
    model = tmp_path / "src"
    _tiny_source(model)
    (tmp_path / "afile").write_text("x")
    p = _run(["train", "package", str(model), "--name", "toy", "-o", str(tmp_path / "afile" / "pkg")],
             dict(os.environ, PYTHONPATH=str(REPO)))
    assert p.returncode == 7 and "Traceback" not in p.stderr
    assert p.stderr.startswith("spliceannot: error: cannot write the package to")
    assert len(p.stderr.strip().splitlines()) == 1
    assert (tmp_path / "afile").read_text() == "x"
    from spliceannot.training.package import make_package

    out = make_package(model, "toy", tmp_path / "missing" / "deeper" / "pkg")
    assert (out / "spliceannot_model_toy" / "model" / "model.json").is_file()
