"""The plugin manager: built-ins, installed entry points and an explicit plugins directory.

Built-in plugins are listed in DEFAULT_PLUGINS and loaded exactly like third-party ones; core code
never imports them. Third-party plugins come only from the ``spliceannot`` entry-point group or a
directory the user names (``--plugins-dir``), never from the working directory.
``SPLICEANNOT_LOAD_PLUGINS=a,b`` restricts loading to those names ("" loads none beyond the
built-ins).
"""

import importlib
import importlib.util
import os
import pathlib
import sys
from functools import lru_cache

import pluggy

from . import hookspecs
from .errors import PluginError

DEFAULT_PLUGINS = (
    "spliceannot.default_plugins.builtin_options",  # every option of a run, declared once
    "spliceannot.default_plugins.spliceai_model",
    "spliceannot.default_plugins.checkpoint_model",
    "spliceannot.default_plugins.openspliceai_files",
    "spliceannot.default_plugins.table_annotation",
    "spliceannot.default_plugins.gtf_annotation",
    "spliceannot.default_plugins.both_strands_annotation",
    "spliceannot.default_plugins.delta_scorer",
    "spliceannot.default_plugins.fast_scorer",
    "spliceannot.default_plugins.precomputed_lookup",  # registers the precomputed lookup
    "spliceannot.default_plugins.cache_lookup",  # registers the cache lookup
    "spliceannot.default_plugins.vcf_writer",
    "spliceannot.default_plugins.tsv_writer",
    "spliceannot.default_plugins.vep_writer",
    "spliceannot.default_plugins.jsonl_writer",
    "spliceannot.default_plugins.track_writers",
)


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    """Build (once) the manager with built-ins and installed entry-point plugins."""
    pm = pluggy.PluginManager("spliceannot")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    only = os.environ.get("SPLICEANNOT_LOAD_PLUGINS")
    if only is None:
        pm.load_setuptools_entrypoints("spliceannot")
    elif only.strip():
        wanted = {n.strip() for n in only.split(",") if n.strip()}
        for name in sorted(wanted):
            pm.load_setuptools_entrypoints("spliceannot", name=name)
    pm.check_pending()
    return pm


def load_plugins_dir(path) -> list[str]:
    """Register every ``*.py`` module of an explicit directory as a plugin; returns their names."""
    directory = pathlib.Path(path)
    if not directory.is_dir():
        raise PluginError(f"--plugins-dir {path}: not a directory")
    pm = get_plugin_manager()
    loaded = []
    for file in sorted(directory.glob("*.py")):
        name = f"spliceannot_dir_plugin_{file.stem}"
        if pm.get_plugin(name) is not None:
            continue
        spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a broken plugin file must say which file
            raise PluginError(f"plugin {file}: {type(exc).__name__}: {exc}") from exc
        pm.register(module, name=name)
        loaded.append(name)
    pm.check_pending()
    return loaded


def describe_plugins(include_builtins: bool = False) -> list[dict]:
    """Name, hooks and version of each loaded plugin, for ``spliceannot plugins``."""
    pm = get_plugin_manager()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin)
        builtin = name in DEFAULT_PLUGINS
        if builtin and not include_builtins:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        row = {"name": name, "hooks": hooks, "builtin": builtin}
        dist = dists.get(id(plugin))
        if dist is not None:
            row["version"] = dist.version
            row["distribution"] = dist.project_name if hasattr(dist, "project_name") else dist.name
        rows.append(row)
    return sorted(rows, key=lambda r: (not r["builtin"], r["name"]))
