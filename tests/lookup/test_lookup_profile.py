"""``score --profile lookup``: SpliceAI-lookup's settings and its delins rule, worked out by hand.

The model here gives each position a probability from its own base alone (acceptor A .1, C .2,
G .3, T .4; donor A .4, C .3, G .2, T .1, read on the gene's strand, so a '-' gene sees the
complement), so every DS, DP and REF/ALT value below follows from the rule on paper:
a delins (REF and ALT both longer than one base after trimming) puts the per-class maximum over
its ALT bases on the first REF base and 0 on the other REF bases.
"""

import json
import random

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from support.fakes import add_models
from spliceannot import delta
from spliceannot.cli import main
from spliceannot.models import Model
from spliceannot.profiles import PROFILES, expand

ACC = {"A": 0.1, "C": 0.2, "G": 0.3, "T": 0.4}
DON = {"A": 0.4, "C": 0.3, "G": 0.2, "T": 0.1}
D = 5
P = 150  # CTAGG at 150-154, flanked by A at 149 and T at 155
Q = 220  # TG at 220-221


class BaseModel(Model):
    name = "per-base-test"
    context = 10

    def predict(self, x):
        half = self.context // 2
        core = x[:, half:x.shape[1] - half, :]  # (B, n, 4) one-hot ACGT
        acc = core @ np.array([ACC[b] for b in "ACGT"], dtype=np.float32)
        don = core @ np.array([DON[b] for b in "ACGT"], dtype=np.float32)
        return np.stack([1 - acc - don, acc, don], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lookup")
    rng = random.Random(7)
    seq = [rng.choice("ACGT") for _ in range(300)]
    seq[P - 2:P + 5] = "ACTAGGT"  # 1-based 149..155
    seq[Q - 1:Q + 1] = "TG"
    seq[Q - D - 1] = "A"  # where a DS of 0 points (the first of equal zeros, -D)
    (tmp / "g.fa").write_text(">chrT\n" + "".join(seq) + "\n")
    (tmp / "genes.txt").write_text(
        "#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n"
        "PLUS\tchrT\t+\t0\t300\t0,250\t100,300\n"
        "MINUS\tchrT\t-\t0\t300\t0,250\t100,300\n")
    remove = add_models(BaseModel())
    yield tmp
    remove()


def score(world, records, *extra):
    vcf = world / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chrT,length=300>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"chrT\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\n" for pos, ref, alt in records))
    out = world / "out.jsonl"
    try:
        main(["score", str(vcf), "-o", str(out), "-R", str(world / "g.fa"), "-A",
              str(world / "genes.txt"), "--model", "per-base-test", "-q", *extra])
    except SystemExit as exc:
        assert not exc.code
    rows = [json.loads(l) for l in open(out)][1:]
    return [{e["symbol"]: e for e in r["scores"]} for r in rows]


def check(entry, ds, dp, raw):
    got_ds = [entry[k] for k in delta.FIELDS[2:6]]
    assert got_ds == pytest.approx(ds, abs=1e-6)
    assert [entry[k] for k in delta.FIELDS[6:]] == dp
    assert [entry[k] for k in delta.RAW_FIELDS] == pytest.approx(raw, abs=1e-6)


def test_profile_is_a_bundle_of_options():
    assert expand("lookup", {"distance": None, "mask": None}) == PROFILES["lookup"]
    assert expand("lookup", {"distance": 50, "mask": True})["distance"] == 50
    assert expand("lookup", {"distance": 50, "mask": True})["mask"] is True
    assert expand(None, {"distance": 50, "mask": None}) == {"distance": 50}
    s = delta.Settings(**{k: v for k, v in PROFILES["lookup"].items()})
    assert s.extras()["delins_rule"] == "collapse" and s.distance == 500


def test_delins_collapsed_both_strands(world):
    """CTAGG>AGTC (REF longer) on a '+' and a '-' gene."""
    (e,) = score(world, [(P, "CTAGG", "AGTC")], "--profile", "lookup", "-D", str(D))
    # '+': REF acc .2 .4 .1 .3 .3, ALT acc max(.1 .3 .4 .2) = .4 -> [.4 0 0 0 0]
    #      REF don .3 .1 .4 .2 .2, ALT don max(.4 .2 .1 .3) = .4 -> [.4 0 0 0 0]
    check(e["PLUS"], [0.2, 0.4, 0.1, 0.4], [0, 1, 0, 2],
          [0.2, 0.4, 0.4, 0.0, 0.3, 0.4, 0.4, 0.0])
    # '-' (complement): REF acc .3 .1 .4 .2 .2, ALT acc max(.4 .2 .1 .3) = .4
    #                   REF don .2 .4 .1 .3 .3, ALT don max(.1 .3 .4 .2) = .4
    check(e["MINUS"], [0.1, 0.4, 0.2, 0.4], [0, 2, 0, 1],
          [0.3, 0.4, 0.4, 0.0, 0.2, 0.4, 0.4, 0.0])


def test_pairing_differs_without_the_profile(world):
    """Today's rule pairs C-A, T-G, A-T, G-C and leaves a zero on the last G: other numbers."""
    (e,) = score(world, [(P, "CTAGG", "AGTC")], "--trim-alleles", "--raw", "-D", str(D))
    # acc REF .2 .4 .1 .3 .3 vs ALT .1 .3 .4 .2 0: gain .3 @2, loss .3 @4
    assert [e["PLUS"][k] for k in ("DS_AG", "DS_AL", "DP_AG", "DP_AL")] == \
        pytest.approx([0.3, 0.3, 2, 4])


def test_longer_alt_and_mnv(world):
    """TG>CAA (ALT longer) and TG>CA (same length) collapse alike onto the T."""
    ins, mnv = score(world, [(Q, "TG", "CAA"), (Q, "TG", "CA")], "--profile", "lookup",
                     "-D", str(D))
    # '+': REF acc .4 .3; ALT acc max(.2 .1 .1) = .2 -> gains all <= 0: DS 0 at the first
    #      zero, -D; loss [.2 .3] -> .3 @1. REF don .1 .2; ALT don max(.3 .4 .4) = .4:
    #      gain [.3 -.2] -> .3 @0; loss [-.3 .2] -> .2 @1. At -D an A: acc .1 in both.
    check(ins["PLUS"], [0.0, 0.3, 0.3, 0.2], [-D, 1, 0, 1],
          [0.1, 0.1, 0.3, 0.0, 0.1, 0.4, 0.2, 0.0])
    check(mnv["PLUS"], [0.0, 0.3, 0.3, 0.2], [-D, 1, 0, 1],
          [0.1, 0.1, 0.3, 0.0, 0.1, 0.4, 0.2, 0.0])
    # '-' (complement): REF acc .1 .2; ALT (G T T) acc max(.3 .4 .4) = .4: gain [.3 -.2] .3 @0,
    #      loss [-.3 .2] .2 @1. REF don .4 .3; ALT don max(.2 .1 .1) = .2: gain 0 @-D,
    #      loss [.2 .3] .3 @1. MNV ALT (G T): acc max .4, don max .2: the same. At -D an A
    #      (read as T): don .1 in both.
    for e in (ins["MINUS"], mnv["MINUS"]):
        check(e, [0.3, 0.2, 0.0, 0.3], [0, 1, -D, 1],
              [0.1, 0.4, 0.2, 0.0, 0.1, 0.1, 0.3, 0.0])


def test_shared_bases_trimmed_first(world):
    """ACTAGGT>AAGTCT is CTAGG>AGTC one base on: the same numbers, DP counted from POS."""
    (e,) = score(world, [(P - 1, "ACTAGGT", "AAGTCT")], "--profile", "lookup", "-D", str(D))
    check(e["PLUS"], [0.2, 0.4, 0.1, 0.4], [1, 2, 1, 3],
          [0.2, 0.4, 0.4, 0.0, 0.3, 0.4, 0.4, 0.0])
    check(e["MINUS"], [0.1, 0.4, 0.2, 0.4], [1, 3, 1, 2],
          [0.3, 0.4, 0.4, 0.0, 0.2, 0.4, 0.4, 0.0])


def test_simple_indels_and_snvs_unchanged(world):
    """Only delins differ: SNVs, deletions and insertions score as with the options alone."""
    records = [(P, "C", "G"), (P, "CTA", "C"), (P, "C", "CAG"), (Q, "T", "TTTT")]
    lookup = score(world, records, "--profile", "lookup", "-D", str(D))
    plain = score(world, records, "--per-transcript", "--trim-alleles", "--pad-ends", "--raw",
                  "-D", str(D))
    assert lookup == plain


def test_profile_usage_errors(world, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", "x.vcf", "-R", str(world / "g.fa"), "-A", str(world / "genes.txt"),
              "--profile", "nope"])
    assert exc.value.code == 2
    assert "--profile 'nope'" in capsys.readouterr().err


def test_fast_engine_equals_delta_on_trimmed_alleles(tmp_path):
    """Spellings with shared bases at both ends (the engine must split the trimmed windows),
    both strands, with and without the profile: the fast engine writes what 'delta' writes."""
    from spliceannot import registry
    from spliceannot.plugins import get_plugin_manager, load_plugins_dir

    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])
    records = []
    for pos in (60_000, 96_200, 100_700, 150_000):  # '+', '+', '-', '-' genes
        ref = seq[pos - 1:pos + 2]
        records += [(pos, ref, ref[0] + "GAA" + ref[2]), (pos, ref, ref[0] + ref[2]),
                    (pos, ref, "TT" + ref[1:] if ref[0] != "T" else "AA" + ref[1:])]
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for p, r, a in records))
    names = load_plugins_dir(DATA / "plugins")
    try:
        for extra in (["--trim-alleles"], ["--profile", "lookup", "-D", "50"]):
            out = {}
            for scorer in ("delta", "fast"):
                path = tmp_path / f"{scorer}.vcf"
                try:
                    main(["score", str(vcf), "-o", str(path), "-R", str(CHR16_FASTA), "-A",
                          str(CHR16_TABLE), "--model", "tiny-dir", "--scorer", scorer, "-q",
                          *extra])
                except SystemExit as exc:
                    assert not exc.code
                out[scorer] = [l for l in open(path) if not l.startswith("##")]
            assert out["fast"] == out["delta"]
            assert all("SpliceAI=" in l for l in out["fast"][1:])
    finally:
        for name in names:
            get_plugin_manager().unregister(name=name)
        registry.reset()
