"""Ray-distributed scoring: region shards of a VCF, durable parts, one merged output.

The input is cut into contiguous runs of records (so each shard is one genomic region of a
sorted VCF, and the global input order is the shard order then the order within a shard). Each
shard is scored by a Ray task that runs the ordinary local pipeline, :func:`scoring.score_file`,
into its own part file; so a part holds exactly what the local engine writes for those records.
The merge keeps one header and appends the parts' bodies in shard order, which makes the output
byte-identical to a local run; each writer declares whether it can be merged and how
(:meth:`spliceannot.io.writer.Writer.merge`: bodies concatenated, a ``.vcf.gz`` as one BGZF file, or
``vep`` parts by a stable streaming k-way merge on (contig, position), exactly as that writer
sorts). Merges stream: no part is held in memory whole.

Durability: shards, parts and ``manifest.json`` live in ``OUT.shards/``. A part is renamed into
place only when complete (``score_file`` writes ``PART.partial``), and the manifest is replaced
atomically after every finished shard, so a crash of the driver loses at most the shards in
flight; rerunning the same command reuses every part the manifest marks done. A worker that
dies is retried by Ray (``max_retries``), as is a shard that fails with an ``OSError``.
"""

import hashlib
import json
import logging
import os
import shutil
import time

from ..errors import MissingDependency, SpliceannotError, UsageError
from ..io.files import open_text
from ..summary import Summary

log = logging.getLogger("spliceannot")
WORK_SUFFIX = ".shards"
MANIFEST = "manifest.json"
# Fault injection for the tests (a shard task that dies as a killed worker would): shard
# indices, comma-separated; with a marker directory only the first attempt of each dies.
FAULT_SHARDS_ENV = "SPLICEANNOT_FAULT_SHARDS"
FAULT_MARKERS_ENV = "SPLICEANNOT_FAULT_MARKERS"


class ShardFailed(SpliceannotError):
    exit_code = 1


def import_ray():
    try:
        import ray
    except ImportError:
        raise MissingDependency("--engine ray needs Ray: pip install 'spliceannot[ray]' "
                                "(or pip install ray)") from None
    return ray


# What a run's header says its inputs were, by content: a FASTA, model or annotation replaced
# under the same path is another run, whose parts must not be reused.
CONTENT = ("model_hash", "annotation_hash", "reference_hash")


def _fingerprint(input_path, opts, shards, writer, contents: dict = None) -> str:
    """What a rerun must share with the first run for its parts to be reused: the input's
    content (its digest kept by stat), the options that shape what is written (all but the
    engine and distributed groups, as declared), and the inputs' content digests."""
    from .. import options
    from ..io import identity

    digest = hashlib.sha256(identity.file_sha256(input_path).encode())
    settings = {k: v for k, v in opts.as_dict().items()
                if k not in options.declared() or options.get(k).group not in ("engine",
                                                                                "distributed")}
    digest.update(json.dumps([settings, shards, writer, contents or {}], sort_keys=True,
                             default=str).encode())
    return digest.hexdigest()


def split(input_path, workdir, shards: int) -> list:
    """Write ``shards`` shard VCFs (header + a contiguous run of records); returns their entries."""
    header, total = [], 0
    with open_text(input_path, newline="") as handle:
        for line in handle:
            if line.startswith("#") and total == 0:
                header.append(line)
            elif line.strip():
                total += 1
    if header and not header[-1].endswith("\n"):
        header[-1] += "\n"
    n = max(1, min(shards, total))
    bounds = [round(i * total / n) for i in range(n + 1)]
    entries, out, shard, seen = [], None, -1, 0
    with open_text(input_path, newline="") as handle:
        for line in handle:
            if (line.startswith("#") and seen == 0) or not line.strip():
                continue
            while shard < 0 or seen >= bounds[shard + 1]:
                if out:
                    out.close()
                shard += 1
                path = os.path.join(workdir, f"shard-{shard:04d}.vcf")
                out = open(path, "w")
                out.writelines(header)
                entries.append({"index": shard, "input": os.path.basename(path),
                                "first": seen, "records": bounds[shard + 1] - bounds[shard],
                                "region": None, "status": "pending"})
            fields = line.split("\t", 2)
            where = f"{fields[0]}:{fields[1]}" if len(fields) > 2 else "?"
            entry = entries[-1]
            entry["start"] = entry.get("start") or where
            entry["region"] = f"{entry['start']}-{where}"  # first-last record of the shard
            out.write(line if line.endswith("\n") else line + "\n")
            seen += 1
    if out:
        out.close()
    if not entries:  # no records: one empty shard still makes the header
        path = os.path.join(workdir, "shard-0000.vcf")
        with open(path, "w") as handle:
            handle.writelines(header)
        entries.append({"index": 0, "input": os.path.basename(path), "first": 0, "records": 0,
                        "region": None, "status": "pending"})
    return entries


def score_shard(shard_path, part_path, opts, plugins_dirs, index, cwd):
    """One Ray task: the local pipeline on one shard. Returns the shard's summary as a dict."""
    _fault(index)
    # Relative paths in the options resolve as in the driver, and are written to the output
    # header as given (the local engine writes them so); on a cluster they need a shared path.
    if os.path.isdir(cwd):
        os.chdir(cwd)
    if plugins_dirs:
        from ..plugins import load_plugins_dir

        for directory in plugins_dirs:
            load_plugins_dir(directory)
    from ..pipeline import score_file

    summary = score_file(shard_path, part_path, opts.replace(progress=False, engine="local",
                                                                 address=None))
    return summary.to_dict()


def _fault(index):
    wanted = os.environ.get(FAULT_SHARDS_ENV, "")
    if str(index) not in wanted.split(","):
        return
    markers = os.environ.get(FAULT_MARKERS_ENV)
    if markers:
        marker = os.path.join(markers, f"died-{index}")
        if os.path.exists(marker):
            return
        open(marker, "w").close()
    os._exit(1)  # as a killed worker: no exception, no cleanup


class Manifest:
    """``OUT.shards/manifest.json``: the shards, their state, replaced atomically on each save."""

    def __init__(self, workdir, data):
        self.workdir, self.data = workdir, data

    @classmethod
    def open(cls, workdir, fingerprint, make_shards):
        path = os.path.join(workdir, MANIFEST)
        if os.path.exists(path):
            with open(path) as handle:
                data = json.load(handle)
            if data.get("fingerprint") == fingerprint:
                return cls(workdir, data)
            log.warning("%s is from another input or other settings; starting over", workdir)
            shutil.rmtree(workdir)
        os.makedirs(workdir, exist_ok=True)
        manifest = cls(workdir, {"fingerprint": fingerprint, "shards": make_shards()})
        manifest.save()
        return manifest

    @property
    def shards(self):
        return self.data["shards"]

    def path(self, name):
        return os.path.join(self.workdir, name)

    def done(self, shard) -> bool:
        part = shard.get("part")
        return (shard["status"] == "done" and part is not None
                and os.path.exists(self.path(part))
                and os.path.getsize(self.path(part)) == shard.get("part_bytes"))

    def save(self):
        path = self.path(MANIFEST)
        with open(path + ".tmp", "w") as handle:
            json.dump(self.data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(path + ".tmp", path)


def score_distributed(input_path, output_path, opts, shards=None, address=None,
                      plugins_dirs=None, retries=3, workers=None, keep_work=False):
    """Score ``input_path`` on Ray in ``shards`` region shards; the merged output equals the
    local engine's. Returns the run summary; ``summary.shards_skipped`` lists reused shards.
    ``shards``, ``address``, ``workers``, ``plugins_dirs``: the options' unless given."""
    from .. import registry

    shards = opts.shards if shards is None else shards
    address = opts.address if address is None else address
    workers = opts.workers if workers is None else workers
    if plugins_dirs is None:
        plugins_dirs = [opts.plugins_dir] if opts.plugins_dir else []

    if input_path == "-" or output_path == "-":
        raise UsageError("--engine ray needs an input file and an output file, not '-'")
    if opts.resume or opts.rejects:
        raise UsageError("--engine ray resumes by itself (rerun the same command); "
                         "--resume and --rejects are for the local engine")
    if shards < 1:
        raise UsageError(f"--shards must be >= 1, got {shards}")
    writer_cls = registry.writer_for(opts.format, output_path)
    writer = writer_cls.name
    if not writer_cls.can_merge(output_path):
        raise UsageError(f"--engine ray cannot merge {writer} parts into {output_path}; write "
                         f"an uncompressed file and compress it afterwards (bgzip)")
    if not os.path.exists(input_path):
        raise UsageError(f"input VCF {input_path}: no such file")
    from ..io.output import OutputTarget
    from ..session import Session

    # Every check a worker would make, made here once: a usage error stops the run before any
    # shard or output exists, not as a shard failure.
    with Session.open(opts.replace(format=writer), output_path) as run:
        contents = {k: run.run_info.get(k) for k in CONTENT}
    target = OutputTarget(output_path)  # a missing directory is refused before any work
    target.lock()
    try:
        return _score(input_path, output_path, opts, shards, address, plugins_dirs, retries,
                      workers, keep_work, writer_cls, contents)
    finally:
        target.unlock()


def _score(input_path, output_path, opts, shards, address, plugins_dirs, retries, workers,
           keep_work, writer_cls, contents=None):
    writer = writer_cls.name
    started = time.perf_counter()
    workdir = output_path + WORK_SUFFIX
    fingerprint = _fingerprint(input_path, opts, shards, writer, contents)
    manifest = Manifest.open(workdir, fingerprint, lambda: split(input_path, workdir, shards))
    pending = [s for s in manifest.shards if not manifest.done(s)]
    skipped = [s["index"] for s in manifest.shards if manifest.done(s)]
    if skipped:
        log.info("reusing %d finished shards from %s", len(skipped), workdir)
    if pending:
        _run(manifest, pending, opts.replace(format=writer, write_index=False), address,
             [os.path.abspath(d) for d in plugins_dirs], retries, workers,
             _part_suffix(writer_cls, output_path))
    merge(manifest, writer_cls, output_path)
    if opts.write_index:
        from ..io.output_type import write_index

        write_index(output_path)
    summary = _total(manifest.shards)
    summary.seconds = time.perf_counter() - started
    summary.shards_skipped = skipped
    if not keep_work:
        shutil.rmtree(workdir)
    return summary


def _part_suffix(writer_cls, output_path) -> str:
    """Parts are named like the output, so each part's writer makes the same kind of file."""
    name = output_path.lower()
    matches = [s for s in writer_cls.suffixes if name.endswith(s)]
    return max(matches, key=len) if matches else (writer_cls.suffixes or ("",))[0]


def _run(manifest, pending, opts, address, plugins_dirs, retries, workers, suffix):
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING,
                     log_to_driver=False)
    # Worker death is retried by max_retries; OSError (a lost file system) is worth a retry
    # too, a SpliceannotError (bad input, bad settings) is not: it fails the same way again.
    task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=[OSError])(score_shard)
    try:
        waiting = {}
        for shard in pending:
            part = f"part-{shard['index']:04d}{suffix}"
            shard.update(status="running", part=part)
            ref = task.remote(os.path.abspath(manifest.path(shard["input"])),
                              os.path.abspath(manifest.path(part)), opts,
                              plugins_dirs, shard["index"], os.getcwd())
            waiting[ref] = shard
        manifest.save()
        failure = None
        while waiting:
            ready, _ = ray.wait(list(waiting), num_returns=1)
            shard = waiting.pop(ready[0])
            try:
                shard["summary"] = ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - recorded, the others still finish
                shard["status"], shard["error"] = "failed", _reason(exc)
                failure = failure or shard
            else:
                shard.update(status="done", finished=time.time(),
                             part_bytes=os.path.getsize(manifest.path(shard["part"])))
                shard.pop("error", None)
            manifest.save()
        if failure:
            raise ShardFailed(f"shard {failure['index']} ({failure['region']}) failed: "
                              f"{failure['error']}; finished shards are kept in "
                              f"{manifest.workdir} (rerun the same command to continue)")
    finally:
        if started_here:
            ray.shutdown()


def _reason(exc) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, SpliceannotError):
        return str(cause)
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def merge(manifest, writer_cls, output_path):
    """Merge the parts in shard order into one output, via OUT.partial published when complete
    (a device or a symlink's target is written, never replaced)."""
    from ..io.output import OutputTarget, write_error

    target = OutputTarget(output_path)
    parts = [manifest.path(s["part"]) for s in manifest.shards]
    try:
        writer_cls.merge(parts, target.working, output_path)
    except OSError as exc:
        raise write_error(exc, output_path) from None
    target.commit()


def _total(shards) -> Summary:
    total = Summary()
    for shard in shards:
        s = shard.get("summary") or {}
        for key in ("records_in", "records_out", "scored", "entries"):
            setattr(total, key, getattr(total, key) + s.get(key, 0))
        total.unscored.update(s.get("unscored", {}))
        total.alt_skips.update(s.get("alt_skips", {}))
        for key, value in s.get("timings", {}).items():  # summed over workers
            total.timings[key] = total.timings.get(key, 0) + value
    return total
