"""``score --profile lookup``: SpliceAI-lookup's settings and its delins rule, worked out by hand.

The model here gives each position a probability from its own base alone (acceptor A .1, C .2,
G .3, T .4; donor A .4, C .3, G .2, T .1, read on the gene's strand, so a '-' gene sees the
complement), so every DS, DP and REF/ALT value below follows from the rule on paper.

The lookup's current rule (``strongest-ref``): a delins (REF and ALT of different lengths, both
longer than one base after trimming) is compared, per class, at the REF base of the span where
the REF track is strongest, holding the maximum over the ALT bases; the other REF bases keep
their REF values (no change there). An MNV pairs its bases. Its earlier rule (``first-base``,
only on request) put that maximum on the first REF base and 0 on the others, MNVs included.
"""

import json
import random

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, EXAMPLES
from support.fakes import add_models
from spliceannot import delta
from spliceannot.cli import main
from spliceannot.models import Model
from spliceannot.options import with_profile
from spliceannot.profiles import PROFILES

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
    seq[P - D - 1] = seq[P - D] = "A"  # the same for P, and for P + 1 (a spelling one base on)
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


def score_api(world, records, **options):
    """The same run through the library, for option values the command line does not offer."""
    from spliceannot.pipeline import Options, score_file

    vcf = world / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chrT,length=300>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"chrT\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\n" for pos, ref, alt in records))
    out = world / "api.jsonl"
    score_file(str(vcf), str(out), Options(reference=str(world / "g.fa"),
                                           annotation=str(world / "genes.txt"), model="per-base-test", progress=False, **options))
    rows = [json.loads(l) for l in open(out)][1:]
    return [{e["symbol"]: e for e in r["scores"]} for r in rows]


def test_profile_is_a_bundle_of_options():
    assert with_profile("lookup", {"distance": None, "mask": None}) == PROFILES["lookup"]
    assert with_profile("lookup", {"distance": 50, "mask": True})["distance"] == 50
    assert with_profile("lookup", {"distance": 50, "mask": True})["mask"] is True
    assert with_profile(None, {"distance": 50, "mask": None}) == {"distance": 50}
    s = delta.Settings(**{k: v for k, v in PROFILES["lookup"].items()})
    assert s.extras()["delins_rule"] == "strongest-ref" and s.distance == 500


def test_align_strongest_by_hand():
    """Each class picks its own strongest REF base (the first on a tie); the rest keep REF."""
    y_ref = np.array([[0, .1, .7], [0, .5, .2], [0, .5, .7], [0, .3, .1]], dtype=np.float32)
    # positions 0 and 3 are outside the span (at=1, r=2); the ALT track has 3 span bases
    y_alt = np.array([[9, .1, .7], [0, .2, .9], [0, .6, .0], [0, .4, .3], [9, .3, .1]],
                     dtype=np.float32)
    got = delta.align_strongest(y_ref, y_alt, 1, 2, 3)
    assert got.shape == (4, 3) and got.dtype == np.float32
    # acceptor: REF .5 .5 -> first (index 1) gets max(.2 .6 .4) = .6; donor: REF .2 .7 -> index 2
    # gets max(.9 .0 .3) = .9; class 0 (neither): REF 0 0 -> index 1 gets max(0 0 0)
    assert got[:, 1].tolist() == pytest.approx([.1, .6, .5, .3])
    assert got[:, 2].tolist() == pytest.approx([.7, .2, .9, .1])
    assert got[0, 0] == 9 and got[3, 0] == 9


# '+' REF acc .2 .4 .1 .3 .3 (strongest: T, +1), don .3 .1 .4 .2 .2 (strongest: A, +2);
# '-' (complement) REF acc .3 .1 .4 .2 .2 (+2), don .2 .4 .1 .3 .3 (+1). At -D an A: '+' acc .1
# don .4, '-' acc .4 don .1.
def test_delins_at_the_strongest_ref_base(world):
    """CTAGG>GGC: ALT acc max .3 and don max .3 ('-': CCG, .3 and .3) replace the strongest REF
    base of each class, so the loss is .4 - .3 there and nothing else changes."""
    (e,) = score(world, [(P, "CTAGG", "GGC")], "--profile", "lookup", "-D", str(D))
    check(e["PLUS"], [0.0, 0.1, 0.0, 0.1], [-D, 1, -D, 2],
          [0.1, 0.1, 0.4, 0.3, 0.4, 0.4, 0.4, 0.3])
    check(e["MINUS"], [0.0, 0.1, 0.0, 0.1], [-D, 2, -D, 1],
          [0.4, 0.4, 0.4, 0.3, 0.1, 0.1, 0.4, 0.3])


def test_delins_whose_alt_peak_equals_the_ref_peak(world):
    """CTAGG>AGTC: the ALT maxima (.4, .4) equal the strongest REF bases: no change anywhere,
    every DS 0 at -D (the first of equal zeros)."""
    (e,) = score(world, [(P, "CTAGG", "AGTC")], "--profile", "lookup", "-D", str(D))
    check(e["PLUS"], [0.0] * 4, [-D] * 4, [0.1, 0.1, 0.1, 0.1, 0.4, 0.4, 0.4, 0.4])
    check(e["MINUS"], [0.0] * 4, [-D] * 4, [0.4, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1])


def test_first_base_rule_on_request(world):
    """The earlier rule, asked for by name: CTAGG>GGC puts max .3 on C and zeros on TAGG."""
    (e,) = score_api(world, [(P, "CTAGG", "GGC")], distance=D, per_transcript=True,
                     trim_alleles=True, pad_ends=True, raw=True, delins_rule="first-base")
    # acc REF .2 .4 .1 .3 .3 vs ALT .3 0 0 0 0: gain .1 @0, loss .4 @1
    # don REF .3 .1 .4 .2 .2 vs ALT .3 0 0 0 0: gain 0 (first zero, -D), loss .4 @2
    check(e["PLUS"], [0.1, 0.4, 0.0, 0.4], [0, 1, -D, 2],
          [0.2, 0.3, 0.4, 0.0, 0.4, 0.4, 0.4, 0.0])
    # the same records through the lookup profile differ (see above)
    (lookup,) = score(world, [(P, "CTAGG", "GGC")], "--profile", "lookup", "-D", str(D))
    assert lookup["PLUS"]["DS_AL"] == pytest.approx(0.1) != e["PLUS"]["DS_AL"]


def test_pairing_differs_without_the_profile(world):
    """The default pairs C-A, T-G, A-T, G-C and leaves a zero on the last G: other numbers."""
    (e,) = score(world, [(P, "CTAGG", "AGTC")], "--trim-alleles", "--raw", "-D", str(D))
    # acc REF .2 .4 .1 .3 .3 vs ALT .1 .3 .4 .2 0: gain .3 @2, loss .3 @4
    assert [e["PLUS"][k] for k in ("DS_AG", "DS_AL", "DP_AG", "DP_AL")] == \
        pytest.approx([0.3, 0.3, 2, 4])


def test_longer_alt(world):
    """TG>CAA (ALT longer): '+' REF acc .4 .3, don .1 .2; ALT acc max .2 on the T (.4), don
    max .4 on the G (.2). '-' (AC vs GTT): acc .1 .2, ALT max .4 on the C; don .4 .3, ALT max
    .2 on the A."""
    (e,) = score(world, [(Q, "TG", "CAA")], "--profile", "lookup", "-D", str(D))
    check(e["PLUS"], [0.0, 0.2, 0.2, 0.0], [-D, 0, 1, -D],
          [0.1, 0.1, 0.4, 0.2, 0.2, 0.4, 0.4, 0.4])
    check(e["MINUS"], [0.2, 0.0, 0.0, 0.2], [1, -D, -D, 0],
          [0.2, 0.4, 0.4, 0.4, 0.1, 0.1, 0.4, 0.2])


def test_shared_bases_trimmed_first(world):
    """ACTAGGT>AGGCT is CTAGG>GGC one base on: the same numbers, DP counted from POS."""
    (e,) = score(world, [(P - 1, "ACTAGGT", "AGGCT")], "--profile", "lookup", "-D", str(D))
    check(e["PLUS"], [0.0, 0.1, 0.0, 0.1], [1 - D, 2, 1 - D, 3],
          [0.1, 0.1, 0.4, 0.3, 0.4, 0.4, 0.4, 0.3])
    check(e["MINUS"], [0.0, 0.1, 0.0, 0.1], [1 - D, 3, 1 - D, 2],
          [0.4, 0.4, 0.4, 0.3, 0.1, 0.1, 0.4, 0.3])


def test_simple_indels_snvs_and_mnvs_unchanged(world):
    """Only delins differ: SNVs, MNVs (bases paired), deletions and insertions score as with
    the options alone."""
    records = [(P, "C", "G"), (P, "CTA", "C"), (P, "C", "CAG"), (Q, "T", "TTTT"),
               (Q, "TG", "CC"), (P, "CTAGG", "AGTCA")]
    lookup = score(world, records, "--profile", "lookup", "-D", str(D))
    plain = score(world, records, "--per-transcript", "--trim-alleles", "--pad-ends", "--raw",
                  "-D", str(D))
    assert lookup == plain
    # TG>CC paired: '+' acc .4 .3 -> .2 .2 (loss .2 @0), don .1 .2 -> .3 .3 (gain .2 @0)
    assert [lookup[4]["PLUS"][k] for k in ("DS_AL", "DP_AL", "DS_DG", "DP_DG")] == \
        pytest.approx([0.2, 0, 0.2, 0])


def test_profile_usage_errors(world, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", str(EXAMPLES / "chr16_demo.vcf"), "-R", str(world / "g.fa"), "-A", str(world / "genes.txt"),
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
