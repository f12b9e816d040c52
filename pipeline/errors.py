"""Named exceptions: library code raises these, the CLI turns them into one line and exit 2."""


class LowcarbonError(Exception):
    """A user error: bad input, bad option, bad model. The message is shown as is."""


class ReadError(LowcarbonError):
    """An input file or folder could not be read."""


class CorpusError(LowcarbonError):
    """A labelled corpus is malformed (unknown themes, empty text, conflicting labels...)."""


class ModelError(LowcarbonError):
    """A model file is missing, tampered with or not trusted."""


class OutputError(LowcarbonError):
    """An output path cannot be written (exists without --force, unknown suffix...)."""
