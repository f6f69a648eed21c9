"""The one exception type the command line turns into a clear message and a non-zero exit."""


class InputError(Exception):
    """Bad user input: the message names the file, row or column and what to do."""
