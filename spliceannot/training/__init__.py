"""Training subsystem: create-data -> train -> transfer -> calibrate -> evaluate.

Modules: ``transcripts`` (annotation -> one transcript per gene), ``labels`` (per-position labels
and windows), ``dataset`` (HDF5 layout, create-data), ``schedule``, ``loss``, ``trainer`` (the one
training loop), ``transfer`` (initial weights from SpliceAI, a checkpoint or OpenSpliceAI),
``calibration`` (temperature scaling), ``evaluation`` (top-k accuracy, PR-AUC), ``reporting``
(progress bars, tables, PNGs), ``cached`` and ``fast_transfer`` (transfer on cached frozen
features), ``species`` and ``model_card`` (genome -> evaluated model in one run), ``package`` and
``wheel_backend`` (a model as a pip-installable plugin). The produced models are
:mod:`spliceannot.models.checkpoint` directories.
"""
