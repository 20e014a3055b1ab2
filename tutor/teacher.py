"""Who is a teacher: whoever gives the passcode the person running the server set.

The passcode comes from the environment variable ``TUTOR_TEACHER_PASSCODE`` or, when
that is not set, from ``teacher_passcode`` in ``.streamlit/secrets.toml``. With
neither (or a blank one), teacher features are off: no sign-in form, no upload, not
even for someone who knows the address. Passcodes are compared in constant time
(``hmac.compare_digest`` over their SHA-256 digests, so not even the length leaks),
and wrong guesses are slowed down by the server, per client address and overall
(``SignInGuard``), and listed for the teacher.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Mapping

ENV_VAR = "TUTOR_TEACHER_PASSCODE"
SECRET_KEY = "teacher_passcode"
MAX_ATTEMPTS = 5  # wrong passcodes from one client address before it must wait
OVERALL_ATTEMPTS = 20  # wrong passcodes from all addresses together before everyone must wait
LOCKOUT_SECONDS = 60.0  # the first wait; it doubles with each further wrong passcode
MAX_LOCKOUT_SECONDS = 3600.0
FORGET_SECONDS = 3600.0  # a wrong passcode older than this no longer counts
KEEP_FAILURES = 50  # failed sign-ins listed for the teacher
OVERALL = "*"


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
class Failure:
    """A wrong passcode: when (wall clock, for the teacher to read) and from where."""

    at: float
    client: str


class SignInGuard:
    """Failed sign-ins, kept by the server so that no reload or new tab resets them.

    One guard serves every session of a server process. A client address that has
    guessed wrong ``MAX_ATTEMPTS`` times within ``FORGET_SECONDS`` waits
    ``LOCKOUT_SECONDS`` after its last wrong guess, twice as long after each further
    one (at most ``MAX_LOCKOUT_SECONDS``); all clients together are held to
    ``OVERALL_ATTEMPTS`` the same way, so changing address does not help either. A
    right passcode, given when allowed, forgets that client's failures. The last
    ``KEEP_FAILURES`` failures are kept for the teacher to see.
    """

    def __init__(self, clock=time.monotonic, wall_clock=time.time):
        self._clock, self._wall = clock, wall_clock
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}  # client (or OVERALL) -> monotonic times of failures
        self.failures: deque[Failure] = deque(maxlen=KEEP_FAILURES)

    def wait(self, client: str) -> float:
        """Seconds before ``client`` may try again (0 when it may now)."""
        with self._lock:
            now = self._clock()
            return max(self._wait(client, MAX_ATTEMPTS, now), self._wait(OVERALL, OVERALL_ATTEMPTS, now))

    def _wait(self, key: str, allowed: int, now: float) -> float:
        times = [t for t in self._times.get(key, ()) if now - t < FORGET_SECONDS]
        self._times[key] = times
        if len(times) < allowed:
            return 0.0
        delay = min(MAX_LOCKOUT_SECONDS, LOCKOUT_SECONDS * 2 ** (len(times) - allowed))
        return max(0.0, delay - (now - times[-1]))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            for key in (client, OVERALL):
                self._times.setdefault(key, []).append(now)
            self.failures.append(Failure(self._wall(), client))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._times.pop(client, None)
