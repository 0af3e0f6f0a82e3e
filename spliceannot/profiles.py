"""Named bundles of scoring options (``score --profile NAME``): a profile only sets options.

``lookup`` reproduces the numbers of the SpliceAI-lookup service (Broad Institute; its API and
scoring are described in its README and public server code): -D 500, no mask unless -M 1 is
given, every transcript with one entry each, bases shared by REF and ALT trimmed, windows past a
contig end N-padded, REF and ALT probabilities at each DP, and its one rule of its own: a
delins (REF and ALT of different lengths, both longer than one base after trimming) is compared
at its strongest REF base, per class, the other REF bases left unchanged
(``delta.align_strongest``), as the lookup's scoring code does since it stopped collapsing every
delins and MNV onto the first REF base. That earlier rule stays available only on request, as
``delins_rule="first-base"`` (``delta.align_first_base``). The profile is also the default of
``spliceannot serve``.
"""

from .errors import UsageError

PROFILES = {
    "lookup": {"distance": 500, "mask": False, "per_transcript": True, "trim_alleles": True,
               "pad_ends": True, "raw": True, "delins_rule": "strongest-ref"},
}
# Options a user may still set beside a profile; the profile's other options are fixed.
OVERRIDABLE = ("distance", "mask")


def expand(name, given: dict) -> dict:
    """The options of profile ``name`` (None: none), with the user's ``given`` ones (None = not
    given) taking precedence where OVERRIDABLE; ``given`` values are returned unchanged
    otherwise."""
    out = {k: v for k, v in given.items() if v is not None}
    if name is None:
        return out
    if name not in PROFILES:
        raise UsageError(f"--profile {name!r}: choose one of {', '.join(PROFILES)}")
    for key, value in PROFILES[name].items():
        if key in OVERRIDABLE and out.get(key) is not None:
            continue
        out[key] = value
    return out
