"""Content identity: contig MD5s as samtools dict's M5, kept by stat; file digests."""

import hashlib
import os

import pytest

from support.paths import CHR16_FASTA
from spliceannot.io import identity
from spliceannot.io.reference import Reference


def write_fasta(path, contigs: dict, width=60):
    with open(path, "w") as handle:
        for name, seq in contigs.items():
            handle.write(f">{name} description\n")
            for i in range(0, len(seq), width):
                handle.write(seq[i:i + width] + "\n")
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(identity.CACHE_ENV, str(tmp_path / "usercache"))
    return tmp_path / "usercache"


def test_md5_is_samtools_m5_of_the_uppercased_bases(tmp_path, cache):
    fa = write_fasta(tmp_path / "g.fa", {"a": "acgtNNacgt" * 7, "b": "GATTACA"})
    ref = Reference(fa)
    assert ref.md5s() == {"a": hashlib.md5(b"ACGTNNACGT" * 7).hexdigest(),
                          "b": hashlib.md5(b"GATTACA").hexdigest()}
    # bytes outside 33..126 (whitespace) never count, as in SAM's M5
    assert identity.sequence_md5(["ac g\tt", b"\r\n"]) == hashlib.md5(b"ACGT").hexdigest()
    ref.close()


def test_md5s_are_kept_beside_the_fasta_and_recomputed_when_it_changes(tmp_path, cache):
    fa = write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 50, "b": "GATTACA" * 9})
    ref = Reference(fa)
    first = ref.identity()
    assert (tmp_path / ("g.fa" + identity.STORE_SUFFIX)).exists()
    ref.close()

    fetched = []
    ref = Reference(fa)
    ref.fetch = lambda *a: fetched.append(a) or "N"  # a kept digest reads no bases
    assert ref.identity() == first and fetched == []
    ref.close()

    # One base changed, same length, mtime put back: ctime still tells.
    st = os.stat(fa)
    text = open(fa).read().replace("GATTACA", "GATTACC", 1)
    with open(fa, "r+") as handle:
        handle.write(text)
    os.utime(fa, ns=(st.st_atime_ns, st.st_mtime_ns))
    ref = Reference(fa)
    assert ref.identity() != first
    assert ref.md5s(["b"])["b"] == hashlib.md5(("GATTACC" + "GATTACA" * 8).encode()).hexdigest()
    ref.close()


def test_only_the_contigs_asked_are_hashed(tmp_path, cache):
    fa = write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 50, "b": "GATTACA" * 9})
    ref = Reference(fa)
    seen = []
    fetch = ref.fetch
    ref.fetch = lambda c, s, e: seen.append(c) or fetch(c, s, e)
    ref.md5s(["b"])
    assert seen == ["b"]
    ref.close()


def test_unwritable_folder_keeps_the_digests_in_the_user_cache(tmp_path, cache):
    fa = write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 50})
    (tmp_path / ("g.fa" + identity.STORE_SUFFIX)).mkdir()  # the beside store cannot be written
    Reference(fa).identity()
    assert len(list((cache / "identity").glob("*.json"))) == 1
    assert identity.load(fa, beside=True) != {}


def test_bgzip_fasta_has_the_plain_fastas_identity(tmp_path, cache):
    import pysam

    plain = Reference(CHR16_FASTA)
    gz = tmp_path / "g.fa.gz"
    pysam.tabix_compress(str(CHR16_FASTA), str(gz))
    packed = Reference(gz)
    assert packed.md5s() == plain.md5s() and packed.identity() == plain.identity()
    plain.close()
    packed.close()


def test_file_digest_is_kept_by_stat(tmp_path, cache):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"weights one")
    b.write_bytes(b"weights two")
    both = identity.files_digest([a, b])
    assert identity.file_sha256(a) == hashlib.sha256(b"weights one").hexdigest()
    assert identity.files_digest([b, a]) != both  # members average in order
    b.write_bytes(b"weights 2!!")
    assert identity.files_digest([a, b]) != both
