"""The VEP-ready export: parsed with the rules of Ensembl VEP's SpliceAI plugin, found by tabix."""

import re

import pysam
import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot import registry
from spliceannot.errors import UsageError
from spliceannot.pipeline import Options, score_file


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vep")
    # The chr16 GTF with gene symbols added, so SYMBOL is a symbol as VEP matches it.
    gtf = tmp / "chr16_symbols.gtf"
    with open(CHR16_GTF) as src, open(gtf, "w") as dst:
        for line in src:
            tid = re.search(r'transcript_id "([^"]+)"', line).group(1)
            dst.write(line.rstrip("\n").rstrip() + f' gene_name "SYM{tid[3:]}";\n')
    # Input in reverse order: the export must sort for tabix.
    lines = open(GOLDEN / "chr16_variants.vcf").readlines()
    head = [l for l in lines if l.startswith("#")]
    body = [l for l in lines if not l.startswith("#")]
    vcf = tmp / "reversed.vcf"
    vcf.write_text("".join(head + body[::-1]))
    undo = add_models(BaseCountModel())
    runs = {}
    for name in ("out.vcf", "out.vep.vcf.gz"):
        out = tmp / name
        score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(gtf),
                                               model=BaseCountModel.name, transcripts="all"))
        runs[name] = out
    undo()
    yield runs, gtf
    undo()


def vep_parse(line):
    """What VEP's SpliceAI plugin takes from one line (its parse_data, re-stated)."""
    chrom, pos, _id, ref, alt, _q, _f, info = line.rstrip("\n").split("\t")
    info = info.replace("SpliceAI=", "", 1)
    allele, gene, rest = info.split("|", 2)
    return {"chrom": chrom, "pos": int(pos), "ref": ref, "alt": alt, "allele": allele,
            "gene": gene, "values": rest.split("|")}


def test_lines_follow_the_vep_plugin_rules(setup):
    runs, gtf = setup
    genes = registry.load_annotation(str(gtf), transcripts="all")
    body = [l for l in pysam.BGZFile(str(runs["out.vep.vcf.gz"])).read().decode().splitlines()
            if not l.startswith("#")]
    assert body
    for line in body:
        fields = line.split("\t")
        assert len(fields) == 8 and re.fullmatch(r"SpliceAI=[^;,=]+", fields[7]), line
        hit = vep_parse(line)
        assert hit["allele"] == hit["alt"] and "," not in hit["alt"]
        assert len(hit["values"]) == 8 and all(v != "." for v in hit["values"])
        assert all(0 <= float(v) <= 1 for v in hit["values"][:4])
        symbols = {g.name for g in genes.overlapping(hit["chrom"], hit["pos"])}
        assert hit["gene"] in symbols and hit["gene"].startswith("SYM")


def test_export_holds_every_scored_entry_of_the_vcf(setup):
    runs, _ = setup
    want = set()
    for line in open(runs["out.vcf"]):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        for kv in f[7].split(";"):
            if kv.startswith("SpliceAI="):
                for entry in kv[9:].split(","):
                    if entry.split("|")[2] != ".":
                        want.add((f[0], int(f[1]), f[3], entry))
    got = set()
    with pysam.TabixFile(str(runs["out.vep.vcf.gz"])) as tbx:
        for chrom, pos, ref, entry in sorted(want):
            hits = [vep_parse(l) for l in tbx.fetch(chrom, pos - 1, pos)]
            for h in hits:
                if h["pos"] == pos and h["ref"] == ref:
                    got.add((chrom, pos, ref, "|".join([h["allele"], h["gene"]] + h["values"])))
    assert len(want) > 100 and got == want


def test_header_records_run_and_hashes(setup):
    runs, _ = setup
    with pysam.VariantFile(str(runs["out.vep.vcf.gz"])) as f:
        meta = {r.key: r.value for r in f.header.records if r.key.startswith("spliceannot_")}
        assert "SpliceAI" in f.header.info
    assert meta["spliceannot_model"] == BaseCountModel.name
    assert meta["spliceannot_model_hash"].startswith("sha256:")
    assert meta["spliceannot_annotation_hash"].startswith("sha256:")
    assert meta["spliceannot_transcripts"] == "all"
    text = open(runs["out.vcf"]).read()
    for key in ("version", "model_hash", "annotation", "annotation_hash", "reference_hash",
                "distance", "mask"):
        assert f"##spliceannot_{key}=" in text


def test_stdout_is_refused(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    undo = add_models(BaseCountModel())
    try:
        with pytest.raises(UsageError, match="vep writer"):
            score_file(str(vcf), "-", Options(reference=str(CHR16_FASTA), format="vep",
                                              annotation=str(CHR16_GTF), model=BaseCountModel.name))
    finally:
        undo()


@pytest.mark.parametrize("trim", [False, True])
def test_lines_are_minimal_so_vep_finds_them(tmp_path, trim):
    """VEP looks a variant up by its minimal spelling (one anchor base). Records spelled with
    extra shared bases are exported in that spelling, with the scores 1.3.1 gives a normalized
    VCF, with or without --trim-alleles."""
    from spliceannot.io.reference import Reference

    ref = Reference(str(CHR16_FASTA))

    def s(pos, n=1):
        return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()

    def other(b):
        return "A" if b != "A" else "C"

    head = ("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    # (as spelled, as VEP looks it up)
    pairs = [((97430, s(97430, 2), s(97430, 2) + s(97431)), (97430, s(97430), s(97430, 2))),
             ((97460, s(97460, 3), s(97460, 2)), (97461, s(97461, 2), s(97461))),
             ((97440, s(97440, 2), other(s(97440)) + s(97441)), (97440, s(97440), other(s(97440)))),
             ((97450, s(97450), s(97450) + "GT"), (97450, s(97450), s(97450) + "GT"))]
    if s(97460, 3)[2] != s(97460, 3)[1]:  # AGG>AG trims only when the last bases repeat
        pairs[1] = ((97460, s(97460, 3), s(97460) + s(97462)),
                    (97460, s(97460, 2), s(97460)))
    ref.close()
    spelled, minimal = tmp_path / "spelled.vcf", tmp_path / "minimal.vcf"
    spelled.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for (p, r, a), _ in pairs))
    minimal.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for _, (p, r, a) in pairs))
    undo = add_models(BaseCountModel())
    try:
        opts = dict(reference=str(CHR16_FASTA), annotation=str(CHR16_GTF),
                    model=BaseCountModel.name)
        export = tmp_path / "out.vep.vcf.gz"
        score_file(str(spelled), str(export), Options(trim_alleles=trim, **opts))
        direct = tmp_path / "normalized.vcf"
        score_file(str(minimal), str(direct), Options(**opts))  # 1.3.1 on the normalized VCF
    finally:
        undo()
    want = {}
    for line in open(direct):
        if not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            want[(int(f[1]), f[3], f[4])] = f[7].split("SpliceAI=")[1].split(",")
    with pysam.TabixFile(str(export)) as tbx:
        for _, (pos, r, a) in pairs:
            hits = [vep_parse(l) for l in tbx.fetch("chr16", pos - 1, pos)]
            found = ["|".join([h["allele"], h["gene"]] + h["values"]) for h in hits
                     if (h["pos"], h["ref"], h["alt"]) == (pos, r, a)]
            assert found == want[(pos, r, a)], (pos, r, a)


# ---- the keys VEP looks lines up by -----------------------------------------------------------

@pytest.mark.parametrize("ref, alts, keys, minimal", [
    # repeats: VEP drops the shared first base only, no further minimising
    ("CT", ["CTT"], [(1, "T", "TT")], [(1, "T", "TT")]),
    ("AGG", ["AG"], [(1, "GG", "G")], [(1, "GG", "G")]),
    ("TGGG", ["TGG"], [(1, "GGG", "GG")], [(2, "GG", "G")]),
    ("CAG", ["CAGAG"], [(1, "AG", "AGAG")], [(2, "G", "GAG")]),
    # multi-ALT: the base shared by REF and every ALT; an emptied allele gives the record back
    ("GC", ["G", "GCC"], [(0, "GC", "G"), (0, "GC", "GCC")], [(0, "GC", "G"), (1, "C", "CC")]),
    ("CAG", ["CAGAG", "CA"], [(1, "AG", "AGAG"), (1, "AG", "A")],
     [(2, "G", "GAG"), (1, "AG", "A")]),
    ("CA", ["C", "TA"], [(0, "CA", "C"), (0, "CA", "TA")], [(0, "CA", "C"), (0, "C", "T")]),
    ("A", ["C", "G"], [(0, "A", "C"), (0, "A", "G")], [(0, "A", "C"), (0, "A", "G")]),
    # MNVs stay as written (not even a shared base goes)
    ("TT", ["TA"], [(0, "TT", "TA")], [(1, "T", "A")]),
    ("CTG", ["AAG"], [(0, "CTG", "AAG")], [(0, "CT", "AA")]),
    # anchored indels: as written
    ("C", ["CT"], [(0, "C", "CT")], [(0, "C", "CT")]),
    ("AGG", ["A"], [(0, "AGG", "A")], [(0, "AGG", "A")]),
    # delins
    ("CTG", ["CA"], [(1, "TG", "A")], [(1, "TG", "A")]),
    ("CTG", ["AGT"], [(0, "CTG", "AGT")], [(0, "CTG", "AGT")]),
    ("ATG", ["CA"], [(0, "ATG", "CA")], [(0, "ATG", "CA")]),
    # '*' makes TT>TA,* an indel record and takes no part in the shared base; VEP upper-cases
    ("TT", ["TA", "*"], [(1, "T", "A"), (1, "T", "*")], None),
    ("ct", ["ctt"], [(1, "T", "TT")], [(1, "T", "TT")]),
])
def test_vep_keys_worked_by_hand(ref, alts, keys, minimal):
    from spliceannot.default_plugins.vep_writer import minimal_key, vep_keys

    assert vep_keys(ref, alts) == keys
    if minimal is not None:
        assert [minimal_key(ref, a) for a in alts] == minimal


def test_minimal_key_needs_its_anchor_inside_ref():
    from spliceannot.default_plugins.vep_writer import minimal_key

    assert minimal_key("AT", "T") is None  # re-anchoring would need the base before POS


def emulate_vep(tbx, prev_base, chrom, pos, ref, alts, minimal=False):
    """What Ensembl VEP 115 + its SpliceAI plugin attach to each ALT of one input VCF record:
    {gene symbol: the line's SYMBOL|DS|DP fields} per ALT. Re-stated from the Perl:

    VCF parser (Parser/VCF.pm): end = POS + len(REF) - 1; an indel record (an ALT of another
    length) whose REF and ALT (multi-ALT: REF and all ALTs but '*') share the first base loses
    it, POS + 1, an emptied allele written '-'; alleles are upper-cased (Parser.pm validate_vf).
    --minimal: each ALT then trimmed leading-first, then trailing (trim_sequences).
    Plugin (SpliceAI.pm run): tabix fetch over [min(start, end), max(start, end)]; when the
    allele string holds '-' the key is to_VCF_record's (start - 1, base before + REF, base before
    + ALT), else (min(start, end), REF, ALT); a line matches on exact POS, REF and ALT; per gene
    the last match wins. Returns {gene: (the matched line's POS, its fields after SYMBOL)}."""
    start, end = pos, pos + len(ref) - 1
    ref, alts = ref.upper(), [a.upper() for a in alts]
    indel = any(a[0] in "DI" or len(a) != len(ref) for a in alts)
    if len(alts) > 1:
        if indel and len({a[0] for a in [ref] + alts if "*" not in a}) == 1:
            ref, start = ref[1:] or "-", start + 1
            alts = [a if "*" in a else a[1:] or "-" for a in alts]
    elif indel and ref[0] == alts[0][0]:
        ref, alts, start = ref[1:] or "-", [alts[0][1:] or "-"], start + 1
    variants = [(start, end, ref, a) for a in alts]
    if minimal:
        trimmed = []
        for s, e, r, a in variants:
            while r and a and r[0] == a[0]:
                r, a, s = r[1:], a[1:], s + 1
            while r and a and r[-1] == a[-1]:
                r, a, e = r[:-1], a[:-1], e - 1
            trimmed.append((s, e, r or "-", a or "-"))
        variants = trimmed
    out = []
    for s, e, r, a in variants:
        lo, hi = min(s, e), max(s, e)
        if "-" in r + a:
            key = (s - 1, prev_base(s - 1) + r.strip("-"), prev_base(s - 1) + a.strip("-"))
        else:
            key = (lo, r, a)
        found = {}
        for line in tbx.fetch(chrom, lo - 1, hi):
            hit = vep_parse(line)
            if (hit["pos"], hit["ref"], hit["alt"]) == key:
                found[hit["gene"]] = (hit["pos"], hit["values"])
        out.append(found)
    return out


def _shapes(s, other):
    """(name, condition on the bases at p, (REF, ALTs) at p): every shape VEP keys apart."""
    return [
        ("CT>CTT in a run", lambda p: s(p) != s(p + 1) == s(p + 2),
         lambda p: (s(p, 2), [s(p, 2) + s(p + 1)])),
        ("AGG>AG in a run", lambda p: s(p) != s(p + 1) == s(p + 2),
         lambda p: (s(p, 3), [s(p, 2)])),
        ("TGGG>TGG in a run", lambda p: s(p) != s(p + 1) == s(p + 2) == s(p + 3),
         lambda p: (s(p, 4), [s(p, 3)])),
        ("CAG>CAGAG in a dinucleotide repeat",
         lambda p: s(p + 1, 2) == s(p + 3, 2) and s(p + 1) != s(p + 2) and s(p) != s(p + 2),
         lambda p: (s(p, 3), [s(p, 3) + s(p + 1, 2)])),
        ("GC>G,GCC", lambda p: s(p) != s(p + 1) == s(p + 2),
         lambda p: (s(p, 2), [s(p), s(p, 2) + s(p + 1)])),
        ("CAG>CAGAG,CA", lambda p: s(p + 1, 2) == s(p + 3, 2) and s(p + 1) != s(p + 2),
         lambda p: (s(p, 3), [s(p, 3) + s(p + 1, 2), s(p, 2)])),
        ("CA>C,TA", lambda p: s(p) != s(p + 1),
         lambda p: (s(p, 2), [s(p), other(s(p)) + s(p + 1)])),
        ("A>C,G", lambda p: True,
         lambda p: (s(p), [other(s(p)), "G" if s(p) not in "AG" else "T"])),
        ("TT>TA", lambda p: True, lambda p: (s(p, 2), [s(p) + other(s(p + 1))])),
        ("CTG>AAG", lambda p: True,
         lambda p: (s(p, 3), [other(s(p)) + other(s(p + 1)) + s(p + 2)])),
        ("CTG>CA delins", lambda p: other(s(p + 1)) != s(p + 2),
         lambda p: (s(p, 3), [s(p) + other(s(p + 1))])),
        ("CTG>AGT delins", lambda p: True, lambda p: (s(p, 3), [other(s(p)) + "GT"])),
        ("C>CAGGT", lambda p: True, lambda p: (s(p), [s(p) + "AGGT"])),
        ("AGG>A", lambda p: True, lambda p: (s(p, 3), [s(p)])),
        ("C>A", lambda p: True, lambda p: (s(p), [other(s(p))])),
    ]


def _normalize(pos, ref, alt):
    """bcftools norm -m -any's spelling of one ALT: shared trailing, then leading, bases
    trimmed, one anchor kept."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


@pytest.fixture(scope="module")
def shapes_vcf(tmp_path_factory):
    from spliceannot.io.reference import Reference

    ref = Reference(str(CHR16_FASTA))

    def s(pos, n=1):
        return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()

    def other(b):
        return "A" if b != "A" else "C"

    records, p = [], 97310  # inside the plus-strand gene the other tests use
    for name, fits, build in _shapes(s, other):
        while not fits(p):
            p += 1
        records.append((p, *build(p), name))
        p += 12  # apart, so no two records share a key
    tmp = tmp_path_factory.mktemp("shapes")
    head = ("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    raw = tmp / "raw.vcf"
    raw.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{','.join(a)}\t.\t.\t.\n"
                                  for p, r, a, _ in records))
    normalized = sorted({_normalize(p, r, alt) for p, r, alts, _ in records for alt in alts})
    norm = tmp / "normalized.vcf"
    norm.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for p, r, a in normalized))
    yield records, raw, norm, normalized, lambda pos: s(pos)
    ref.close()


@pytest.mark.parametrize("trim", [False, True])
def test_vep_finds_every_scored_alt_of_raw_and_normalized_records(shapes_vcf, tmp_path, trim):
    """Every scored ALT x gene of a VCF with every shape (repeats, multi-ALT, MNVs, delins) gets
    a value in (emulated) VEP, read as written, as bcftools norm writes it and with --minimal:
    the scores 1.3.1 gives the normalized ALT, DP relative to the line VEP matched."""
    records, raw, norm, normalized, prev_base = shapes_vcf
    undo = add_models(BaseCountModel())
    try:
        opts = dict(reference=str(CHR16_FASTA), annotation=str(CHR16_GTF),
                    model=BaseCountModel.name, trim_alleles=trim)
        export = tmp_path / "out.vep.vcf.gz"
        score_file(str(raw), str(export), Options(**opts))
        direct = tmp_path / "normalized.vcf"
        score_file(str(norm), str(direct), Options(**opts))  # 1.3.1 on the normalized VCF
    finally:
        undo()
    want = {}  # (pos, REF, ALT) of the normalized ALT -> {gene: fields}
    for line in open(direct):
        if not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            entries = [e.split("|") for e in f[7].split("SpliceAI=")[1].split(",")]
            want[(int(f[1]), f[3], f[4])] = {e[1]: e[2:] for e in entries if e[2] != "."}
    assert sum(map(len, want.values())) >= 15

    def shifted(fields, by):  # DP are relative to the matched line's POS
        return fields[:4] + [str(int(d) - by) for d in fields[4:]]

    checked = 0
    with pysam.TabixFile(str(export)) as tbx:
        for pos, ref, alts, name in records:
            for minimal in (False, True):
                got = emulate_vep(tbx, prev_base, "chr16", pos, ref, alts, minimal)
                for alt, found in zip(alts, got):
                    npos, nref, nalt = _normalize(pos, ref, alt)
                    expect = want[(npos, nref, nalt)]
                    assert set(found) == set(expect), (name, alt, minimal)
                    for gene, fields in expect.items():
                        at, values = found[gene]
                        assert values == shifted(fields, at - npos), (name, alt, minimal, gene)
                        checked += 1
        for pos, ref, alt in normalized:  # a normalized input finds the same values, unshifted
            (found,) = emulate_vep(tbx, prev_base, "chr16", pos, ref, [alt])
            assert found == {g: (pos, f) for g, f in want[(pos, ref, alt)].items()}, (pos, ref, alt)
    assert checked >= 2 * 15


def test_lines_are_keyed_as_worked_by_hand(shapes_vcf, tmp_path):
    """A few lines checked base by base: CT>CTT at P is T>TT at P+1 (and C>CT at P), DP one
    less at P+1; TT>TA stays at P and is also T>A at P+1, both with the SNV's scores."""
    records, raw, *_ = shapes_vcf
    undo = add_models(BaseCountModel())
    try:
        export = tmp_path / "out.vep.vcf.gz"
        score_file(str(raw), str(export), Options(reference=str(CHR16_FASTA),
                                                  annotation=str(CHR16_GTF),
                                                  model=BaseCountModel.name))
    finally:
        undo()
    lines = [vep_parse(l) for l in pysam.BGZFile(str(export)).read().decode().splitlines()
             if not l.startswith("#")]
    by = {}
    for h in lines:
        by.setdefault((h["pos"], h["ref"], h["alt"]), []).append(h)
    named = {name: (p, r, a) for p, r, a, name in records}

    p, r, (a,) = named["CT>CTT in a run"]
    key, norm = by[(p + 1, r[1], r[1] * 2)], by[(p, r[0], r[:2])]
    assert [h["gene"] for h in key] == [h["gene"] for h in norm]
    for k, n in zip(key, norm):
        assert k["values"][:4] == n["values"][:4]
        assert [int(d) for d in k["values"][4:]] == [int(d) - 1 for d in n["values"][4:]]

    p, r, (a,) = named["TGGG>TGG in a run"]
    assert (p + 1, r[1:], a[1:]) in by and (p, r[:2], r[0]) in by and (p + 2, r[2:], a[2:]) in by

    p, r, (a,) = named["TT>TA"]
    key, snv = by[(p, r, a)], by[(p + 1, r[1], a[1])]
    for k, n in zip(key, snv):
        assert k["values"][:4] == n["values"][:4]
        assert [int(d) for d in k["values"][4:]] == [int(d) + 1 for d in n["values"][4:]]

    p, r, alts = named["GC>G,GCC"]  # multi-ALT with an emptied allele: as written
    assert (p, r, alts[0]) in by and (p, r, alts[1]) in by and (p, r[0], alts[1][:2]) in by

    p, r, (a,) = named["CTG>AAG"]  # a true MNV is unscored without --trim-alleles: no line
    assert (p, r, a) not in by and (p, r[:2], a[:2]) not in by


def test_a_records_own_spelling_wins_over_anothers_key(shapes_vcf, tmp_path):
    """CT>CTT at P is keyed T>TT at P+1; a record T>TT at P+1 in the same input is scored as
    itself: its own line stays and the other's key line goes, so VEP and --precomputed find
    its own scores at that key."""
    records, _, _, _, prev_base = shapes_vcf
    p, r, (a,), _ = next(rec for rec in records if rec[3] == "CT>CTT in a run")
    vcf = tmp_path / "both.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   f"chr16\t{p}\tx\t{r}\t{a}\t.\t.\t.\n"
                   f"chr16\t{p + 1}\tw\t{r[1]}\t{r[1] * 2}\t.\t.\t.\n")
    undo = add_models(BaseCountModel())
    try:
        opts = dict(reference=str(CHR16_FASTA), annotation=str(CHR16_GTF),
                    model=BaseCountModel.name)
        export, plain = tmp_path / "out.vep.vcf.gz", tmp_path / "out.vcf"
        score_file(str(vcf), str(export), Options(**opts))
        score_file(str(vcf), str(plain), Options(**opts))
    finally:
        undo()
    own = [l.rstrip("\n").split("\t")[7].split("SpliceAI=")[1] for l in open(plain)
           if l.startswith("chr16") and "\tw\t" in l][0]
    gene, values = own.split("|")[1], own.split("|")[2:]
    body = [vep_parse(l) for l in pysam.BGZFile(str(export)).read().decode().splitlines()
            if not l.startswith("#")]
    at = [h["values"] for h in body if (h["pos"], h["ref"], h["alt"]) == (p + 1, r[1], r[1] * 2)]
    assert at == [values]
    x = [h["values"] for h in body if (h["pos"], h["ref"], h["alt"]) == (p, r[0], r[:2])]
    # x's scores, at P+1, would have been another value under the same key
    assert len(x) == 1 and x[0][:4] + [str(int(d) - 1) for d in x[0][4:]] != values
    with pysam.TabixFile(str(export)) as tbx:
        (found,) = emulate_vep(tbx, prev_base, "chr16", p + 1, r[1], [r[1] * 2])
    assert found[gene] == (p + 1, values)
