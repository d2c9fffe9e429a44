"""The one exception of the data layer, so the command line can turn it into a single `error:` line."""


class DataError(ValueError):
    """Data that is missing, corrupt or cannot be fetched; the message is one line naming the file and the fault."""
