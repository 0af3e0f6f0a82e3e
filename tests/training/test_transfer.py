"""Initial weights from other models: OpenSpliceAI key mapping, context prefixes, freezing."""

import torch

from spliceannot.models import checkpoint
from spliceannot.models.network import NetworkConfig, SpliceNet
from spliceannot.models import openspliceai
from spliceannot.training import transfer


def openspliceai_state(net: SpliceNet) -> dict:
    """Rename a SpliceNet's state dict to OpenSpliceAI's layout (Skip after every 4th unit)."""
    s = net.state_dict()
    out = {"initial_conv.weight": s["stem.weight"], "initial_conv.bias": s["stem.bias"],
           "initial_skip.conv.weight": s["stem_skip.weight"],
           "initial_skip.conv.bias": s["stem_skip.bias"],
           "final_conv.weight": s["head.weight"], "final_conv.bias": s["head.bias"]}
    j = 0
    for i in range(len(net.units)):
        for ours, theirs in (("bn1", "batchnorm1"), ("bn2", "batchnorm2"), ("conv1", "conv1"),
                             ("conv2", "conv2")):
            for k, v in s.items():
                if k.startswith(f"units.{i}.{ours}."):
                    out[f"residual_units.{j}.{theirs}.{k.split('.')[-1]}"] = v
        j += 1
        if (i + 1) % 4 == 0:
            out[f"residual_units.{j}.conv.weight"] = s[f"skips.{i}.weight"]
            out[f"residual_units.{j}.conv.bias"] = s[f"skips.{i}.bias"]
            j += 1
    return out


def test_openspliceai_mapping(tmp_path):
    torch.manual_seed(0)
    cfg = NetworkConfig.preset(80, width=8)
    cfg.relu_slope, cfg.bn_eps = 0.1, 1e-5
    net = SpliceNet(cfg).eval()
    torch.save(openspliceai_state(net), tmp_path / "model_80nt_rs10.pt")
    back = openspliceai.load(tmp_path / "model_80nt_rs10.pt")
    assert back.config.relu_slope == 0.1 and back.config.context == 80
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 200)), 4).float().transpose(1, 2)
    assert torch.allclose(net(x), back(x))
    # and the converter writes a checkpoint that reproduces it
    transfer.convert(tmp_path / "model_80nt_rs10.pt", tmp_path / "ckpt")
    assert torch.allclose(checkpoint.load_network(tmp_path / "ckpt")[0](x), net(x))


def test_cut_to_context_keeps_prefix_weights():
    torch.manual_seed(0)
    big = SpliceNet(NetworkConfig.preset(400, width=4))
    small = transfer.cut_to_context(big, 80)
    assert small.config.context == 80 and len(small.units) == 4
    assert torch.equal(small.units[3].conv2.weight, big.units[3].conv2.weight)
    assert torch.equal(small.skips["3"].weight, big.skips["3"].weight)


def test_freeze_all_but_last_units():
    net = SpliceNet(NetworkConfig.preset(400, width=4))
    frozen = transfer.freeze(net, 2)
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in net.named_parameters()
                         if n.startswith(("units.6.", "units.7.", "skips.7.", "head."))}
    assert net.units[0] in frozen and net.units[6] not in frozen
    assert transfer.freeze(SpliceNet(NetworkConfig.preset(80, width=4)), None) == []
