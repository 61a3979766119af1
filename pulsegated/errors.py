"""Exceptions shown to users."""


class UsageError(Exception):
    """Bad command-line or API input; the message is shown to the user as one line."""
