"""Run Pangolin's own CLI (``pangolin.pangolin:main``) under PyVCF3, for the golden outputs.

Pangolin 1.0.2 was written against PyVCF 0.6.8, whose INFO header tuple has six fields; PyVCF3
adds a seventh (``type_code``). This launcher supplies it when Pangolin builds its INFO line and
changes nothing else. Usage: ``python run_pangolin.py IN.vcf FA DB OUT_PREFIX -d D -m True``.
"""

import sys

import vcf.parser

_info = vcf.parser._Info


def _info_with_type_code(*fields):
    if len(fields) == 6:
        return _info(*fields, vcf.parser._encode_type(fields[2]))
    return _info(*fields)


vcf.parser._Info = _info_with_type_code

if __name__ == "__main__":
    from pangolin.pangolin import main

    sys.argv = ["pangolin"] + sys.argv[1:]
    main()
