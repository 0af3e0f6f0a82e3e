"""Built-in writer ``vcf``: the input VCF/BCF with SpliceAI's INFO field, its other bytes kept."""

from spliceannot import delta
from spliceannot.hookspecs import hookimpl
from spliceannot.vcf import VcfWriter, output_mode
from spliceannot.writer import Writer


class VcfOutput(Writer):
    name = "vcf"
    description = "VCF (.vcf), BGZF VCF (.vcf.gz) or BCF (.bcf), with INFO/SpliceAI as 1.3.1 writes it"
    suffixes = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")

    def __init__(self, path, reader, run_info):
        super().__init__(path, reader, run_info)
        reader.add_info(delta.INFO_ID, ".", "String",
                        delta.info_description(raw=bool(run_info.get("raw"))))
        for key, value in run_info.items():
            if key != "target_name":
                reader.add_meta(f"spliceannot_{key}", str(value))
        target = run_info.get("target_name", path)
        self._out = VcfWriter(path, reader, output_mode(target))

    def write(self, record, plan):
        entries = plan.entries() if plan.reason is None else []
        info = {delta.INFO_ID: ",".join(e.format() for e in entries)} if entries else {}
        self._out.write(record, info)

    def write_done(self, line):
        self._out.write_line(line)

    def can_write(self, record):
        return self._out.can_write(record)

    def close(self):
        self._out.close()

    def abort(self):
        self._out.close(complete=False)


@hookimpl
def register_writers(register):
    register(VcfOutput)
