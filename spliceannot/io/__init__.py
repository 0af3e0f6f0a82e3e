"""Everything that touches files: VCF in and out (``vcf``, the only cyvcf2 user), the plain
``Variant`` every later stage sees, the reference FASTA, contig naming, output targets (partial
files, locks, write errors), resume, and the ``Writer`` contract that output plugins implement.

Stages after reading see :class:`~spliceannot.io.variant.Variant` and hand writers plain
:class:`~spliceannot.records.Result` s; nothing outside this package opens an output file itself.
"""

from .variant import Variant, parse_variant
from .writer import TextWriter, Writer

__all__ = ["Variant", "parse_variant", "Writer", "TextWriter"]
