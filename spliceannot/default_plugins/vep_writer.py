"""Built-in writer ``vep``: a bgzip + tabix VCF in the layout Ensembl VEP's SpliceAI plugin reads.

VEP's plugin (``--plugin SpliceAI,snv=FILE,indel=FILE``) takes each tabix hit line, strips
``SpliceAI=`` from the whole INFO column and splits it on ``|`` into ALLELE, SYMBOL and the eight
scores, then keeps the hit whose REF/ALT match the variant and whose SYMBOL equals the
transcript's gene symbol. So each line holds one ALT and one gene, INFO holds nothing but
``SpliceAI=``, and the file is sorted and indexed. Give the same file as ``snv=`` and ``indel=``.

VEP compares the variant and each line after reducing both to their minimal spelling, and fetches
lines by the position of that spelling; so each line is written minimal: shared trailing, then
leading bases trimmed, one anchor base kept (``CT>CTT`` at P is ``C>CT`` at P, ``TAG>TG`` is
``TA>T``), and DP are relative to that line's POS. This writer declares ``minimal_alleles``, so
the run scores every ALT as that spelling with 1.3.1's rules: ``CT>CTT`` gets the insertion's
scores even without --trim-alleles (1.3.1 would give the spelling as written ``.``). Entries still
without scores (a true MNV or delins without --trim-alleles) and unscored records are left out,
as in Illumina's precomputed files.
"""

import dataclasses
import os

from spliceannot import delta
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.io.writer import Writer


class VepOutput(Writer):
    name = "vep"
    description = ("VEP SpliceAI-plugin export: one ALT x gene per line, INFO only SpliceAI=, "
                   "bgzip + tabix (.vep.vcf.gz)")
    suffixes = (".vep.vcf.gz",)
    mergeable = True
    minimal_alleles = True

    def __init__(self, path, reader, run_info, target=None):
        super().__init__(path, reader, run_info, target)
        if path == "-":
            raise UsageError("the vep writer makes a bgzip + tabix file; give -o NAME.vep.vcf.gz")
        self._order = {c: i for i, c in enumerate(reader.contigs)}
        self._lines = []  # (contig rank, pos, n, line): sorted at close, tabix needs order

    def write(self, record, result):
        if result.reason is not None:
            return
        v = record.variant
        rank = self._order.setdefault(v.chrom, len(self._order))
        for entry in result.entries:
            if entry.ds is None:
                continue
            shift, ref_len, alt = delta.trim_alleles(v.ref, entry.alt)
            pos = v.pos + shift
            entry = dataclasses.replace(entry, alt=alt, dp=tuple(d - shift for d in entry.dp))
            line = "\t".join([v.chrom, str(pos), v.id or ".", v.ref[shift:shift + ref_len], alt,
                              ".", ".", f"{delta.INFO_ID}={entry.format()}"])
            self._lines.append((rank, pos, len(self._lines), line))

    def header(self) -> list:
        lines = ["##fileformat=VCFv4.2",
                 f'##INFO=<ID={delta.INFO_ID},Number=.,Type=String,'
                 f'Description="{delta.info_description(bool(self.run_info.get("raw")))}">']
        lines += [f"##contig=<ID={c}>" for c in sorted(self._order, key=self._order.get)]
        lines += [f"##spliceannot_{k}={v}" for k, v in self.run_info.items()]
        lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
        return lines

    def close(self):
        import pysam

        from spliceannot.io.output import ByteSink, TextSink, write_error

        self._lines.sort()
        handle = TextSink(ByteSink(self.path), compress=True)
        try:
            handle.write("\n".join(self.header() + [line for *_, line in self._lines]) + "\n")
        finally:
            handle.close()
        # The index is named for the final file: the pipeline renames OUT.partial to OUT.
        index = self.target + ".tbi"
        try:
            pysam.tabix_index(self.path, preset="vcf", force=True, index=index)
        except OSError as exc:
            raise write_error(exc, index) from None
        if not os.path.exists(index):  # pragma: no cover - older pysam ignore ``index``
            os.replace(self.path + ".tbi", index)

    def abort(self):
        pass  # lines are only written, sorted, at close: after a failure there is nothing to keep


    @classmethod
    def open_part(cls, part):
        import gzip

        return gzip.open(part, "rt", newline="", encoding="utf-8", errors="surrogateescape")

    @classmethod
    def merge(cls, parts, path, target):
        # Each part is sorted by (contig rank, pos, arrival) and parts are in shard order, so a
        # stable k-way merge by (rank, pos) (heapq.merge keeps equal keys in part order) gives
        # the order one writer's stable sort gives, streaming.
        import contextlib
        import heapq

        import pysam

        with contextlib.ExitStack() as stack:
            streams, header = [], None
            for part in parts:
                head, body = cls.split_part(stack.enter_context(cls.open_part(part)))
                header = header or head
                streams.append(body)
            ranks = {}
            for line in header:
                if line.startswith("##contig=<ID="):
                    ranks[line[len("##contig=<ID="):].split(",")[0].rstrip(">\n")] = len(ranks)

            def key(line):
                chrom, pos, _ = line.split("\t", 2)
                return ranks.get(chrom, len(ranks)), int(pos)

            with pysam.BGZFile(path, "w") as out:
                for line in header:
                    out.write(line.encode("utf-8", "surrogateescape"))
                for line in heapq.merge(*streams, key=key):
                    line = line if line.endswith("\n") else line + "\n"
                    out.write(line.encode("utf-8", "surrogateescape"))
        pysam.tabix_index(path, preset="vcf", force=True, index=target + ".tbi")


@hookimpl
def register_writers(register):
    register(VepOutput)
