"""Request parameters as SpliceAI-lookup reads them: variant spellings, integers, one-line refusals."""

import re

from ..io.variant import Variant

# The lookup's spellings (chrom-pos-ref-alt, also ':' ' ' '>' separated), any contig name.
VARIANT_RE = re.compile(r"(?P<chrom>[^\s:>-]+)[-\s:]+(?P<pos>[0-9]{1,9})[-\s:]+(?P<ref>[ACGT]+)"
                        r"[-\s:>]+(?P<alt>[ACGT]+)")
# A position-only (REF-only) query: chrom-pos, chrom:pos or "chrom pos", no alleles.
POSITION_RE = re.compile(r"(?P<chrom>[^\s:>-]+)[-\s:]+(?P<pos>[0-9]{1,9})")
INTEGER_RE = re.compile(r"\s*[+-]?[0-9]{1,6}\s*")
MAX_DISTANCE = 10_000  # the lookup's limit
BC = ("basic", "comprehensive")


class BadRequest(Exception):
    """Input the service refuses; the message is one line for the client."""

    def __init__(self, message, status=400):
        super().__init__(str(message).splitlines()[0])
        self.status = status



def integer(name, value, lo, hi) -> int:
    """A request's integer parameter, refused (never truncated) unless it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) \
            or (isinstance(value, str) and not INTEGER_RE.fullmatch(value)):
        raise BadRequest(f'Invalid "{name}": "{str(value)[:20]}". The value must be an integer.')
    number = int(value)
    if not lo <= number <= hi:
        raise BadRequest(f'Invalid "{name}": "{number}". The value must be within {lo}..{hi}.')
    return number


def parse_variant(text):
    """(Variant, error): the lookup answers a variant it cannot parse with an error body."""
    m = VARIANT_RE.fullmatch(text)
    if not m or int(m["pos"]) < 1:
        return None, f"Unable to parse variant: {text}"
    return Variant(m["chrom"], int(m["pos"]), m["ref"], [m["alt"]], line=1), None


def parse_position(text):
    """(chrom, pos) of a position-only query, or None (tried after :func:`parse_variant`)."""
    m = POSITION_RE.fullmatch(text)
    if not m or int(m["pos"]) < 1:
        return None
    return m["chrom"], int(m["pos"])


def lookup_chrom(chrom: str) -> str:
    """The lookup writes a contig without its "chr" prefix (its variant pattern drops it)."""
    return chrom[3:] if chrom.startswith("chr") and len(chrom) > 3 else chrom
