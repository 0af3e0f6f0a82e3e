"""Property-based: random records of every kind never crash a run, lose a record or change scores.

With --skip-malformed, records out + malformed lines = records in, in input order, and the
``fast`` engine writes exactly what the ``delta`` reference path writes. A seeded random 80 nt
SpliceNet keeps each example fast; the long run is benchmarks/fuzz.py.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from support.fuzzing import random_vcf
from spliceannot import registry
from spliceannot.plugins import get_plugin_manager, load_plugins_dir
from spliceannot.pipeline import MALFORMED, Options, score_file

SEQ = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])


@pytest.fixture(scope="module", autouse=True)
def tiny_model():
    names = load_plugins_dir(DATA / "plugins")
    yield
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


def ids(path):
    return [l.split("\t")[2] for l in open(path) if not l.startswith("#")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40))
def test_random_records(tmp_path_factory, seed, n):
    tmp = tmp_path_factory.mktemp("fuzz")
    vcf = tmp / "in.vcf"
    vcf.write_text(random_vcf(random.Random(seed), SEQ, n))
    outputs = {}
    for scorer in ("delta", "fast"):
        out = tmp / f"{scorer}.vcf"
        opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
                       scorer=scorer, skip_malformed=True, chunk_size=7, progress=False)
        summary = score_file(str(vcf), str(out), opts)
        assert summary.records_in == n
        assert summary.records_out + summary.unscored.get(MALFORMED, 0) == n
        written = ids(out)
        assert written == sorted(written, key=lambda i: int(i[1:]))  # input order
        outputs[scorer] = [l for l in open(out) if not l.startswith("##spliceannot_scorer")]
        assert not any("|nan" in l.lower() or "|inf" in l.lower() for l in outputs[scorer])
    assert outputs["delta"] == outputs["fast"]
