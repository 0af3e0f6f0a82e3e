"""Labels at exact positions on both strands, from the hand-checked toy GFF3."""

import numpy as np

from support.paths import TOY_GFF
from support.toy import toy_seq
from spliceannot.training import labels as L
from spliceannot.training.transcripts import load_genes


def genes():
    return {g.name: g for g in load_genes(TOY_GFF)}


def test_policy_coding_longest_and_evidence_ignored():
    g = genes()
    assert sorted(g) == ["geneM", "geneP", "geneU"]  # geneNC has no CDS
    assert g["geneP"].transcript == "geneP.1"  # the 3-exon transcript beats the 2-exon one
    assert len(load_genes(TOY_GFF, coding_only=False)) == 4


def test_site_positions_plus_and_minus():
    g = genes()
    assert L.site_positions(g["geneP"]) == ([61, 101], [40, 80])
    # minus strand: acceptor = first base (genomic end) of exons 2 and 3 in transcript order
    assert sorted(L.site_positions(g["geneM"])[0]) == [170, 210]
    assert sorted(L.site_positions(g["geneM"])[1]) == [191, 231]


def test_transcript_labels_exact_positions():
    g = genes()
    yp = L.transcript_labels(g["geneP"])  # index = pos - 21
    assert len(yp) == 100
    assert list(np.nonzero(yp == L.ACCEPTOR)[0]) == [61 - 21, 101 - 21]
    assert list(np.nonzero(yp == L.DONOR)[0]) == [40 - 21, 80 - 21]
    ym = L.transcript_labels(g["geneM"])  # index = 250 - pos (reverse-complemented)
    assert list(np.nonzero(ym == L.ACCEPTOR)[0]) == [250 - 210, 250 - 170]
    assert list(np.nonzero(ym == L.DONOR)[0]) == [250 - 231, 250 - 191]


def test_windows_sequence_padding_and_strand():
    g = genes()
    seq = toy_seq()
    x, y = L.gene_windows(g["geneP"], seq, window=30, context=10)
    assert x.shape == (4, 40) and y.shape == (4, 30)  # 100 nt -> 4 windows of 30
    # window 0 starts 5 nt (context/2) before tx_start=21: genomic 16..55
    assert np.array_equal(x[0], L.encode(seq[15:55]))
    # labels past the transcript end are padding; sequence past tx_end + 5 is N
    assert (y[3, 10:] == L.PAD).all() and (y[3, :10] >= 0).all()
    assert (x[3, 5 + 10 + 5:] == L.N_CODE).all()
    assert y[(y == L.ACCEPTOR)].size == 2 and y[(y == L.DONOR)].size == 2
    assert y[40 // 30, 40 % 30] == L.ACCEPTOR and y[19 // 30, 19 % 30] == L.DONOR

    xm, ym = L.gene_windows(g["geneM"], seq, window=30, context=10)
    # transcript orientation: window 0 starts 5 nt after tx_end=250, reverse-complemented
    assert np.array_equal(xm[0], L.reverse_complement(L.encode(seq[250 - 35:255])))
    assert ym[40 // 30, 40 % 30] == L.ACCEPTOR and ym[19 // 30, 19 % 30] == L.DONOR
    # a minus-strand donor's intron starts with GT on the transcript: check the toy's bases
    # match what the labels say about the position of exon/intron boundaries
    assert ym[0, 19] == L.DONOR and ym[1, 59 - 30] == L.DONOR


def test_flanks_past_contig_end_are_n():
    g = genes()["geneU"]  # chrU: 120 nt, gene 11..100, context 40 reaches past position 1
    x, _ = L.gene_windows(g, toy_seq("chrU"), window=100, context=40)
    assert (x[0, :10] == L.N_CODE).all() and x[0, 10] != L.N_CODE


def test_reverse_complement_codes():
    assert L.reverse_complement(L.encode("AACGTN")).tolist() == L.encode("NACGTT").tolist()
