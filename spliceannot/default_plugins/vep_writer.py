"""Built-in writer ``vep``: a bgzip + tabix VCF in the layout Ensembl VEP's SpliceAI plugin reads.

VEP's plugin (``--plugin SpliceAI,snv=FILE,indel=FILE``) takes each tabix hit line, strips
``SpliceAI=`` from the whole INFO column and splits it on ``|`` into ALLELE, SYMBOL and the eight
scores, then keeps the hit whose REF/ALT match the variant and whose SYMBOL equals the
transcript's gene symbol. So each line holds one ALT and one gene, INFO holds nothing but
``SpliceAI=``, and the file is sorted and indexed. Give the same file as ``snv=`` and ``indel=``.
Entries without scores (1.3.1's ``.`` for MNVs) and unscored records are left out, as in
Illumina's precomputed files.
"""

import os

from spliceannot import delta
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.writer import Writer


class VepOutput(Writer):
    name = "vep"
    description = ("VEP SpliceAI-plugin export: one ALT x gene per line, INFO only SpliceAI=, "
                   "bgzip + tabix (.vep.vcf.gz)")
    suffixes = (".vep.vcf.gz",)

    def __init__(self, path, reader, run_info):
        super().__init__(path, reader, run_info)
        if path == "-":
            raise UsageError("the vep writer makes a bgzip + tabix file; give -o NAME.vep.vcf.gz")
        self.target = run_info.get("target_name", path)
        self._order = {c: i for i, c in enumerate(reader.contigs)}
        self._lines = []  # (contig rank, pos, n, line): sorted at close, tabix needs order

    def write(self, record, plan):
        if plan.reason is not None:
            return
        v = record.variant
        rank = self._order.setdefault(v.chrom, len(self._order))
        for entry in plan.entries():
            if entry.ds is None:
                continue
            line = "\t".join([v.chrom, str(v.pos), v.id or ".", v.ref, entry.alt, ".", ".",
                              f"{delta.INFO_ID}={entry.format()}"])
            self._lines.append((rank, v.pos, len(self._lines), line))

    def header(self) -> list:
        lines = ["##fileformat=VCFv4.2",
                 f'##INFO=<ID={delta.INFO_ID},Number=.,Type=String,'
                 f'Description="{delta.info_description(bool(self.run_info.get("raw")))}">']
        lines += [f"##contig=<ID={c}>" for c in sorted(self._order, key=self._order.get)]
        lines += [f"##spliceannot_{k}={v}" for k, v in self.run_info.items() if k != "target_name"]
        lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
        return lines

    def close(self):
        import pysam

        from spliceannot.output import ByteSink, TextSink, write_error

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


@hookimpl
def register_writers(register):
    register(VepOutput)
