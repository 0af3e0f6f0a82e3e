"""The `spliceannot train` commands end to end on the toy data, through typer's CliRunner."""

import json

from typer.testing import CliRunner

from support.paths import TOY_FA, TOY_GFF
from spliceannot.cli import build_app


def test_create_train_calibrate_evaluate(tmp_path):
    app, run = build_app(), CliRunner().invoke
    d, m = tmp_path / "data", tmp_path / "model"
    r = run(app, ["train", "create-data", "-R", str(TOY_FA), "-A", str(TOY_GFF), "-o", str(d),
                  "--context", "80", "--test-chroms", "chrU", "--val-fraction", "0",
                  "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "acceptors" in r.output
    # no validation genes with val-fraction 0: train refuses with a usage error
    r = run(app, ["train", "train", "-d", str(d), "-o", str(m), "--preset", "tiny",
                  "--no-progress"])
    assert r.exit_code != 0
    r = run(app, ["train", "create-data", "-R", str(TOY_FA), "-A", str(TOY_GFF), "-o", str(d),
                  "--context", "80", "--test-chroms", "chrU", "--val-fraction", "0.3",
                  "--no-progress"])
    assert r.exit_code == 0, r.output
    r = run(app, ["train", "train", "-d", str(d), "-o", str(m), "--preset", "tiny",
                  "--epochs", "2", "--batch-size", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    r = run(app, ["train", "calibrate", "-m", str(m), "-d", str(d), "--single",
                  "--no-progress"])
    assert r.exit_code == 0, r.output
    assert len(json.loads((m / "model.json").read_text())["calibration"]["temperatures"]) == 1
    # fitted on validation, reported on the held-out test split too
    r = run(app, ["train", "calibrate", "-m", str(m), "-d", str(d), "--report-on",
                  str(d / "test.h5"), "--no-progress"])
    assert r.exit_code == 0, r.output
    cal = json.loads((m / "model.json").read_text())["calibration"]
    assert cal["held_out"]["data"] == str(d / "test.h5") and "held out" in r.output
    assert cal["held_out"]["positions"] > 0
    assert cal["held_out"]["before"]["nll"] != cal["held_out"]["after"]["nll"]
    r = run(app, ["train", "calibrate", "-m", str(m), "-d", str(d), "--report-on",
                  str(d / "nope.h5"), "--no-progress"])
    assert r.exit_code != 0
    r = run(app, ["train", "evaluate", "-m", str(m), "-d", str(d), "--json",
                  str(tmp_path / "e.json"), "--no-progress"])
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["genes"] == 1 and result["metrics"]["acceptor"]["sites"] == 1
    r = run(app, ["train", "evaluate", "-m", str(m), "-R", str(TOY_FA), "-A", str(TOY_GFF),
                  "--json", str(tmp_path / "e2.json"), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "e2.json").read_text())["genes"] == 3


def test_help_is_cheap():
    r = CliRunner().invoke(build_app(), ["train", "--help"])
    assert r.exit_code == 0 and "create-data" in r.output


def test_evaluate_on_fasta_never_writes_the_cwd(tmp_path, monkeypatch):
    """-R/-A windows go to a temporary directory (removed) or to --work-dir (kept); the working
    directory, which once got an ./eval-data/ overwritten, is left alone."""
    import tempfile

    import torch

    from spliceannot.models import checkpoint
    from spliceannot.models.network import NetworkConfig, SpliceNet

    torch.manual_seed(0)
    net = SpliceNet(NetworkConfig.preset(80, width=8)).eval()
    model = checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "eval-data").mkdir()
    (cwd / "eval-data" / "test.h5").write_text("the user's own file")
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    app, run = build_app(), CliRunner().invoke
    base = ["train", "evaluate", "-m", str(model), "-R", str(TOY_FA), "-A", str(TOY_GFF),
            "--no-progress"]
    r = run(app, base)
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"acceptor", "donor"} <= set(metrics) and metrics["acceptor"]["sites"] > 0
    assert (cwd / "eval-data" / "test.h5").read_text() == "the user's own file"
    assert sorted(p.name for p in cwd.iterdir()) == ["eval-data"]
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary windows are gone
    work = tmp_path / "work"
    r = run(app, base + ["--work-dir", str(work), "--json", str(tmp_path / "e.json")])
    assert r.exit_code == 0, r.output
    assert (work / "test.h5").is_file()
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["data"] == str(work / "test.h5") and result["metrics"] == metrics
    r = run(app, base + ["--work-dir", str(work)])  # never overwrites a window file
    assert r.exit_code != 0 and "already holds test.h5" in str(r.exception)


def test_train_and_transfer_options_are_spelled_once():
    """Each parameter of `train` and `transfer` is a TrainConfig field under the same name or a
    run option; nothing else translates them, so an option is declared in one place."""
    import dataclasses
    import inspect

    from spliceannot.cli import train as train_cmd
    from spliceannot.training.trainer import TrainConfig

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for command in (train_cmd.train, train_cmd.transfer):
        params = set(inspect.signature(command).parameters)
        assert params - fields == set(train_cmd.RUN_OPTIONS) & params, command.__name__
    assert "TrainRequest" not in vars(train_cmd)


def test_species_commands_are_registered_explicitly():
    import inspect

    from spliceannot import cli
    from spliceannot.cli import train as train_cmd

    assert "species" not in inspect.getsource(train_cmd.register)
    assert "species_cmd.register(train_cmd.app)" in inspect.getsource(cli.build_app)
    result = CliRunner().invoke(build_app(), ["train", "--help"])
    assert result.exit_code == 0
    assert " species " in result.stdout and " package " in result.stdout


def test_generated_species_package_imports_only_the_public_api():
    import ast

    import spliceannot
    from spliceannot.training.package import PLUGIN

    tree = ast.parse(PLUGIN.format(name="toy", doc=repr("A toy species model.")))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {m for m in modules if m.startswith("spliceannot")} == {"spliceannot"}
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
             and n.module == "spliceannot" for a in n.names}
    assert names <= set(spliceannot.__all__)


def test_transfer_source_is_resolved_through_the_registry(tmp_path):
    import inspect

    import pytest

    from spliceannot.errors import ModelFileError
    from spliceannot.training import evaluation, transfer

    assert not hasattr(transfer, "openspliceai")  # no model module imported directly
    assert "registry.model(" in inspect.getsource(transfer.source_networks)
    assert "registry.model(" in inspect.getsource(evaluation.resolve_model)
    with pytest.raises(ModelFileError, match="no-such-model"):
        transfer.source_networks("no-such-model")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelFileError, match="no model backend reads this path"):
        transfer.source_networks(tmp_path / "notes.txt")
