"""Built-in writer ``vep``: a bgzip + tabix VCF in the layout Ensembl VEP's SpliceAI plugin reads.

VEP's plugin (``--plugin SpliceAI,snv=FILE,indel=FILE``) takes each tabix hit line, strips
``SpliceAI=`` from the whole INFO column and splits it on ``|`` into ALLELE, SYMBOL and the eight
scores, keeps the hits whose POS, REF and ALT equal the variant's, and of those the last whose
SYMBOL is the transcript's gene symbol. So each line holds one ALT and one gene, INFO holds
nothing but ``SpliceAI=``, and the file is sorted and indexed. Give the same file as ``snv=`` and
``indel=``.

The key VEP compares (release 115, default options) is the record as VEP's VCF parser spells it,
compared as exact strings: no minimising, no left-aligning. The parser drops the first base of
REF and every ALT (POS + 1) only when the record is an indel (some ALT's length differs from
REF's) and that base is shared by REF and the ALT, or, in a multi-ALT record, by REF and *all*
ALTs (``*`` aside). Where that leaves any allele empty the plugin puts the preceding base back
on all of them, which gives the record as written. SNVs and MNVs are never changed. So:

    CT>CTT      at P  ->  T>TT at P+1       TT>TA, CTG>AAG   ->  as written at P
    TGGG>TGG    at P  ->  GGG>GG at P+1     C>CT, AGG>A      ->  as written at P
    CAG>CAGAG   at P  ->  AG>AGAG at P+1    GC>G,GCC         ->  GC>G and GC>GCC at P
    CAG>CAGAG,CA at P ->  AG>AGAG and AG>A at P+1           CA>C,TA  ->  as written at P

Each scored ALT x gene is written under that key, and under its normalized spelling too (the
ALT alone with shared trailing, then leading, bases trimmed, one anchor kept: what ``bcftools
norm -m -any`` leaves), so raw and normalized inputs both find it; one line where spellings
agree. DP are relative to each line's POS. This writer declares ``minimal_alleles``, so the run
scores every ALT as its normalized spelling with 1.3.1's rules (``CT>CTT`` gets ``C>CT``'s
scores, an MNV with a shared base its SNV's, even without --trim-alleles), and every line of the
ALT carries those scores. Where another record's own spelling is this one's key (``T>TT`` at
P+1 beside ``CT>CTT`` at P), the other's line is kept and the key line dropped, so a file holds
one value per key and VEP and --precomputed find the scores of that spelling itself (a file
merged from Ray shards can keep both when the two records fell in different shards). Entries
still without scores (a true MNV or delins without --trim-alleles) and unscored records are
left out, as in Illumina's precomputed files.

VEP's ``--minimal`` re-spells each ALT before the lookup: shared leading, then trailing, bases
trimmed (``TGGG>TGG`` is the deletion of the G at P+3), an emptied allele re-anchored on the
base before (``GG>G`` at P+2). That spelling is written too where it differs and its anchor
lies within REF, so such runs find the scores as well.
"""

import os

from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.io.variant import trim_alleles
from spliceannot.io.writer import Writer


class VepOutput(Writer):
    name = "vep"
    description = ("VEP SpliceAI-plugin export: one ALT x gene per line, INFO only SpliceAI=, "
                   "bgzip + tabix (.vep.vcf.gz)")
    suffixes = (".vep.vcf.gz",)
    mergeable = True
    minimal_alleles = True
    moves_entries = True

    def __init__(self, path, reader, run_info, target=None, output=None):
        super().__init__(path, reader, run_info, target, output)
        if path == "-":
            raise UsageError("the vep writer makes a bgzip + tabix file; give -o NAME.vep.vcf.gz")
        self._order = {c: i for i, c in enumerate(reader.contigs)}
        # (contig rank, pos, kind, n, (REF, ALT, SYMBOL), line): sorted at close, tabix needs
        # order; kind 1 is a record's own normalized spelling, 0 a key spelling only.
        self._lines = []

    def write(self, record, result):
        if result.reason is not None:
            return
        v = record.variant
        rank = self._order.setdefault(v.chrom, len(self._order))
        keys = dict(zip(v.alts, vep_keys(v.ref, v.alts)))
        output = self.output
        for entry in result.entries:
            if not output.scored(entry):
                continue
            shift, ref_len, alt = trim_alleles(v.ref, entry.alt)
            normalized = (shift, v.ref[shift:shift + ref_len].upper(), alt.upper())
            spellings = {k: 0 for k in (keys[entry.alt], minimal_key(v.ref, entry.alt)) if k}
            spellings.pop(normalized, None)
            spellings[normalized] = 1
            for (offset, ref, alt), kind in spellings.items():
                moved = entry.at(offset, alt)
                pos = v.pos + offset
                line = "\t".join([v.chrom, str(pos), v.id or ".", ref, alt, ".", ".",
                                  f"{output.info_id}={moved.info_text()}"])
                self._lines.append((rank, pos, kind, len(self._lines),
                                    (ref, alt) + output.key(entry)[1:], line))

    def header(self) -> list:
        lines = ["##fileformat=VCFv4.2",
                 f'##INFO=<ID={self.output.info_id},Number=.,Type=String,'
                 f'Description="{self.output.description}">']
        lines += [f"##contig=<ID={c}>" for c in sorted(self._order, key=self._order.get)]
        lines += [f"##spliceannot_{k}={v}" for k, v in self.run_info.items()]
        lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
        return lines

    def close(self):
        import pysam

        from spliceannot.io.output import ByteSink, TextSink, write_error

        self._lines.sort()
        own = {(rank, pos, key) for rank, pos, kind, _, key, _ in self._lines if kind}
        body = [line for rank, pos, kind, _, key, line in self._lines
                if kind or (rank, pos, key) not in own]
        handle = TextSink(ByteSink(self.path), compress=True)
        try:
            handle.write("\n".join(self.header() + body) + "\n")
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


def vep_keys(ref: str, alts: list) -> list:
    """Each ALT's (offset from POS, REF, ALT) as VEP compares it for the record as written
    (default options): the record's common first base dropped only for an indel whose REF and
    every ALT (``*`` aside) share it and where no allele is left empty; otherwise as written.
    Upper case, as VEP upper-cases the alleles it reads."""
    ref, alts = ref.upper(), [a.upper() for a in alts]
    indel = any(len(a) != len(ref) or a[:1] in ("D", "I") for a in alts)
    # A multi-ALT record ignores ``*`` alleles here; a single ALT is compared as it is.
    firsts = {a[:1] for a in [ref] + alts if "*" not in a or len(alts) == 1}
    if indel and len(firsts) == 1:
        cut = [ref[1:]] + [a if "*" in a else a[1:] for a in alts]
        if all(cut):  # an emptied allele is put back on the base before: the record as written
            return [(1, cut[0], a) for a in cut[1:]]
    return [(0, ref, a) for a in alts]


def minimal_key(ref: str, alt: str):
    """(offset, REF, ALT) of one ALT as VEP's --minimal spells it: shared leading, then
    trailing, bases trimmed; an emptied allele re-anchored on the base before, or None where
    that base is not in REF."""
    r, a, k = ref.upper(), alt.upper(), 0
    while r and a and r[0] == a[0]:
        r, a, k = r[1:], a[1:], k + 1
    while r and a and r[-1] == a[-1]:
        r, a = r[:-1], a[:-1]
    if r and a:
        return k, r, a
    if k == 0:
        return None
    anchor = ref[k - 1].upper()
    return k - 1, anchor + r, anchor + a


@hookimpl
def register_writers(register):
    register(VepOutput)
