"""Exceptions the tutor raises on purpose; each one carries a message fit for a user."""


class TutorError(Exception):
    """Base class: an error whose message can be shown to a user as it is."""


class CorpusError(TutorError):
    """The corpus folder is missing, or holds no readable document."""


class IndexDamaged(TutorError):
    """The index on disk is missing, incomplete, from another format, or inconsistent."""
