"""Domain errors. The CLI turns each into a one-line message and an exit code; nothing else does."""


class SpliceannotError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(SpliceannotError):
    """Bad command-line input (missing file, conflicting options)."""

    exit_code = 2


class ArgumentError(UsageError, ValueError):
    """A Python API argument with a wrong value; also a ``ValueError`` for notebook code."""


class ArgumentTypeError(UsageError, TypeError):
    """A Python API argument of a wrong type; also a ``TypeError`` for notebook code."""


class UnknownName(UsageError):
    """A model, annotation source, scorer or writer name that no plugin registered."""


class PluginError(SpliceannotError):
    """A plugin misbehaved while registering or loading."""

    exit_code = 3


class MissingDependency(SpliceannotError):
    """An optional package (such as ``spliceai`` for the original weights) is not installed."""

    exit_code = 4


class InputError(SpliceannotError):
    """An input file cannot be read at all (unreadable VCF, FASTA without index, bad table)."""

    exit_code = 5


class ModelFileError(SpliceannotError):
    """A model file is missing, malformed or of an unsupported layout."""

    exit_code = 6


class OutputError(SpliceannotError):
    """The output cannot be written (disk full, file size limit, closed pipe, failed rename)."""

    exit_code = 7


# Every exit status the command line uses, in one place: the ``--help`` epilog, the README's
# table and tests/cli/test_newcomer.py are all checked against it.
EXIT_CODES = {
    0: "success (records that could not be scored pass through and are counted)",
    1: "any other error (including a failed Ray shard)",
    UsageError.exit_code: "usage: a bad option, a missing or clashing file name, an unknown name",
    PluginError.exit_code: "a plugin failed to load or register",
    MissingDependency.exit_code: "an optional package is missing (spliceai weights, pyBigWig, ray, ...)",
    InputError.exit_code: "an input cannot be read (malformed or truncated VCF, FASTA without index)",
    ModelFileError.exit_code: "a model file or directory is missing or malformed",
    OutputError.exit_code: "an output cannot be written (disk full, closed pipe, failed rename)",
    130: "interrupted (Ctrl-C); the partial output is kept for --resume",
}
