"""``spliceannot score``: annotate a VCF with delta scores (SpliceAI's -I -O -R -A -D -M flags work).

The command's own parameters (input, output, profile, summary, quiet) are spelled below; every
option of the run, of every group, is a parameter built from its declaration
(:mod:`spliceannot.cli.parameters`), so an option a plugin registers is on the command line, in
``--help`` and in the run's :class:`~spliceannot.options.Options` with nothing written here.
"""

import json
import sys
from typing import Annotated, Optional

import typer

from . import parameters, session
from ..errors import UsageError

GROUPS = ("input", "scoring", "output", "lookup", "engine", "distributed")


def _profile_help() -> str:
    from .. import options

    bundles = []
    for name in options.profile_names():
        bundles.append(name)
    return f"options bundle: {', '.join(bundles)} (docs/options.md); yours win"


def build():
    """The ``score`` command: its own parameters and every declared option, by group."""

    def score(
        input_path: Annotated[Optional[str], typer.Argument(metavar="IN", help="input VCF/BCF ('-' for stdin)")] = None,
        input_opt: Annotated[Optional[str], typer.Option("-I", "--input", metavar="VCF", help="input VCF, as SpliceAI's -I", rich_help_panel="Input")] = None,
        output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="FILE", help="output ('-': stdout); .vcf .vcf.gz .bcf .tsv .jsonl", rich_help_panel="Output")] = None,
        output_type: Annotated[Optional[str], typer.Option("-O", "--output-type", metavar="v|z|b|PATH", help="bcftools' type, checked against -o; a path: SpliceAI's -O", rich_help_panel="Output")] = None,
        summary_json: Annotated[Optional[str], typer.Option("--summary-json", metavar="FILE", help="write the run summary as JSON here", rich_help_panel="Output")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no per-record warnings, no progress", rich_help_panel="Output")] = False,
        profile: Annotated[Optional[str], typer.Option("--profile", metavar="NAME", help=_profile_help(), rich_help_panel="Scoring")] = None,
        chosen: dict = None,
    ):
        """Annotate each record of a VCF with SpliceAI delta scores (details: docs/options.md)."""
        run(dict(input_path=input_path, input_opt=input_opt, output=output,
                 output_type=output_type, summary_json=summary_json, quiet=quiet,
                 profile=profile), chosen)

    return parameters.command(score, GROUPS)


def run(values: dict, chosen: dict) -> None:
    input_path, input_opt = values["input_path"], values["input_opt"]
    summary_json, quiet = values["summary_json"], values["quiet"]
    from ..io.output_type import output_name

    output = output_name(values["output"], values["output_type"])
    if input_path and input_opt and input_path != input_opt:
        raise UsageError("give the input VCF once: as IN or as -I, not both")
    source = input_opt or input_path
    if not source:
        raise UsageError("no input VCF: give IN (or -I); '-' reads stdin")
    from ..options import Options, check, with_profile

    opts = Options(**with_profile(values["profile"], chosen), progress=False if quiet else None)
    check(opts)  # what the declarations refuse (--engine, --address) before any file is read
    from ..io.files import check_inputs

    # Before torch and the model load: a mistyped path is reported at once.
    check_inputs([("input VCF", source), ("-R", chosen.get("reference"))])
    session.start(quiet, chosen.get("plugins_dir"))
    if chosen.get("annotation"):
        from ..registry import annotation_source

        annotation_source(chosen["annotation"])  # a mistyped -A path: its one line now
    if summary_json:  # checked before the run, like every output name
        from ..io.output import check_writable_path

        check_writable_path(summary_json, "--summary-json")
    from ..pipeline import check_paths, score_file

    check_paths(source, [("-o", output), ("--summary-json", summary_json)], opts)
    if opts.engine == "ray":
        from ..scale.distributed import score_distributed

        summary = score_distributed(source, output, opts)
    else:
        summary = score_file(source, output, opts)
    if summary_json:
        from ..io.output import write_file

        write_file(summary_json, "--summary-json", json.dumps(summary.to_dict(), indent=2))
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("score", cls=parameters.Command)(build())
