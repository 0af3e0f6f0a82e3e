"""spliceannot backend for Pangolin (Zeng & Li, Genome Biology 2022), scored as Pangolin 1.0.2's CLI.

``spliceannot score IN.vcf -R FA -A GTF --model pangolin -D d -M 1`` writes the ``INFO/Pangolin``
that ``pangolin IN.vcf FA DB OUT -d d -m True`` writes (DB made from GTF by Pangolin's
``create_db.py``); ``-M 0`` is ``-m False``. The weights (GPL-3.0, not bundled) are set up once
with ``spliceannot pangolin install-weights DIR`` (or given as ``--model DIR``).

The package, as the data flows: :mod:`.weights` (where the weight files are and how each is read),
:mod:`.model` (the 12 networks as one backend), :mod:`.genes` (the ``pangolin-genes`` annotation
source), :mod:`.semantics` (Pangolin's plan and finish), :mod:`.scorer` (them around the core's
runners), :mod:`.cli` (``spliceannot pangolin``) and :mod:`.hooks` (registration only). This
module re-exports the hooks, so the entry point ``pangolin = "spliceannot_pangolin"`` registers
them; importing it loads no torch.
"""

from .hooks import (register_annotation_sources, register_commands, register_models,  # noqa: F401
                    register_options, register_scorers)
