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
``spliceannot serve``. What a profile sets is part of each option's
declaration.
"""

from collections.abc import Mapping

from . import options


class _Profiles(Mapping):
    """Profile name -> the options it sets, read from the option declarations when asked (each
    declaration says what a profile sets it to, ``Option(profiles={"lookup": 500})``)."""

    def __getitem__(self, name):
        if name not in options.profile_names():
            raise KeyError(name)
        return options.profile(name)

    def __iter__(self):
        return iter(options.profile_names())

    def __len__(self):
        return len(options.profile_names())


PROFILES = _Profiles()
