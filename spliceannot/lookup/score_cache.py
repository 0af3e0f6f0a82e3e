"""A persistent cache of computed scores, one SQLite file per (model, annotation, genome, settings).

The file name is a digest of the model hash, the annotation hash, the reference digest and every
option that changes scores, as the header records them (see :mod:`spliceannot.lookup.provenance`
and :meth:`spliceannot.options.Settings.record`), so a cached score is reused
only where recomputing it would give the same result. Only scored records are kept; each row
holds the record's entries and ALT skips as JSON, floats at full precision.
"""

import contextlib
import hashlib
import json
import pathlib
import sqlite3

from ..records import Result
from ..semantics.spliceai import DeltaScore
from ..errors import InputError

SCHEMA = 2  # the row layout: entries carry their transcript
ROWS = 200  # keys per query (4 variables each; SQLite's limit is 32766 since 3.32, 999 before)


def cache_key(model_hash, annotation_hash, reference_hash, settings) -> str:
    parts = {"schema": SCHEMA, "model": model_hash, "annotation": annotation_hash,
             "reference": reference_hash, **settings.record()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


class ScoreCache:
    def __init__(self, directory, key: str):
        directory = pathlib.Path(directory) / "scores"
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{key}.sqlite"
        self._db = None
        with self._guard():
            self._db = sqlite3.connect(self.path)
            self._db.execute("CREATE TABLE IF NOT EXISTS scores (chrom TEXT, pos INTEGER, "
                             "ref TEXT, alts TEXT, body TEXT, PRIMARY KEY (chrom, pos, ref, alts))")
            self._db.execute("SELECT chrom, pos, ref, alts, body FROM scores LIMIT 1").fetchall()

    @contextlib.contextmanager
    def _guard(self):
        """A damaged or foreign database file is one line naming it, not a traceback."""
        try:
            yield
        except sqlite3.DatabaseError as exc:  # also OperationalError: locked, wrong columns
            if self._db is not None:
                self._db.close()
                self._db = None
            raise InputError(f"--score-cache: {self.path} is not a usable score cache ({exc}); "
                             f"delete it to start it afresh") from None

    @staticmethod
    def _key(v):
        return (v.chrom, v.pos, v.ref.upper(), ",".join(a.upper() for a in v.alts))

    def get(self, variant):
        return self.get_many([variant])[0]

    def get_many(self, variants: list) -> list:
        """One Result or None per variant, a chunk in one query per ``ROWS`` keys (the primary
        key's index answers each), not one query per record."""
        keys = [self._key(v) for v in variants]
        rows = {}
        with self._guard():
            for at in range(0, len(keys), ROWS):
                part = keys[at:at + ROWS]
                sql = ("SELECT chrom, pos, ref, alts, body FROM scores WHERE (chrom, pos, ref, "
                       "alts) IN (VALUES " + ",".join(["(?, ?, ?, ?)"] * len(part)) + ")")
                for chrom, pos, ref, alts, body in self._db.execute(
                        sql, [x for key in part for x in key]):
                    rows[(chrom, pos, ref, alts)] = body
        return [self._result(v, rows.get(key)) for v, key in zip(variants, keys)]

    @staticmethod
    def _result(variant, row):
        if row is None:
            return None
        try:
            body = json.loads(row)
            result = Result(variant, alt_skips=[tuple(s) for s in body["skips"]])
            for alt, gene, ds, dp, raw, transcript in body["entries"]:
                result.entries.append(DeltaScore(
                    alt, gene, tuple(ds) if ds is not None else None,
                    tuple(dp) if dp is not None else None,
                    tuple(raw) if raw is not None else None, transcript))
        except (TypeError, ValueError, KeyError):
            return None  # a row this version cannot read is a miss: recomputed and replaced
        return result

    def put(self, variant, result) -> None:
        if result.reason is not None:
            return
        entries = [[e.alt, e.gene, e.ds, e.dp, e.raw, e.transcript] for e in result.entries]
        body = json.dumps({"entries": entries, "skips": result.alt_skips})
        with self._guard():
            self._db.execute("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?)",
                             self._key(variant) + (body,))

    def commit(self):
        with self._guard():
            self._db.commit()

    def close(self):
        if self._db is None:
            return
        try:
            self._db.commit()
        finally:
            self._db.close()
            self._db = None
