"""The plain ``Variant`` every component sees (no cyvcf2 objects leave ``vcf.py``), and ALT checks."""

import re
from dataclasses import dataclass, field

# SpliceAI 1.3.1 silently ignores ALTs holding these characters (missing, deleted, symbolic).
_IGNORED_BY_131 = re.compile(r"[.\-*<>]")
_BREAKEND = re.compile(r"[\[\]]")
_BASES = re.compile(r"^[ACGTNacgtn]+$")


@dataclass
class Variant:
    chrom: str
    pos: int  # 1-based position of the first REF base
    ref: str
    alts: list = field(default_factory=list)
    id: str = "."
    line: int = 0  # record number in the input (1-based), for messages

    def label(self) -> str:
        """How messages name the record: number, position, ID and alleles."""
        ident = "" if self.id in (".", "", None) else f" {self.id}"
        alts = ",".join(self.alts) if self.alts else "."
        return f"line {self.line} ({self.chrom}:{self.pos}{ident} {self.ref}>{alts})"


_SPEC = re.compile(r"^\s*(.+?)[\s:\-]+(\d+)[\s:\-]+([A-Za-z]+)[\s:\->]+([A-Za-z,]+)\s*$")


def parse_variant(spec, line: int = 0) -> Variant:
    """A Variant from a Variant, a (chrom, pos, ref, alt or alts) tuple, or text such as
    ``chr16-262226-G-A`` (SpliceAI-lookup's spelling), ``chr16:262226:G:A`` or
    ``16:262226 G>A,T``; raises ValueError naming the accepted spellings."""
    if isinstance(spec, Variant):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) == 4:
        chrom, pos, ref, alts = spec
        alts = [alts] if isinstance(alts, str) else list(alts)
        return Variant(str(chrom), int(pos), str(ref), [a for s in alts for a in s.split(",")],
                       line=line)
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise ValueError(f"variant {spec!r}: give CHROM-POS-REF-ALT (e.g. chr16-262226-G-A), "
                         f"CHROM:POS:REF:ALT or a (chrom, pos, ref, alt) tuple")
    return Variant(m.group(1), int(m.group(2)), m.group(3).upper(), m.group(4).upper().split(","),
                   line=line)


def alt_problem(alt: str):
    """Why an ALT cannot be scored, or None. Reasons are summary keys.

    Unlike 1.3.1, breakends and non-ACGTN characters (IUPAC codes) are refused rather than
    aliased to bases by 1.3.1's ``ord(c) % 5`` one-hot trick.
    """
    if alt == "*" or alt == "." or alt == "":
        return "ALT missing or '*'"
    if alt.startswith("<"):
        return "symbolic ALT"
    if _BREAKEND.search(alt):
        return "breakend ALT"
    if _IGNORED_BY_131.search(alt):
        return "ALT holds '.', '-', '*', '<' or '>'"
    if not _BASES.match(alt):
        return "ALT holds a non-ACGTN base"
    return None


def trim_alleles(ref: str, alt: str) -> tuple:
    """(offset of the first differing REF base from POS, REF length, ALT) after dropping the
    shared suffix, then the shared prefix, keeping one anchor base (so CT>AT is C>A and
    CA>CTA is C>CT): every such spelling of a variant then builds the same windows."""
    r, a = ref.upper(), alt.upper()
    while len(r) > 1 and len(a) > 1 and r[-1] == a[-1]:
        r, a = r[:-1], a[:-1]
    offset = 0
    while len(r) > 1 and len(a) > 1 and r[0] == a[0]:
        r, a, offset = r[1:], a[1:], offset + 1
    return offset, len(r), alt[offset:offset + len(a)]
