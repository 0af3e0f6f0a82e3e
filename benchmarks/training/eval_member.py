"""One transferred member against the human network it started from, on every test window.

Usage: python benchmarks/training/eval_member.py DATA_DIR MEMBER_DIR SOURCE_INDEX TRAINABLE_UNITS
The frozen prefix is shared by the two networks (checked), so it runs once per window (float32)
and only the two suffixes differ: half the cost of two full evaluations, same numbers up to
float rounding. Temperatures are fitted on val.h5 and reported on test.h5.
"""

import json
import sys

import numpy as np
import torch

from spliceannot.models import checkpoint
from spliceannot.training import cached, calibration, evaluation, transfer
from spliceannot.training.dataset import WindowData, one_hot

data_dir, member_dir, src, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(2)
human = transfer.initial_network("spliceai", src, 10000).eval()
new = checkpoint.load_network(member_dir)[0].eval()
first = len(human.units) - k
hs, ns = human.state_dict(), new.state_dict()
frozen = [n for n in hs if n.startswith(("stem.",)) or
          (n.startswith("units.") and int(n.split(".")[1]) < first)]
assert all(torch.equal(hs[n], ns[n]) for n in frozen), "prefixes differ"


@torch.no_grad()
def logits(split):
    data = WindowData(f"{data_dir}/{split}.h5")
    half, m = 5000, cached.margin(human, first)
    zs, ys = {"human": [], "transferred": []}, []
    for i in range(len(data)):
        x, y = data.read([i], context=10000)
        n = cached.extent(y[0])
        if n == 0:
            continue
        h, taps = cached.prefix(human, torch.from_numpy(one_hot(x[:, :10000 + n])), first)
        xi = h[:, :, half - m:half + n + m]
        ti = [t[:, :, half:half + n] for t in taps]
        keep = torch.from_numpy(y[0, :n] >= 0)
        for name, net in (("human", human), ("transferred", new)):
            zs[name].append(cached.suffix(net, first, xi, ti)[0].T[keep])
        ys.append(torch.from_numpy(y[0, :n][y[0, :n] >= 0].astype(np.int64)))
    data.close()
    return {k_: torch.cat(v)[None] for k_, v in zs.items()}, torch.cat(ys)


val_z, val_y = logits("val")
test_z, test_y = logits("test")
out = {}
for name in ("human", "transferred"):
    temps = calibration.fit_temperatures(val_z[name], val_y)
    for tag, t in ((name, torch.ones(3)), (name + " + calibrated", temps)):
        p = calibration.ensemble_probs(test_z[name], t)
        out[tag] = {"metrics": evaluation.site_metrics(test_y.numpy(), p.numpy()),
                    "calibration": calibration.calibration_report(p, test_y),
                    "temperatures": [float(v) for v in t]}
print(json.dumps(out, indent=1))
