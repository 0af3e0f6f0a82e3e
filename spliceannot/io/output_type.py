"""bcftools' habits for the output: the ``-O`` type letters checked against the ``-o`` name, and
the index ``-W`` writes beside a finished ``.vcf.gz`` or ``.bcf``."""

import os

from ..errors import OutputError, UsageError
from .output import temporary_beside

# bcftools' -O letters and the names each one writes (u, uncompressed BCF, is not written).
OUTPUT_TYPES = {"v": ("VCF", None), "z": ("BGZF-compressed VCF", (".gz", ".bgz")),
                "b": ("BCF", (".bcf",))}


def output_name(output, output_type) -> str:
    """The output file of ``-o NAME`` and ``-O TYPE|PATH``. ``-O`` takes bcftools' output type
    (a letter, checked against the name the type would not silently override) or, as SpliceAI's
    ``-O``, the output path itself; the two never silently disagree."""
    if output_type is None:
        return output or "-"
    letter = output_type.lower()
    if letter == "u":
        raise UsageError("-O u (uncompressed BCF) is not written; use -O b with -o NAME.bcf")
    if letter not in OUTPUT_TYPES:
        if output and output != output_type:  # SpliceAI's -O PATH, and a different -o
            raise UsageError(f"-O {output_type} and -o {output} name two outputs; give one "
                             f"(-O takes a path, as SpliceAI's, or a type: v, z or b)")
        return output_type
    output = output or "-"
    what, suffixes = OUTPUT_TYPES[letter]
    name = output.lower()
    if output == "-":
        if letter != "v":
            raise UsageError(f"-O {letter} ({what}) needs a file name: -o NAME"
                             f"{suffixes[0] if letter == 'b' else '.vcf.gz'}; stdout gets "
                             f"plain text")
        return output
    written = "b" if name.endswith(".bcf") else "z" if name.endswith((".gz", ".bgz")) else "v"
    if written != letter:
        raise UsageError(f"-O {letter} ({what}) and -o {output} disagree: the type follows "
                         f"the name, which makes {OUTPUT_TYPES[written][0]}")
    return output


def write_index(path: str) -> str:
    """Index a BGZF VCF (.tbi; .csi where a contig is too long for tabix) or a BCF (.csi), as
    ``bcftools index`` does for ``-W``; returns the index's name. Written beside and renamed,
    so a failed run never leaves a half index next to a complete output."""
    import pysam.bcftools

    kinds = ["csi"] if path.lower().endswith(".bcf") else ["tbi", "csi"]
    error = None
    for kind in kinds:
        index = f"{path}.{kind}"
        tmp = temporary_beside(index, ".partial")
        try:
            flags = ["-t"] if kind == "tbi" else ["-c"]
            pysam.bcftools.index(*flags, "-f", "-o", tmp, path)
            os.replace(tmp, index)
            return index
        except pysam.utils.SamtoolsError as exc:
            error = str(exc).split("stderr=", 1)[-1].strip().splitlines()
            error = error[0] if error else str(exc)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise OutputError(f"-W: cannot index {path} ({error})")
