"""What the tests share beyond fixtures, imported as ``support.*`` (``tests/`` is on pytest's
``pythonpath``): the bundled data's paths, fake models, the VCF fuzzer, the training toy."""
