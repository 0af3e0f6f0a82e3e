"""Built-in writer ``vcf``: the input VCF/BCF with the run's INFO field (INFO/SpliceAI by default),
its other bytes kept."""

from spliceannot.hookspecs import hookimpl
from spliceannot.io.vcf import VcfSink, output_mode
from spliceannot.io.writer import Writer


class VcfOutput(Writer):
    name = "vcf"
    description = "VCF (.vcf), BGZF VCF (.vcf.gz) or BCF (.bcf), with INFO/SpliceAI as 1.3.1 writes it"
    suffixes = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")
    resumable = True
    mergeable = True
    default_format = True  # stdout and unknown names get VCF, as 1.3.1 writes
    raw_lines = True
    raw_blocks = True

    def __init__(self, path, reader, run_info, target=None, output=None):
        super().__init__(path, reader, run_info, target, output)
        reader.add_info(output.info_id, ".", "String", output.description)
        for key, value in run_info.items():
            reader.add_meta(f"spliceannot_{key}", str(value))
        self._out = VcfSink(path, reader, output_mode(self.target))

    def write(self, record, result):
        entries = result.entries if result.reason is None else []
        info = {self.output.info_id: ",".join(e.info_text() for e in entries)} if entries else {}
        self._out.write(record, info)

    @classmethod
    def completed(cls, path):
        from spliceannot.io.resume import completed_records

        return completed_records(path)

    def write_raw(self, batch):
        self._out.write_raw(batch)

    def write_done(self, line):
        self._out.write_line(line)

    def can_write(self, record):
        return self._out.can_write(record)

    @classmethod
    def can_merge(cls, target):
        # Text parts concatenate; BGZF parts are re-compressed as one file. BCF is binary.
        return output_mode(target) in ("w", "wz")

    @classmethod
    def open_part(cls, part):
        from spliceannot.io.files import open_text

        return open_text(part, newline="", errors="surrogateescape")

    @classmethod
    def merge(cls, parts, path, target):
        if output_mode(target) != "wz":
            return super().merge(parts, path, target)
        import pysam

        with pysam.BGZFile(path, "w") as out:
            for line in cls.merged_lines(parts):
                out.write(line.encode("utf-8", "surrogateescape"))

    def close(self):
        self._out.close()

    def abort(self):
        self._out.close(complete=False)


@hookimpl
def register_writers(register):
    register(VcfOutput)
