"""benchmarks/load.py in a small run: two real browser sessions at once see only their own conversation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)
pytest.importorskip("playwright.async_api")
sys.path.insert(0, str(ROOT / "benchmarks"))

import load  # noqa: E402

pytestmark = pytest.mark.timeout(300)


def test_every_session_asks_a_different_sequence():
    plans = [load.questions_for(i, 4) for i in range(30)]
    assert len({tuple(p) for p in plans}) == 30
    assert all(len(set(p)) == 4 for p in plans)


def test_percentiles():
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)
    assert load.percentile([5.0], 0.95) == 5.0


def test_two_sessions_at_once_are_isolated_and_answered():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--sessions", "2", "--questions", "2",
                           "--ttl", "1", "--json"], capture_output=True, text=True, timeout=280, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["replies"] == out["expected_replies"] == 4
    assert out["errors"] == 0 and out["leaks"] == 0, out["error_details"] + out["leak_details"]
    for s in out["sessions_detail"]:
        assert s["asked"] == load.questions_for(s["number"], 2)
        assert len(s["latencies"]) == 2 and all(0 < t < 30 for t in s["latencies"])
    mem = out["server_rss_mb"]
    assert 0 < mem["idle"] <= mem["before"] and mem["during_peak"] > 0 and mem["after"] > 0


def test_a_leaking_app_is_caught(tmp_path: Path):
    """The same run against a copy of app.py whose conversations are shared must fail."""
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    shared = ('@st.cache_resource\ndef _everyones_turns() -> list:\n    return []\n\n\ndef init_state() -> None:\n'
              '    st.session_state.setdefault("turns", _everyones_turns())\n')
    leaky = source.replace('def init_state() -> None:\n    st.session_state.setdefault("turns", [])', shared.rstrip("\n"))
    assert leaky != source
    app = tmp_path / "leaky_app.py"
    app.write_text(leaky, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--sessions", "2", "--questions", "2",
                           "--ttl", "1", "--json", "--app", str(app)], capture_output=True, text=True, timeout=280,
                          cwd=ROOT)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["leaks"] >= 1
