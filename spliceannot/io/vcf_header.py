"""Header fix-ups for VCF output: the IDs a header declares, and declarations made on the fly for
tags and contigs that records use but the input header lacks (as bcftools does in memory)."""

import logging
import re

log = logging.getLogger("spliceannot")

_DECLARATION = re.compile(r"^##(INFO|FORMAT|FILTER|contig)=<ID=([^,>]+)")
_INFO_KEYS = re.compile(r"(?:^|;)([^;=]+)")
_DECLARED_BY_US = 'Description="Used by records but absent from the input header; declared by spliceannot"'


# VCF 4.3 section 1.2: characters with a meaning in INFO/FORMAT are written percent-encoded;
# "|" too, as it separates the fields of a SpliceAI entry. "%" first, so it is encoded once.
_ENCODE = {"%": "%25", ":": "%3A", ";": "%3B", "=": "%3D", ",": "%2C", "\r": "%0D",
           "\n": "%0A", "\t": "%09", "|": "%7C"}
_SPECIAL = re.compile("[%:;=,\r\n\t|]")
_ENCODED = re.compile("%(25|3A|3B|3D|2C|0D|0A|09|7C)")


def encode_name(name: str) -> str:
    """A gene or transcript name made safe inside an INFO value (VCF 4.3 percent-encoding);
    ordinary names come back unchanged."""
    if not _SPECIAL.search(name):
        return name
    return _SPECIAL.sub(lambda m: _ENCODE[m.group(0)], name)


def decode_name(text: str) -> str:
    """The inverse of :func:`encode_name`."""
    if "%" not in text:
        return text
    return _ENCODED.sub(lambda m: chr(int(m.group(1), 16)), text)


def declared(header: list) -> dict:
    """The IDs a header declares: ``{"INFO": {...}, "FORMAT": ..., "FILTER": ..., "contig": ...}``."""
    out = {"INFO": set(), "FORMAT": set(), "FILTER": {"PASS"}, "contig": set()}
    for line in header:
        m = _DECLARATION.match(line)
        if m:
            out[m.group(1)].add(m.group(2))
    return out


# VCF 4.3's reserved keys keep their defined types (htslib reads END as the record's end).
_RESERVED = {"END": "Number=1,Type=Integer", "SVLEN": "Number=.,Type=Integer",
             "SVTYPE": "Number=1,Type=String", "CIPOS": "Number=2,Type=Integer",
             "CIEND": "Number=2,Type=Integer", "IMPRECISE": "Number=0,Type=Flag",
             "GT": "Number=1,Type=String"}


class HeaderFixer:
    """Declares, on the fly, INFO/FORMAT/FILTER IDs and contigs that records use and the header
    lacks, as bcftools does for its in-memory header (INFO and FORMAT as Number=.,Type=String,
    valueless INFO as a Flag), with one warning each. ``lines`` are the declarations made."""

    def __init__(self, header: list):
        self.known = declared(header)
        self.lines = []
        self._last = [None, None, None]  # CHROM, FILTER, FORMAT of the record checked last
        self._info_raw = (-1, None)  # (known INFO count, matcher of INFO columns of known keys)

    def info_matcher(self):
        """A test of an INFO column (bytes, not '.') that is true when every key is declared, so
        ``check`` has nothing to declare for it (false means "look closer"); None while no INFO
        is declared. Rebuilt when a declaration is added."""
        count, match = self._info_raw
        if count != len(self.known["INFO"]):
            keys = b"|".join(re.escape(k.encode("utf-8", "surrogateescape"))
                             for k in sorted(self.known["INFO"], key=len, reverse=True))
            item = b"(?:" + keys + b")(?:=[^;]*)?"
            match = re.compile(item + b"(?:;" + item + b")*").fullmatch if keys else None
            self._info_raw = (len(self.known["INFO"]), match)
        return match

    def check(self, fields: list, line_number) -> None:
        """``fields``: a body line split on tabs (FORMAT, if any, is ``fields[8]``'s first part).
        Columns equal to the previous record's are not looked at again."""
        known, last = self.known, self._last
        if fields[0] != last[0]:
            if fields[0] not in known["contig"]:
                self._declare("contig", fields[0], f"##contig=<ID={fields[0]}>", line_number)
            last[0] = fields[0]
        if fields[6] != last[1]:
            for value in fields[6].split(";"):
                if value not in known["FILTER"] and value != ".":
                    self._declare("FILTER", value, f"##FILTER=<ID={value},{_DECLARED_BY_US}>",
                                  line_number)
            last[1] = fields[6]
        info = fields[7]
        if info != "." and not known["INFO"].issuperset(_INFO_KEYS.findall(info)):
            for item in info.split(";"):
                key, eq, _ = item.partition("=")
                if key not in known["INFO"] and key:
                    kind = _RESERVED.get(key) or ("Number=.,Type=String" if eq
                                                  else "Number=0,Type=Flag")
                    self._declare("INFO", key, f"##INFO=<ID={key},{kind},{_DECLARED_BY_US}>",
                                  line_number)
        if len(fields) > 8:
            fmt = fields[8].split("\t", 1)[0]
            if fmt != last[2]:
                for key in fmt.split(":"):
                    if key not in known["FORMAT"] and key not in (".", ""):
                        kind = _RESERVED.get(key, "Number=.,Type=String")
                        self._declare("FORMAT", key, f"##FORMAT=<ID={key},{kind},"
                                      f"{_DECLARED_BY_US}>", line_number)
                last[2] = fmt

    def _declare(self, kind, key, line, line_number):
        self.known[kind].add(key)
        self.lines.append(line)
        if kind == "contig":
            log.warning("contig %s is not declared in the input header (first used on line %s); "
                        "the output header declares it", key, line_number)
        else:
            log.warning("%s/%s is not declared in the input header (first used on line %s); the "
                        "output header declares it as %s", kind, key, line_number,
                        line.split(",", 1)[1].split(",Description")[0])
