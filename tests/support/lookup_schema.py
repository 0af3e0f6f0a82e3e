"""What SpliceAI-lookup's page (its ``index.html``) reads from the API, as data, and a checker.

Listed from reading the page's source and its server (``google_cloud_run_services/server.py``);
nothing of either is copied. Each field names the types the page can take there: ``"str"`` where
the page calls string methods on it (``g_id.split``, ``t_type.replace``, ``t_priority
.startsWith``, ``escapeHtml``), ``"int"`` where it does arithmetic or compares numbers (``pos``,
``DP_*``, ``EXON_STARTS``), ``"numstr"`` for the 2/3-decimal score strings it ``parseFloat``-s,
``None`` where the lookup itself sends null. ``ABSENT`` fields must not be there (the lookup
leaves them out and the page reads their absence).
"""

import re

NUMSTR = re.compile(r"-?[0-9]+\.[0-9]+")

# ---- routes, query parameters, status codes ------------------------------------------------------

ROUTES = {
    "/{tool}/": {"methods": ("GET",),
                 "params": ("hg", "bc", "distance", "mask", "variant", "raw",
                            "variant_consequence")},
    "/{tool}/?position": {"methods": ("GET",),  # a bare chrom-pos variant: REF-only
                          "params": ("hg", "bc", "distance", "variant", "raw")},
    "/{tool}/scores/": {"methods": ("GET",),
                        "params": ("hg", "bc", "distance", "mask", "variant", "raw",
                                   "variant_consequence", "transcript")},
}
TOOLS = ("spliceai", "pangolin")
# The page treats 2xx as success and shows ``error`` otherwise; the lookup's server answers:
STATUS = {
    "scored": 200,
    "unscorable variant (error body)": 200,
    "unparseable variant": 400,
    "missing hg": 400,
    "bad distance / mask / bc": 400,
    "the other gene set (self-hosted instance)": 400,
    "transcript missing from /scores/": 400,
}
HEADERS = {"access-control-allow-origin": "*"}

# ---- answers -------------------------------------------------------------------------------------

TRANSCRIPT = {
    "g_name": "str", "g_id": "str", "t_id": "str", "t_type": "str",
    "t_strand": ("+", "-"), "t_priority": ("MS", "MP", "C", "N"),
    "t_refseq_ids": ("list[str]", None),
    "EXON_STARTS": "list[int]", "EXON_ENDS": "list[int]",
    "CDS_START": ("int", None), "CDS_END": ("int", None),
}
SCORE = {
    "spliceai": {
        **{f"DS_{k}": "numstr" for k in ("AG", "AL", "DG", "DL")},
        **{f"DP_{k}": "int" for k in ("AG", "AL", "DG", "DL")},
        **{f"DS_{k}_{s}": "numstr" for k in ("AG", "AL", "DG", "DL") for s in ("REF", "ALT")},
        "SCORES_FOR_INSERTED_BASES": "list[inserted]",
        "nNonZeroScores": "int",
        **TRANSCRIPT,
    },
    "pangolin": {
        "DS_SL": "numstr", "DS_SG": "numstr", "DP_SL": "int", "DP_SG": "int",
        "SL_REF": "numstr", "SL_ALT": "numstr", "SG_REF": "numstr", "SG_ALT": "numstr",
        "nNonZeroScores": "int",
        **TRANSCRIPT,
    },
}
POSITION_SCORE = {
    "spliceai": {"RA_MAX": "numstr", "RA_MAX_POS": "int", "RD_MAX": "numstr",
                 "RD_MAX_POS": "int", **TRANSCRIPT},
    "pangolin": {"S_REF": "numstr", "DP_S": "int", **TRANSCRIPT},
}
ROW = {
    "spliceai": {"pos": "int", "ref": "str", "alt": "str", "RA": "numstr", "AA": "numstr",
                 "RD": "numstr", "AD": "numstr"},
    "pangolin": {"pos": "int", "ref": "str", "alt": "str", "SL_REF": "numstr",
                 "SL_ALT": "numstr", "SG_REF": "numstr", "SG_ALT": "numstr"},
}
POSITION_ROW = {"spliceai": {"pos": "int", "RA": "numstr", "RD": "numstr"},
                "pangolin": {"pos": "int"}}
INSERTED = {"chrom": "str", "pos": ("str", "int"), "ref": "str", "alt": "str", "RA": "numstr",
            "RD": "numstr", "AA": "numstr", "AD": "numstr"}
THRESHOLD = {"spliceai": 0.01, "pangolin": 0.1}  # the rows allNonZeroScores keeps

TOP = {
    "variant": "str", "genomeVersion": "str", "chrom": "str", "pos": "int", "ref": "str",
    "alt": "str", "distance": "int", "mask": "int", "scores": "list[score]", "source": "str",
    "allNonZeroScores": ("list[row]", None), "allNonZeroScoresStrand": ("+", "-", None),
    "allNonZeroScoresTranscriptId": ("str", None),
}
TOP_EXTRA = {"spliceai": {"sai10kPredictions": ("dict", None),
                          "sai10kPredictionsError": ("str", None)},
             "pangolin": {}}
POSITION_TOP = {
    "variant": "str", "genomeVersion": "str", "chrom": "str", "pos": "int", "distance": "int",
    "scores": "list[score]", "source": "str", "isPositionOnly": (True,),
    "allNonZeroScores": ("list[row]", None), "allNonZeroScoresStrand": ("+", "-", None),
    "allNonZeroScoresTranscriptId": ("str", None),
}
POSITION_ABSENT = ("ref", "alt", "mask")
SCORE_ABSENT = ("ALL_NON_ZERO_SCORES", "NAME", "ALLELE", "STRAND")
PER_POSITION = {"transcript": "str", "strand": ("+", "-"), "rows": "list[row]"}
ERROR = {"error": "str"}


# ---- the checker ---------------------------------------------------------------------------------

def _ok(value, kind, tool, position) -> bool:
    if isinstance(kind, tuple):
        return any(_ok(value, k, tool, position) if isinstance(k, str) and k in _KINDS
                   else value == k and type(value) is type(k) for k in kind)
    return _KINDS[kind](value, tool, position)


def _list_of(check):
    return lambda v, tool, position: isinstance(v, list) and all(
        check(x, tool, position) for x in v)


_KINDS = {
    "str": lambda v, *_: isinstance(v, str),
    "int": lambda v, *_: isinstance(v, int) and not isinstance(v, bool),
    "numstr": lambda v, *_: isinstance(v, str) and bool(NUMSTR.fullmatch(v)),
    "dict": lambda v, *_: isinstance(v, dict),
}
_KINDS["list[str]"] = _list_of(_KINDS["str"])
_KINDS["list[int]"] = _list_of(_KINDS["int"])
_KINDS["list[inserted]"] = _list_of(_KINDS["dict"])  # each row checked against INSERTED


def problems(obj, spec: dict, tool: str, position: bool = False, where: str = "") -> list:
    """Every way ``obj`` departs from ``spec`` (missing field, wrong type)."""
    out = []
    if not isinstance(obj, dict):
        return [f"{where or 'answer'}: not an object"]
    for name, kind in spec.items():
        if name not in obj:
            out.append(f"{where}{name}: missing")
        elif kind == "list[score]":
            if not isinstance(obj[name], list):
                out.append(f"{where}{name}: not a list")
                continue
            sub = (POSITION_SCORE if position else SCORE)[tool]
            for i, s in enumerate(obj[name]):
                out += problems(s, sub, tool, position, f"{where}{name}[{i}].")
                out += [f"{where}{name}[{i}].{a}: present" for a in SCORE_ABSENT if a in s]
                if not position and tool == "spliceai":
                    for j, r in enumerate(s.get("SCORES_FOR_INSERTED_BASES") or []):
                        out += problems(r, INSERTED, tool, position, f"{where}{name}[{i}].SFIB[{j}].")
        elif kind == "list[row]" or (isinstance(kind, tuple) and "list[row]" in kind):
            if obj[name] is None and isinstance(kind, tuple) and None in kind:
                continue
            out += _rows(obj[name], tool, position, f"{where}{name}")
        elif not _ok(obj[name], kind, tool, position):
            out.append(f"{where}{name}: {obj[name]!r} is not {kind}")
    return out


def _rows(rows, tool, position, where) -> list:
    if not isinstance(rows, list):
        return [f"{where}: not a list"]
    spec = (POSITION_ROW if position else ROW)[tool]
    out = []
    for i, r in enumerate(rows):
        out += problems(r, spec, tool, position, f"{where}[{i}].")
    return out


def check_answer(answer: dict, tool: str, position: bool = False) -> list:
    """Problems of a scored main-route answer (variant or position-only)."""
    if position:
        out = problems(answer, POSITION_TOP, tool, True)
        out += [f"{a}: present in a position-only answer" for a in POSITION_ABSENT if a in answer]
        return out
    out = problems(answer, {**TOP, **TOP_EXTRA[tool]}, tool)
    for i, r in enumerate(answer.get("allNonZeroScores") or []):
        if max(float(r[k]) for k in ROW[tool] if k not in ("pos", "ref", "alt")) < THRESHOLD[tool]:
            out.append(f"allNonZeroScores[{i}]: every score under {THRESHOLD[tool]}")
    return out


def check_per_position(answer: dict, tool: str) -> list:
    return problems(answer, PER_POSITION, tool)
