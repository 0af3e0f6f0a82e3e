"""All VCF/BCF input and output, through cyvcf2 (the only module that imports it).

The rest of spliceannot sees :class:`~spliceannot.variant.Variant`; the writer gets back the opaque
``Record`` so every INFO, FORMAT and sample column passes through untouched.
"""

import os
from dataclasses import dataclass

from .errors import InputError
from .variant import Variant


@dataclass
class Record:
    raw: object  # cyvcf2.Variant
    variant: Variant


def output_mode(path: str) -> str:
    """cyvcf2/htslib write mode from the file name: .bcf, .vcf.gz/.vcf.bgz (BGZF), else plain."""
    name = path.lower()
    if name.endswith(".bcf"):
        return "wb"
    if name.endswith((".gz", ".bgz")):
        return "wz"
    return "w"


class VcfReader:
    def __init__(self, path: str):
        import cyvcf2

        if path != "-" and not os.path.exists(path):
            raise InputError(f"input VCF {path}: no such file")
        try:
            self._vcf = cyvcf2.VCF(path)
        except (OSError, Exception) as exc:  # cyvcf2 raises bare Exception on a bad header
            raise InputError(f"input VCF {path}: cannot read a VCF header ({exc})") from None
        self.path = path
        self.header_lines = len(self._vcf.raw_header.splitlines())

    @property
    def contigs(self) -> list:
        return list(self._vcf.seqnames)

    def has_info(self, info_id: str) -> bool:
        try:
            self._vcf.get_header_type(info_id)
            return True
        except KeyError:
            return False

    def add_info(self, info_id: str, number: str, type_: str, description: str) -> None:
        if not self.has_info(info_id):
            self._vcf.add_info_to_header(
                {"ID": info_id, "Number": number, "Type": type_, "Description": description})

    def add_meta(self, key: str, value: str) -> None:
        self._vcf.add_to_header(f"##{key}={value}")

    def __iter__(self):
        for n, raw in enumerate(self._vcf, 1):
            variant = Variant(raw.CHROM, raw.POS, raw.REF, list(raw.ALT), raw.ID or ".",
                              line=self.header_lines + n)
            yield Record(raw, variant)

    def close(self):
        self._vcf.close()


class VcfWriter:
    """Writes records from a :class:`VcfReader`, with the header lines added to that reader."""

    def __init__(self, path: str, reader: VcfReader, mode: str):
        import cyvcf2

        self._writer = cyvcf2.Writer(path, reader._vcf, mode=mode)

    def write(self, record: Record, info: dict) -> None:
        for key, value in info.items():
            record.raw.INFO[key] = value
        self._writer.write_record(record.raw)

    def close(self):
        self._writer.close()
