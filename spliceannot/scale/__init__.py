"""Beyond one process: Ray-sharded scoring (``distributed``: durable shards, retries, merges that
the writers declare) and genome-scale precompute of every SNV and small indel (``precompute``).

Both run the ordinary local pipeline (:func:`spliceannot.pipeline.score_file`) per shard, so a
sharded output equals a local run's.
"""
