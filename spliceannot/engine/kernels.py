"""Which convolution kernel each stacked layer runs on this device, measured once and cached.

The members of an ensemble can run as ONE grouped convolution per layer (one launch for all:
what a GPU wants) or as each member's own convolution. Both give a member's channels the same
bits (:func:`~spliceannot.engine.inference.stack_identical` probes it), but not the same speed:
on a 2-core AMD EPYC (Zen 3, AVX2, oneDNN brgemm) the grouped call ran the kernel-11 layers
about 1.4x slower than five 32-channel calls, and the dilated kernel-41 layers 5-10% slower. So
the engine times, per distinct layer, the grouped call, the members one by one into one output
(``Conv.per_member``: two channel copies) and the members as separate networks (no copies), and
keeps what is fastest:

* ``members``: separate networks are faster over the whole network (each layer's time summed)
  -> the engine runs the members one after another (``Engine.runners`` = the members);
* otherwise one stacked network, each layer grouped or per member, whichever timed faster.

Choices are cached in-process and on disk (``$SPLICEANNOT_CACHE`` or ``~/.cache/spliceannot``,
``kernels.json``), keyed by device name, torch version, thread count and layer shape, so a
process measures at most once per machine. ``SPLICEANNOT_KERNELS`` = ``grouped``, ``split``
(every grouped layer per member) or ``members`` forces one choice (tests use it to check the
bits are the same every way); ``measure`` (default) times.
"""

import json
import os
import pathlib
import platform
import time

import torch

MODES = ("measure", "grouped", "split", "members")
_MEMORY = {}


def mode() -> str:
    value = os.environ.get("SPLICEANNOT_KERNELS", "measure")
    if value not in MODES:
        raise ValueError(f"SPLICEANNOT_KERNELS must be one of {', '.join(MODES)}, got {value!r}")
    return value


def device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def _key(conv, device) -> str:
    return "|".join(map(str, (device_name(device), torch.__version__, torch.get_num_threads(),
                              conv.kernel, conv.dilation, conv.in_channels, conv.groups)))


def _cache_file() -> pathlib.Path:
    root = os.environ.get("SPLICEANNOT_CACHE") or pathlib.Path.home() / ".cache" / "spliceannot"
    return pathlib.Path(root) / "kernels.json"


def _load() -> dict:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _save(entries: dict) -> None:
    path = _cache_file()
    try:  # a read-only home only costs a measurement next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**_load(), **entries}, indent=0, sort_keys=True))
        tmp.replace(path)
    except OSError:
        pass


def _seconds(fn, device, reps=3) -> float:
    """Best of ``reps`` runs (the minimum holds best on a loaded machine)."""
    best = float("inf")
    for _ in range(reps):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            started = time.perf_counter()
            fn()
            torch.cuda.synchronize(device)
            best = min(best, time.perf_counter() - started)
        else:  # CPU seconds: what a busy machine's other processes disturb least
            started = time.process_time()
            fn()
            best = min(best, time.process_time() - started)
    return best


def time_layer(conv, device, positions: int = 4096) -> dict:
    """Seconds of one call of a stacked layer on two items of ``positions`` outputs (a REF
    track's length scale, where the kernels differ most):
    ``grouped``, ``split`` (members into one output) and ``members`` (members on their own
    contiguous inputs, as separate networks run them). Interleaved, best of three."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, positions + 2 * conv.radius, conv.in_channels, generator=g).to(device)
    width = conv.weight.shape[1]
    parts = [x[..., j * width:(j + 1) * width].contiguous() for j in range(conv.groups)]
    saved = conv.per_member, conv.work, [m.work for m in conv.members]
    conv.work = None  # timing runs are not the engine's work
    for m in conv.members:
        m.work = None

    def grouped():
        conv.per_member = False
        conv(x)

    def split():
        conv.per_member = True
        conv(x)

    def members():
        for m, part in zip(conv.members, parts):
            m(part)

    runs = {"grouped": grouped, "split": split, "members": members}
    with torch.inference_mode():
        for fn in runs.values():  # warm-up: weight reorders, allocator
            fn()
        best = {name: float("inf") for name in runs}
        for _ in range(2):
            for name, fn in runs.items():
                best[name] = min(best[name], _seconds(fn, device, reps=2))
    conv.per_member, conv.work = saved[:2]
    for m, work in zip(conv.members, saved[2]):
        m.work = work
    return best


def choose(stacked, device, forced: str | None = None) -> str:
    """Set each grouped layer of ``stacked`` to run grouped or per member, by this device's
    timings (cached); return ``"members"`` where separate networks run the whole network
    faster than the best stacked mix (the caller then runs the members one by one), else
    ``"stacked"``."""
    forced = forced or mode()
    if forced not in MODES:
        raise ValueError(f"kernels must be one of {', '.join(MODES)}, got {forced!r}")
    layers = [c for c in stacked.convs() if c.members and c.groups > 1]
    if forced != "measure":
        for conv in layers:
            conv.per_member = forced == "split"
        return "members" if forced == "members" else "stacked"
    disk, new = None, {}
    times = {}
    for conv in layers:
        key = _key(conv, device)
        if key not in _MEMORY:
            if disk is None:
                disk = _load()
            if key in disk and set(disk[key]) == {"grouped", "split", "members"}:
                _MEMORY[key] = disk[key]
            else:
                _MEMORY[key] = new[key] = time_layer(conv, device)
        times[id(conv)] = _MEMORY[key]
    if new:
        _save(new)
    # every layer counted as often as the network has it: the whole network's time each way
    apart = sum(times[id(c)]["members"] for c in layers)
    stacked_best = sum(min(times[id(c)]["grouped"], times[id(c)]["split"]) for c in layers)
    if layers and apart < stacked_best:
        for conv in layers:
            conv.per_member = False
        return "members"
    for conv in layers:
        t = times[id(conv)]
        conv.per_member = t["split"] < t["grouped"]
    return "stacked"
