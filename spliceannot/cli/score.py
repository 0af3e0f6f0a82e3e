"""``spliceannot score``: annotate a VCF with delta scores (SpliceAI's -I -O -R -A -D -M flags work).

The command's own parameters (input, output, profile, engine, ...) are spelled below; every
option of the run is a parameter built from its declaration (:mod:`spliceannot.options`), so an
option a plugin registers is on the command line, in ``--help`` and in the run's
:class:`~spliceannot.options.Options` with nothing written here.
"""

import inspect
import json
import sys
from typing import Annotated, Optional

import typer

from . import session

from ..errors import OutputError, PluginError, UsageError

# The command's own parameters, which are not options of a run.
RUN_PARAMETERS = {
    "input_path": (Annotated[Optional[str], typer.Argument(metavar="IN", help="input VCF/BCF ('-' for stdin)")], None),
    "input_opt": (Annotated[Optional[str], typer.Option("-I", "--input", help="input VCF, as SpliceAI's -I")], None),
    "output": (Annotated[Optional[str], typer.Option("-o", "--output", help="output file ('-': stdout, the default); the type follows the name: .vcf, .vcf.gz, .bcf, .tsv, .jsonl, .vep.vcf.gz")], None),
    "output_type": (Annotated[Optional[str], typer.Option("-O", "--output-type", metavar="v|z|b|PATH", help="bcftools' output type, checked against the -o name: v (VCF), z (BGZF VCF), b (BCF); a path is the output, as SpliceAI's -O")], None),
    "profile": None,  # its help lists what each profile sets: built with the command
    "plugins_dir": (Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")], None),
    "summary_json": (Annotated[Optional[str], typer.Option("--summary-json", help="write the run summary as JSON here")], None),
    "quiet": (Annotated[bool, typer.Option("--quiet", "-q", help="no per-record warnings, no progress")], False),
    "engine": (Annotated[str, typer.Option("--engine", help="local (default) or ray: region shards scored on Ray workers, merged in input order")], "local"),
    "address": (Annotated[Optional[str], typer.Option("--address", help="with --engine ray: the Ray cluster address (default: start a local Ray instance)")], None),
    "shards": (Annotated[int, typer.Option("--shards", min=1, help="with --engine ray: region shards the input is split into")], 4),
    "workers": (Annotated[int, typer.Option("--workers", min=1, help="with --engine ray and no --address: CPUs of the local Ray instance")], 2),
}


def _profile_help() -> str:
    from .. import options

    bundles = []
    for name in options.profile_names():
        values = options.profile(name)
        spelled = [options.get(k).spell(v) for k, v in values.items()]
        bundles.append(f"'{name}' = {' '.join(s for s in spelled if s)}")
    return (f"a bundle of options: {'; '.join(bundles)}; an option you give wins over the "
            f"profile's")


def option_parameter(option) -> inspect.Parameter:
    """The typer parameter of a declared option. Every one but a flag defaults to None, so a
    value the user did not give is told from one the user gave (a profile fills the first)."""
    notes = [] if option.default in (None, (), False) or option.required \
        else [f"default: {option.spell(option.default) if option.zero_one else option.default}"]
    notes += [f"{name} profile: {'on' if option.is_flag else option.spell(value).split()[-1]}"
              for name, value in option.profiles.items() if not option.is_flag or value]
    text = option.help + (f" ({'; '.join(notes)})" if notes else "")  # rich eats [...]
    extra = {"metavar": option.metavar} if option.metavar else {}
    if option.is_flag:
        return _parameter(option.name, bool, typer.Option(*option.flags, help=text), False)
    kind = int if option.zero_one else option.type
    kind = list[kind] if option.multiple else kind
    info = typer.Option(*option.flags, help=text, show_default=False, **extra)
    if option.required:
        return _parameter(option.name, kind, info, ...)
    return _parameter(option.name, Optional[kind], info, None)


def _parameter(name, kind, info, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                             annotation=Annotated[kind, info], default=default)


def given(option, value):
    """A command-line value as an option value; None where the user gave none."""
    if value is None or (option.is_flag and not value):
        return None
    if option.zero_one:
        return bool(value)
    return tuple(value) if option.multiple else value


def build():
    """The ``score`` command with a parameter for each option declared now."""
    from .. import options

    declared = [o for o in options.declared().values() if o.flags]
    params, flags = [], {}
    for name, spec in RUN_PARAMETERS.items():
        if name == "profile":
            spec = (Annotated[Optional[str], typer.Option("--profile", help=_profile_help())],
                    None)
        kind, default = spec
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                                        default=default))
    for option in declared:
        if option.name in RUN_PARAMETERS:
            raise PluginError(f"option {option.name!r} is a parameter of 'score' itself")
        params.append(option_parameter(option))
    for param in params:
        info = param.annotation.__metadata__[0]
        for flag in info.param_decls or ():
            if flag in flags:
                raise PluginError(f"options {flags[flag]!r} and {param.name!r} both claim {flag}")
            flags[flag] = param.name

    def score(**values):
        """Annotate each record of a VCF with SpliceAI delta scores (INFO/SpliceAI)."""
        run(values, {o.name: given(o, values[o.name]) for o in declared})

    score.__signature__ = inspect.Signature(params)
    return score


def run(values: dict, chosen: dict) -> None:
    engine, address = values["engine"], values["address"]
    input_path, input_opt = values["input_path"], values["input_opt"]
    summary_json, quiet = values["summary_json"], values["quiet"]
    from ..io.output_type import output_name

    output = output_name(values["output"], values["output_type"])
    if engine not in ("local", "ray"):
        raise UsageError(f"--engine must be local or ray, got {engine!r}")
    if engine == "local" and address:
        raise UsageError("--address needs --engine ray")
    if input_path and input_opt and input_path != input_opt:
        raise UsageError("give the input VCF once: as IN or as -I, not both")
    source = input_opt or input_path
    if not source:
        raise UsageError("no input VCF: give IN (or -I); '-' reads stdin")
    from ..io.files import check_inputs

    # Before torch and the model load: a mistyped path is reported at once.
    check_inputs([("input VCF", source), ("-R", chosen.get("reference"))])
    session.start(quiet, values["plugins_dir"])
    if chosen.get("annotation"):
        from ..registry import annotation_source

        annotation_source(chosen["annotation"])  # a mistyped -A path: its one line now
    if summary_json:  # checked before the run, like every output name
        from ..io.output import check_writable_path

        check_writable_path(summary_json, "--summary-json")
    from ..options import Options, with_profile
    from ..pipeline import check_paths, score_file

    opts = Options(**with_profile(values["profile"], chosen), progress=False if quiet else None)
    check_paths(source, output, opts, [("--summary-json", summary_json)] if summary_json else [])
    if engine == "ray":
        from ..scale.distributed import score_distributed

        plugins_dir = values["plugins_dir"]
        summary = score_distributed(source, output, opts, shards=values["shards"],
                                    address=address,
                                    plugins_dirs=[plugins_dir] if plugins_dir else [],
                                    workers=values["workers"])
    else:
        summary = score_file(source, output, opts)
    if summary_json:
        try:
            with open(summary_json, "w") as handle:
                json.dump(summary.to_dict(), handle, indent=2)
        except OSError as exc:
            raise OutputError(f"--summary-json {summary_json}: cannot write it ({exc.strerror})") from None
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("score")(build())
