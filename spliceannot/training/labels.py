"""Per-position splice-site labels of a transcript and its fixed-size training windows.

Labels follow SpliceAI (Jaganathan et al. 2019): 0 neither, 1 acceptor at the first base of every
exon but the first, 2 donor at the last base of every exon but the last, both counted along the
transcript (5'->3'), so for a minus-strand gene the sequence is reverse-complemented and the labels
reversed. A transcript is cut into windows of ``window`` labelled positions (5,000 in SpliceAI),
each with ``context / 2`` flanking bases on either side; the genome supplies the flanks, and past
the transcript's end (in the last window) and past contig ends the sequence is N. Labels past the
transcript end are PAD (-1) and count nowhere.
"""

import numpy as np

NEITHER, ACCEPTOR, DONOR, PAD = 0, 1, 2, -1
N_CODE = 4  # bases are stored as codes 0..3 = A, C, G, T and 4 = N
_CODES = np.full(256, N_CODE, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _CODES[ord(_b)] = _i
    _CODES[ord(_b.lower())] = _i
_COMPLEMENT = np.array([3, 2, 1, 0, N_CODE], dtype=np.uint8)


def encode(seq: str) -> np.ndarray:
    """DNA letters -> uint8 codes (anything but ACGT is N)."""
    return _CODES[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    return _COMPLEMENT[codes[..., ::-1]]


def site_positions(gene):
    """(acceptors, donors): 1-based genomic positions of the gene's annotated splice sites."""
    return gene.splice_sites()


def transcript_labels(gene) -> np.ndarray:
    """int8 labels along the transcript (5'->3'), length tx_end - tx_start + 1."""
    n = gene.tx_end - gene.tx_start + 1
    y = np.zeros(n, dtype=np.int8)
    acceptors, donors = site_positions(gene)
    for positions, label in ((acceptors, ACCEPTOR), (donors, DONOR)):
        idx = np.asarray(positions, dtype=np.int64) - gene.tx_start
        y[idx[(idx >= 0) & (idx < n)]] = label
    return y if gene.strand == "+" else y[::-1].copy()


def fetch_padded(seq: str, start0: int, end0: int) -> np.ndarray:
    """Codes of contig ``seq`` over [start0, end0), N where the range leaves the contig."""
    out = np.full(end0 - start0, N_CODE, dtype=np.uint8)
    lo, hi = max(start0, 0), min(end0, len(seq))
    if hi > lo:
        out[lo - start0:hi - start0] = encode(seq[lo:hi])
    return out


def gene_windows(gene, contig_seq: str, window: int = 5000, context: int = 10000):
    """(x, y) for one gene: x (n, window + context) uint8 codes, y (n, window) int8 labels."""
    half = context // 2
    n_tx = gene.tx_end - gene.tx_start + 1
    n_win = -(-n_tx // window)
    # genomic span [tx_start - 1 - half, tx_end + half) as SpliceAI takes it, then N up to the
    # whole number of windows (in transcript orientation, past the 3' end).
    seq = fetch_padded(contig_seq, gene.tx_start - 1 - half, gene.tx_end + half)
    if gene.strand == "-":
        seq = reverse_complement(seq)
    total = n_win * window + context
    seq = np.concatenate([seq, np.full(total - len(seq), N_CODE, dtype=np.uint8)])
    labels = np.concatenate([transcript_labels(gene),
                             np.full(n_win * window - n_tx, PAD, dtype=np.int8)])
    x = np.stack([seq[i * window:i * window + window + context] for i in range(n_win)])
    y = labels.reshape(n_win, window)
    return x, y
