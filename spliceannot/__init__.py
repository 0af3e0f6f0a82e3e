"""spliceannot: SpliceAI-family splice delta scores for VCFs, on a pluggy plugin host."""

__version__ = "0.1.0"
