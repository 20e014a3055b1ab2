"""Who is a teacher: whoever gives the passcode the person running the server set.

The passcode comes from the environment variable ``TUTOR_TEACHER_PASSCODE`` or, when
that is not set, from ``teacher_passcode`` in ``.streamlit/secrets.toml``. With
neither (or a blank one), teacher features are off: no sign-in form, no upload, not
even for someone who knows the address. Passcodes are compared in constant time
(``hmac.compare_digest`` over their SHA-256 digests, so not even the length leaks),
and a session that guesses wrong ``MAX_ATTEMPTS`` times must wait ``LOCKOUT_SECONDS``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from typing import Mapping

ENV_VAR = "TUTOR_TEACHER_PASSCODE"
SECRET_KEY = "teacher_passcode"
MAX_ATTEMPTS = 5
LOCKOUT_SECONDS = 60.0


def configured_passcode(secrets: Mapping | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The passcode in force, or None when teacher features are off."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_VAR)
    if value is None and secrets is not None:
        try:
            value = secrets.get(SECRET_KEY)
        except Exception:  # noqa: BLE001 - no secrets.toml, or a broken one: treat as unset
            value = None
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def passcode_matches(typed: str, expected: str | None) -> bool:
    """True when ``typed`` is the passcode; always False when none is configured."""
    if not expected or not isinstance(typed, str):
        return False
    a = hashlib.sha256(typed.strip().encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b)


@dataclass
class Attempts:
    """One session's failed sign-ins, to slow down guessing."""

    failures: list[float] = field(default_factory=list)

    def wait(self, now: float | None = None) -> float:
        """Seconds before this session may try again (0 when it may now)."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self.failures if now - t < LOCKOUT_SECONDS]
        self.failures = recent
        if len(recent) < MAX_ATTEMPTS:
            return 0.0
        return max(0.0, LOCKOUT_SECONDS - (now - recent[-MAX_ATTEMPTS]))

    def failed(self, now: float | None = None) -> None:
        self.failures.append(time.monotonic() if now is None else now)
