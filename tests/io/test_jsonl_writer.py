"""The JSON-lines writer: a settings line, then one object per input record with transcript IDs."""

import json

from support.paths import CHR16_FASTA, CHR16_GTF, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot.pipeline import Options, score_file


def test_one_object_per_record(tmp_path):
    out = tmp_path / "out.jsonl"
    undo = add_models(BaseCountModel())
    try:
        score_file(str(GOLDEN / "chr16_variants.vcf"), str(out),
                   Options(reference=str(CHR16_FASTA), annotation=str(CHR16_GTF),
                           model=BaseCountModel.name, transcripts="all"))
    finally:
        undo()
    lines = [json.loads(l) for l in open(out)]
    run, rows = lines[0]["spliceannot"], lines[1:]
    assert run["model"] == BaseCountModel.name and run["distance"] == 50
    n_records = sum(1 for l in open(GOLDEN / "chr16_variants.vcf") if not l.startswith("#"))
    assert len(rows) == n_records
    scored = [r for r in rows if r["status"] == "scored"]
    assert scored and all(r["reason"] for r in rows if r["status"] == "unscored")
    entry = next(e for r in scored for e in r["scores"] if e.get("scored", True))
    assert entry["transcript"].startswith(("NM_", "NR_")) and set(entry) >= {"DS_AG", "DP_DL"}
    mnv = [e for r in scored for e in r["scores"] if e.get("scored") is False]
    assert mnv and all("DS_AG" not in e for e in mnv)  # 1.3.1 leaves MNVs unscored
