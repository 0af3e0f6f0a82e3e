"""A dependency-free PEP 517 build backend for packaged species models (copied into each package).

``spliceannot train package`` copies this file to ``_build/backend.py`` of the distribution it
writes, so ``pip install DIR`` needs no setuptools and no network: the wheel is a zip of the
plugin package (module + model files), ``METADATA`` with the model card as its description, an
``entry_points.txt`` in group ``spliceannot`` and a ``RECORD``. What to build is read from
``_build/package.json`` (name, version, module, entry point, summary, requirements). Standard
library only.
"""

import base64
import hashlib
import io
import json
import os
import pathlib
import tarfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _spec() -> dict:
    return json.loads((ROOT / "_build" / "package.json").read_text())


def _line(value) -> str:
    # a header value stays one line: a newline would start a header of its own
    return " ".join(str(value).split())


def _metadata(spec: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {_line(spec['name'])}",
             f"Version: {_line(spec['version'])}", f"Summary: {_line(spec['summary'])}",
             f"License: {_line(spec['license'])}"]
    lines += [f"Requires-Dist: {r}" for r in spec["requires"]]
    lines += ["Description-Content-Type: text/markdown", ""]
    return "\n".join(lines) + "\n" + (ROOT / "README.md").read_text()


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    spec = _spec()
    dist = spec["name"].replace("-", "_")
    info = f"{dist}-{spec['version']}.dist-info"
    name = f"{dist}-{spec['version']}-py3-none-any.whl"
    files = []
    for path in sorted((ROOT / spec["module"]).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files.append((path.relative_to(ROOT).as_posix(), path.read_bytes()))
    entry = "[spliceannot]\n" + f"{spec['entry_point']} = {spec['module']}\n"
    wheel = ("Wheel-Version: 1.0\nGenerator: spliceannot train package\n"
             "Root-Is-Purelib: true\nTag: py3-none-any\n")
    files += [(f"{info}/METADATA", _metadata(spec).encode()),
              (f"{info}/WHEEL", wheel.encode()),
              (f"{info}/entry_points.txt", entry.encode())]
    record = [_record_line(a, d) for a, d in files] + [f"{info}/RECORD,,"]
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            z.writestr(arcname, data)
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return name


def build_sdist(sdist_directory, config_settings=None):
    spec = _spec()
    base = f"{spec['name'].replace('-', '_')}-{spec['version']}"
    os.makedirs(sdist_directory, exist_ok=True)
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tar:
        for path in sorted(ROOT.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                tar.add(path, arcname=f"{base}/{path.relative_to(ROOT).as_posix()}")
        meta = _metadata(spec).encode()
        pkg_info = tarfile.TarInfo(f"{base}/PKG-INFO")
        pkg_info.size = len(meta)
        tar.addfile(pkg_info, io.BytesIO(meta))
    return base + ".tar.gz"
