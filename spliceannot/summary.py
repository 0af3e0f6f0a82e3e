"""Run accounting: records in and out, scored, and every unscored record or ALT counted by reason."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Summary:
    records_in: int = 0
    records_out: int = 0
    scored: int = 0  # records with at least one SpliceAI entry
    entries: int = 0  # ALT x gene entries written
    unscored: Counter = field(default_factory=Counter)  # record-level reasons
    alt_skips: Counter = field(default_factory=Counter)  # ALT-level reasons
    resumed: int = 0  # records taken over from an interrupted run's partial output
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)  # the scorer's breakdown (Scorer.timings)

    def add(self, result) -> None:
        """Count one record's :class:`~spliceannot.records.Result`."""
        self.records_in += 1
        if result.reason is None:
            self.scored += 1
            self.entries += len(result.entries)
        else:
            self.unscored[result.reason] += 1
        for _, reason in result.alt_skips:
            self.alt_skips[reason] += 1

    def counts(self) -> dict:
        """The counts alone (what --resume saves and restores)."""
        return {"records_in": self.records_in, "records_out": self.records_out,
                "scored": self.scored, "entries": self.entries, "resumed": self.resumed,
                "unscored": dict(self.unscored), "alt_skips": dict(self.alt_skips)}

    @classmethod
    def from_counts(cls, counts: dict) -> "Summary":
        return cls(records_in=counts["records_in"], records_out=counts["records_out"],
                   scored=counts["scored"], entries=counts["entries"],
                   unscored=Counter(counts["unscored"]), alt_skips=Counter(counts["alt_skips"]),
                   resumed=counts.get("resumed", 0))
    def add_passed(self, n: int, reason: str) -> None:
        """Count ``n`` records written as read, each unscored for ``reason`` (no ALT skips)."""
        self.records_in += n
        self.records_out += n
        self.unscored[reason] += n

    def lines(self) -> list:
        rate = self.records_in / self.seconds if self.seconds > 0 else 0.0
        out = [f"records read: {self.records_in}", f"records written: {self.records_out}",
               f"records scored: {self.scored} ({self.entries} ALT x gene entries)"]
        out += [f"records unscored ({reason}): {n}" for reason, n in sorted(self.unscored.items())]
        out += [f"ALTs skipped ({reason}): {n}" for reason, n in sorted(self.alt_skips.items())]
        if self.resumed:
            out.append(f"records resumed from the partial output: {self.resumed}")
        out.append(f"time: {self.seconds:.1f} s ({rate:.2f} records/s)")
        seconds = {k: v for k, v in self.timings.items() if k.endswith("seconds")}
        if seconds:
            counts = ", ".join(f"{k}: {v}" for k, v in self.timings.items() if k not in seconds)
            out.append("model time: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
                       + (f" ({counts})" if counts else ""))
        return out

    def to_dict(self) -> dict:
        return {"records_in": self.records_in, "records_out": self.records_out,
                "scored": self.scored, "entries": self.entries, "resumed": self.resumed,
                "unscored": dict(self.unscored), "alt_skips": dict(self.alt_skips),
                "seconds": round(self.seconds, 3),
                "timings": {k: round(v, 3) for k, v in self.timings.items()}}
