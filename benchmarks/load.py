"""Many students at once: N real browser sessions against one ``streamlit run app.py``.

    python benchmarks/load.py                      # 8 sessions, 4 questions each
    python benchmarks/load.py --sessions 30 --questions 6 --think 2 --json

The script builds the index of ``--corpus`` into a temporary folder, starts the app
on a free localhost port, and drives ``--sessions`` browser sessions at the same time
(Playwright with Debian's Chromium, one browser context per student, so each is its
own Streamlit session). Each session types ``--questions`` questions into the chat,
one after another (waiting ``--think`` seconds between them), and:

- times each question from the Enter key to the reply appearing on its page, in the
  page's own clock (a keydown listener and a MutationObserver), so Playwright's
  polling adds nothing;
- checks the reply is the one the engine gives for that question after that
  session's own earlier questions (the first quote, or the decline), so an answer
  meant for another session would be caught;
- at the end, reads back every question on its page: it must be exactly its own, in
  order (each session asks a different sequence). Anything else is a leak.

It reports p50/p95/max latency, errors (timeouts, error boxes, wrong replies), leaks,
and the server's resident memory: idle, after a warm-up session ("before"), the
peak while the sessions run ("during"), and after every session has closed and
Streamlit has dropped them ("after", ``--ttl`` seconds later). Exit status 1 when there
was any error or leak. Chromium runs on the same machine as the server, so on a small
machine it competes with it for the CPU: the latencies are an upper bound of what
students on their own devices would see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor.answer import answer  # noqa: E402
from tutor.store import ensure_index  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CHAT_BOX = '[data-testid="stChatInputTextArea"]'
REPLIES = ".tt-answer, .tt-decline"
QUESTIONS = [
    "What were the backyard furnaces?",
    "Why did the Great Leap Forward fail?",
    "How many people died in the famine?",
    "What were the people's communes?",
    "What happened at the Lushan Conference?",
    "What was the iron rice bowl?",
    "Who urged caution about collectivisation?",
    "What was the steel target in 1957?",
    "Why was steel production so important to Mao?",
    "What did the First Five-Year Plan achieve?",
    "Who was Peng Dehuai?",
    "How did the Sparrow campaign affect harvests?",
]

# Installed in every page: the time of each Enter in the chat box, and of each new reply.
TIMING_SCRIPT = """
() => {
  window.__enter = [];
  window.__reply = [];
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && e.target && e.target.matches('textarea')) {
      window.__enter.push(performance.now());
    }
  }, true);
  let seen = document.querySelectorAll('%s').length;
  new MutationObserver(() => {
    const n = document.querySelectorAll('%s').length;
    while (seen < n) { seen += 1; window.__reply.push(performance.now()); }
  }).observe(document.body, {childList: true, subtree: true});
}
""" % (REPLIES, REPLIES)


@dataclass
class SessionResult:
    number: int
    asked: list[str]
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leak: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler(threading.Thread):
    """Samples a process's resident memory every 100 ms; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._halt = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self._halt.wait(0.1)

    def stop(self) -> float:
        self._halt.set()
        self.join(2)
        return self.peak


def questions_for(session: int, n: int) -> list[str]:
    """A different sequence of questions for every session (rotated; marked past 12)."""
    mark = "?" * (session // len(QUESTIONS))  # "…??" keeps the words, changes the text
    return [QUESTIONS[(session + j) % len(QUESTIONS)] + mark for j in range(n)]


def expected_reply(index, question: str, history: list[str]) -> str:
    """What the page must show first for this question: its first quote, or the decline."""
    ans = answer(index, question, history)
    if ans.answered:
        c = ans.citations[0]
        return " ".join(f"“{c.quote}” [{c.n}]".split())
    return " ".join((ans.message or "").split())


def start_server(corpus: Path, index_dir: Path, port: int, ttl: int, log_path: Path,
                 app: str = "app.py") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TUTOR_TEACHER_PASSCODE"}
    env.update(TUTOR_CORPUS=str(corpus), TUTOR_INDEX=str(index_dir))
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.disconnectedSessionTTL", str(ttl)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("streamlit did not start")


async def open_page(browser, url: str, timeout_ms: int):
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(timeout_ms)
    await page.goto(url)
    await page.wait_for_selector(CHAT_BOX)
    await page.evaluate(TIMING_SCRIPT)
    return ctx, page


async def ask(page, question: str, timeout_ms: int) -> float:
    """Type a question, press Enter, wait for the reply; the page-clock time Enter -> reply (s)."""
    before = await page.locator(REPLIES).count()
    await page.fill(CHAT_BOX, question)
    await page.keyboard.press("Enter")
    await page.wait_for_function(f"() => document.querySelectorAll('{REPLIES}').length > {before}",
                                 polling=100, timeout=timeout_ms)
    enter, reply = await page.evaluate("() => [window.__enter.at(-1), window.__reply.at(-1)]")
    return (reply - enter) / 1000.0


async def run_session(browser, url: str, number: int, questions: list[str], expected: list[str],
                      think: float, timeout_ms: int, start: asyncio.Event, opened: list[int]) -> SessionResult:
    result = SessionResult(number, questions)
    try:
        ctx, page = await open_page(browser, url, timeout_ms)
    except Exception as exc:  # noqa: BLE001
        result.errors.append(f"page did not open: {exc.__class__.__name__}")
        opened.append(number)
        return result
    opened.append(number)
    try:
        await start.wait()  # every session is open before the first question
        for j, q in enumerate(questions):
            try:
                result.latencies.append(await ask(page, q, timeout_ms))
            except Exception as exc:  # noqa: BLE001
                result.errors.append(f"q{j + 1}: no reply ({exc.__class__.__name__})")
                break
            reply = page.locator(REPLIES).nth(j)
            first = reply.locator(".tt-quote").first if await reply.locator(".tt-quote").count() else \
                reply.locator("p").first
            shown = " ".join((await first.inner_text()).split())
            if shown != expected[j]:
                result.errors.append(f"q{j + 1}: wrong reply: {shown[:80]!r} instead of {expected[j][:80]!r}")
            if await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
                result.errors.append(f"q{j + 1}: an error box on the page")
            if think:
                await asyncio.sleep(think)
        await page.wait_for_timeout(300)
        shown_questions = [" ".join((await q.inner_text()).split())
                           for q in await page.locator('[data-testid="stChatMessage"] .tt-question').all()]
        wanted = [" ".join(q.split()) for q in questions[:len(result.latencies)]]
        if shown_questions != wanted:
            result.leak = f"page shows {shown_questions!r}, asked {wanted!r}"
    finally:
        await ctx.close()
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=8, help="browser sessions at once (default 8)")
    ap.add_argument("--questions", type=int, default=4, help="questions per session (default 4)")
    ap.add_argument("--think", type=float, default=0.0, help="seconds between a reply and the next question")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"), help="corpus folder (default: the shipped one)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one reply")
    ap.add_argument("--ttl", type=int, default=5, help="seconds Streamlit keeps a closed session (default 5)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the sessions this many times on one server (memory after each tells a leak)")
    ap.add_argument("--app", default="app.py", help="the Streamlit script to serve (default: app.py)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if min(args.sessions, args.questions, args.rounds) < 1:
        ap.error("--sessions, --questions and --rounds must be at least 1")
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} not found (Debian's chromium package)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    index_dir = work / "index"
    index, _ = ensure_index(args.corpus, index_dir)  # built before the server starts
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(Path(args.corpus).resolve(), index_dir, port, args.ttl, work / "streamlit.log",
                          str(Path(args.app).resolve()))
    try:
        wait_healthy(url, server)
        rss_idle = rss_mb(server.pid)
        sampler = PeakSampler(server.pid)
        before: list[float] = []

        def mark_before() -> None:  # after the warm-up session, as the sessions start
            before.append(rss_mb(server.pid))
            before.append(cpu_seconds(server.pid))
            sampler.start()

        after: list[float] = []
        cpu_used: list[float] = []

        def after_round() -> None:
            cpu_used.append(cpu_seconds(server.pid) - before[1])
            after.append(rss_mb(server.pid))

        results, wall = asyncio.run(drive(url, args, index, mark_before, after_round))
        rss_during = sampler.stop() if before else 0.0
        server_cpu = cpu_used[-1] if cpu_used else 0.0
        rss_after = after[-1] if after else 0.0
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    latencies = [t for r in results for t in r.latencies]
    errors = [f"session {r.number}: {e}" for r in results for e in r.errors]
    if not alive:
        errors.append("the server died")
    leaks = [f"session {r.number}: {r.leak}" for r in results if r.leak]
    figures = {
        "sessions": args.sessions, "questions_per_session": args.questions, "think_s": args.think,
        "rounds": args.rounds, "replies": len(latencies), "expected_replies": args.rounds * args.sessions * args.questions,
        "errors": len(errors), "leaks": len(leaks),
        "latency_s": {"p50": round(percentile(latencies, 0.5), 3), "p95": round(percentile(latencies, 0.95), 3),
                      "max": round(max(latencies, default=float("nan")), 3),
                      "mean": round(statistics.fmean(latencies), 3) if latencies else None},
        "server_rss_mb": {"idle": round(rss_idle, 1), "before": round(before[0], 1) if before else None, "during_peak": round(rss_during, 1), "after": round(rss_after, 1),
                          "after_each_round": [round(x, 1) for x in after]},
        "wall_s": round(wall, 2), "server_cpu_s": round(server_cpu, 2),
        "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
        "error_details": errors, "leak_details": leaks,
        "sessions_detail": [asdict(r) for r in results],
    }
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        lat, mem = figures["latency_s"], figures["server_rss_mb"]
        rounds = f", {args.rounds} rounds" if args.rounds > 1 else ""
        print(f"{args.sessions} sessions x {args.questions} questions (think {args.think:g} s{rounds}) "
              f"on {os.cpu_count()} CPUs, "
              f"{wall:.1f} s")
        print(f"Enter -> answer: p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s, max {lat['max']:.2f} s "
              f"({len(latencies)}/{figures['expected_replies']} replies)")
        print(f"errors: {len(errors)}   leaks (a session seeing anything not its own): {len(leaks)}")
        print(f"server CPU: {server_cpu:.1f} s over {wall:.1f} s "
              f"({server_cpu / max(1, len(latencies)) * 1000:.0f} ms per question)")
        print(f"server memory (RSS): idle {mem['idle']:.0f} MB, before {mem['before']:.0f} MB, "
              f"during (peak) {mem['during_peak']:.0f} MB, after {mem['after']:.0f} MB"
              + (f" (after each round: {', '.join(f'{x:.0f}' for x in mem['after_each_round'])} MB)"
                 if args.rounds > 1 else ""))
        for line in errors + leaks:
            print("  " + line)
    return 1 if errors or leaks or len(latencies) != figures["expected_replies"] else 0


async def drive(url: str, args, index, mark_before, after_round) -> tuple[list[SessionResult], float]:
    """A warm-up session, then ``args.rounds`` rounds of every session at once.

    ``mark_before`` runs just before the first round asks; ``after_round`` once each
    round's sessions have closed and Streamlit has had ``args.ttl`` seconds to drop them.
    """
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            timeout_ms = int(args.timeout * 1000)
            ctx, page = await open_page(browser, url, timeout_ms)
            await ask(page, "What were the backyard furnaces?", timeout_ms)  # warm-up: imports, caches
            await ctx.close()
            plans = []
            for i in range(args.sessions):
                qs = questions_for(i, args.questions)
                plans.append((qs, [expected_reply(index, q, qs[:j]) for j, q in enumerate(qs)]))
            results: list[SessionResult] = []
            wall = 0.0
            for r in range(args.rounds):
                start, opened = asyncio.Event(), []
                tasks = [asyncio.create_task(run_session(browser, url, r * args.sessions + i, qs, exp, args.think,
                                                         timeout_ms, start, opened))
                         for i, (qs, exp) in enumerate(plans)]
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline and len(opened) < args.sessions:
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)  # the pages finish rendering
                if r == 0:
                    mark_before()
                started = time.perf_counter()
                start.set()
                results += await asyncio.gather(*tasks)
                wall += time.perf_counter() - started
                await asyncio.sleep(args.ttl + 3)  # Streamlit drops closed sessions after the TTL
                after_round()
            return results, wall
        finally:
            await browser.close()


if __name__ == "__main__":
    sys.exit(main())
