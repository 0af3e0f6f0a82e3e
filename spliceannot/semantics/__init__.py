"""Model families' semantics: how a family plans a record into tasks and finishes the model's
tracks into entries (SpliceAI 1.3.1's in :mod:`spliceannot.semantics.spliceai`; plugins bring
their own, such as Pangolin's). The data they hand on is generic (:mod:`spliceannot.records`)."""
