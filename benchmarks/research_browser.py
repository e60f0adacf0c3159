"""The coding view in a real browser (Playwright driving Debian's chromium) against the real
app on a real server: a 20,000-word transcript (accents, combining marks, emoji) with 500
codings by the signed-in coder, each figure printed against a bare baseline from the same run,
the same transcript served as a plain static HTML page (same turn markup, no CSS, no script,
no codings) by the same server.

1. time to interactive (TTI), from navigation start (``performance.timeOrigin``): the first
   moment when the document is parsed (``readyState`` is no longer ``loading``: every turn's
   text and every entry of the codings list is in the DOM), static/research.js has registered
   every coding as a range in ``CSS.highlights`` (the ``tf-*`` highlights hold at least one
   range per listed coding), a frame holding all that has been rendered, and the main thread
   then takes the next task (a ``MessageChannel`` message posted from that frame's
   ``requestAnimationFrame`` callback is handled). The bare page's TTI is the same without
   the highlights.
2. scrolling from top to bottom in ``--steps`` equal steps, one ``scrollTo`` per animation
   frame: total time (first to last ``requestAnimationFrame`` timestamp), frame interval
   p50/p95 and main-thread work per frame (from the frame's ``requestAnimationFrame`` callback
   to a message handled after its rendering) p50/p95.
3. applying a code to a selection at the end of the transcript with its shortcut key: from
   the keydown to the first frame in which the code's highlight holds the new range (the
   request, the list re-sorted and all 501 codings drawn again), then the next task.
   The new coding is removed again through the store after each run, so every run sees 500.

    python benchmarks/research_browser.py [--runs 5] [--steps 200] [--words 20000] [--codings 500]

Needs Debian's chromium (``apt-get install chromium``; never ``playwright install``) and
this repository's venv; about a minute on 2 cores. Each run loads both pages once (after
one warm-up load of each, so the static files come from the browser cache) and scrolls both.
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from techforce.db import Database
except ImportError:  # run from a checkout without installing techforce
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from techforce.db import Database

import uvicorn
from fastapi.staticfiles import StaticFiles

from techforce.accounts import service as accounts
from techforce.research import coding, service, synth_text
from techforce.research.coding import CodeIn
from techforce.research.models import Coding
from techforce.research.service import StudyIn
from techforce.settings import Settings
from techforce.web.app import create_app

PASSWORD = "copper walrus lantern orbit"  # passes the account password rules
OWNER, CODER = "olivia", "colin"
SEED = 7
VIEWPORT = {"width": 1366, "height": 900}
# Slots of the phrase banks, with non-ASCII names; emoji (one with a skin-tone modifier, a
# two-code-point grapheme) and a combining accent are put into every answer.
SLOTS = {
    "n": "42",
    "dept": "Chémie",
    "facility": "the Zoë Łukasiewicz imaging suite",
    "grade": "8",
    "year": "2019",
    "colleague": "Siobhán",
    "boss": "the Pro-Vice-Chancellor",
    "network": "the Midlands Innovation network",
}
EXTRAS = ("🧪", "👍🏽", "cafe\u0301", "naïve", "—", "½", "✔️")

# Recorded from navigation start in every page of the context (runs before the page's scripts).
PROBE = """(() => {
  const bench = window.__bench = {tti: null};
  document.addEventListener('readystatechange', () => {
    if (document.readyState === 'interactive') { bench.parsed = performance.now(); }  // before deferred scripts
  });
  const ranges = () => {
    let n = 0;
    if (typeof CSS !== 'undefined' && CSS.highlights) {
      CSS.highlights.forEach((h, name) => { if (name.indexOf('tf-') === 0) { n += h.size; } });
    }
    return n;
  };
  const poll = () => {
    if (document.readyState !== 'loading') {
      const listed = document.querySelectorAll('#codings li[data-coding]').length;
      const drawn = ranges();
      if (!document.getElementById('transcript') || (listed > 0 && drawn >= listed)) {
        bench.frame = performance.now();
        bench.listed = listed; bench.ranges = drawn;
        bench.turns = document.querySelectorAll('.said').length;
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { bench.tti = performance.now(); };
        channel.port2.postMessage(0);
        return;
      }
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();"""

SCROLL = """async (steps) => {
  const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
  const after = () => new Promise(resolve => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(0);
  });
  window.scrollTo(0, 0);
  await frame(); await frame();
  const bottom = document.documentElement.scrollHeight - window.innerHeight;
  const stamps = [], work = [];
  for (let i = 1; i <= steps; i++) {
    const stamp = await frame();
    const begun = performance.now();
    window.scrollTo(0, Math.round(bottom * i / steps));
    stamps.push(stamp);
    work.push(after().then(done => done - begun));
  }
  stamps.push(await frame());
  return {stamps: stamps, work: await Promise.all(work), bottom: bottom, at: window.scrollY};
}"""

SELECT_END = """(length) => {
  const all = document.querySelectorAll('.said');
  const node = all[all.length - 1].firstChild;
  const range = document.createRange();
  range.setStart(node, node.data.length - length);
  range.setEnd(node, node.data.length);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  return range.toString();
}"""

WATCH_APPLY = """(name) => {
  const before = CSS.highlights.get(name) ? CSS.highlights.get(name).size : 0;
  window.__applied = null;
  document.addEventListener('keydown', () => {
    const pressed = performance.now();
    const poll = () => {
      const h = CSS.highlights.get(name);
      if (h && h.size > before) {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.__applied = performance.now() - pressed; };
        channel.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }, {capture: true, once: true});
}"""


@dataclass
class Study:
    guid: str
    source: int
    text: str
    turns: list[tuple[str, int, int]]  # speaker, start, end (code points)
    key: str  # the shortcut of the code applied in phase 3
    colour: str


def transcript(words: int) -> str:
    """Interviewer questions and answers made from the demo study's phrase banks with a fixed
    seed, until ``words`` words; every answer carries emoji and accented letters."""
    rng = random.Random(SEED)
    questions = [q for _topic, qs in synth_text.TOPICS for q in qs]
    sentences = [
        s.split("|", 1)[-1].lstrip("!").format(**SLOTS) for bank in synth_text.BANKS.values() for s in bank
    ]
    lines: list[str] = []
    count = 0
    while count < words:
        lines.append(f"Interviewer: {rng.choice(questions)}")
        said = [rng.choice(synth_text.OPENERS) + rng.choice(synth_text.FILLERS_START)]
        said += rng.sample(sentences, rng.randint(4, 9))
        said.insert(rng.randrange(1, len(said)), f"{rng.choice(EXTRAS)} {rng.choice(EXTRAS)}")
        said.append(rng.choice(synth_text.FILLERS))
        lines.append("P07: " + " ".join(said))
        count += sum(len(line.split()) for line in lines[-2:])
    return "\n".join(lines) + "\n"


def make_study(db: Database, words: int, codings: int) -> Study:
    """An owner, a coder, eight codes with shortcut keys 1-8, the transcript and ``codings``
    distinct codings by the coder, each inside one turn (none in the last turn, where phase 3
    codes)."""
    rng = random.Random(SEED)
    with db.session() as s:
        accounts.create_user(s, OWNER, "researcher", actor="bench", password=PASSWORD)
        accounts.create_user(s, CODER, "researcher", actor="bench", password=PASSWORD)
        guid = service.create_study(s, StudyIn(name="Browser benchmark", kind="interview"), actor=OWNER).guid
        service.set_member(s, guid, CODER, "coder", actor=OWNER)
        codes = [
            coding.save_code(s, guid, CodeIn(name=child, colour=colour, shortcut=str(k + 1)), actor=OWNER).id
            for k, ((_parent, child, *_rest), colour) in enumerate(
                zip(synth_text.CODEBOOK, synth_text.COLOURS, strict=False)
            )
        ]
        src = service.import_transcript(s, guid, transcript(words).encode(), "long.txt", actor=OWNER)
        turns = [(str(t[0]), int(t[1]), int(t[2])) for t in src.turns]
        spans: set[tuple[int, int, int]] = set()
        answers = [t for t in turns[:-1] if t[2] - t[1] > 80]
        while len(spans) < codings:
            _speaker, start, end = rng.choice(answers)
            a = rng.randrange(start, end - 20)
            spans.add((rng.choice(codes), a, min(end, a + rng.randint(20, 240))))
        for code_id, a, b in sorted(spans, key=lambda x: x[1]):
            coding.add_coding(s, guid, src.id, code_id, a, b, actor=CODER)
        return Study(guid, src.id, src.text, turns, "1", synth_text.COLOURS[0])


def bare_page(study: Study) -> str:
    """The same transcript, in the same turn markup, as a plain page: no CSS, no script."""
    turns = "\n".join(
        f'<div class="turn"><p class="turn-head"><span class="speaker">{html.escape(speaker)}</span></p>'
        f'<div class="said">{html.escape(study.text[start:end])}</div></div>'
        for speaker, start, end in study.turns
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Transcript</title></head>'
        f'<body><main><h1>Transcript</h1><div id="text">{turns}</div></main></body></html>\n'
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(root: Path, words: int, codings: int) -> Iterator[tuple[str, Database, Study]]:
    """The real app on a free loopback port over a throwaway SQLite store, with the bare page
    mounted at /bench-bare/ on the same server."""
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    study = make_study(db, words, codings)
    (root / "bare").mkdir()
    (root / "bare" / "index.html").write_text(bare_page(study), encoding="utf-8")
    app = create_app(settings, db)
    app.mount("/bench-bare", StaticFiles(directory=root / "bare", html=True), name="bench-bare")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", db, study
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


def load(page: Any, url: str) -> dict[str, Any]:
    """Navigate and wait for TTI as defined above; returns the probe's figures in ms."""
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.__bench && window.__bench.tti !== null", timeout=60_000)
    got: dict[str, Any] = page.evaluate(
        "() => Object.assign({}, window.__bench, {"
        "response: performance.getEntriesByType('navigation')[0].responseEnd,"
        "dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,"
        "bytes: performance.getEntriesByType('navigation')[0].decodedBodySize})"
    )
    return got


def scroll(page: Any, steps: int) -> dict[str, float]:
    got = page.evaluate(SCROLL, steps)
    assert abs(got["at"] - got["bottom"]) <= 1, got["at"]
    stamps = got["stamps"]
    intervals = [b - a for a, b in itertools.pairwise(stamps)]
    return {
        "total": stamps[-1] - stamps[0],
        "frame_p50": statistics.median(intervals),
        "frame_p95": p95(intervals),
        "work_p50": statistics.median(got["work"]),
        "work_p95": p95(got["work"]),
        "height": got["bottom"],
    }


def apply_code(page: Any, db: Database, study: Study) -> tuple[float, float]:
    """Select the end of the last turn, press the code's key, wait for its highlight; the new
    coding is then removed through the store."""
    chosen = page.evaluate(SELECT_END, 24)
    name = "tf-" + study.colour.lstrip("#").lower()
    page.evaluate(WATCH_APPLY, name)
    page.keyboard.press(study.key)
    page.wait_for_function("() => window.__applied !== null", timeout=60_000)
    took = float(page.evaluate("() => window.__applied"))
    fetched = float(
        page.evaluate(
            "() => performance.getEntriesByType('resource').filter(e => e.initiatorType === 'fetch')"
            ".pop().duration"
        )
    )
    with db.session() as s:
        newest = s.query(Coding).filter(Coding.source_id == study.source).order_by(Coding.id.desc()).first()
        assert newest is not None and study.text[newest.start : newest.end] == chosen, (newest, chosen)
        coding.remove_coding(s, study.guid, newest.id, actor=CODER)
    return took, fetched


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def signed_in(browser: Any, base: str) -> Any:
    """A page signed in as the coder, with the probe in every document it loads; it records
    script errors and failed loads."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PROBE)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: _console(page, msg))
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(CODER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))
    return page


def _console(page: Any, msg: Any) -> None:
    where = msg.location.get("url", "")
    if msg.type == "error" and not where.endswith("/favicon.ico"):  # the bare page has none
        page.problems.append(f"{msg.text} ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=200, help="scroll steps, one per frame")
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--codings", type=int, default=500)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("SKIPPED: Debian's chromium is not installed (apt-get install chromium); not measured.")
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with (
        tempfile.TemporaryDirectory(prefix="techforce-bench-browser-") as folder,
        serving(Path(folder), args.words, args.codings) as (base, db, study),
    ):
        print(
            f"transcript: {len(study.text.split()):,} words, {len(study.text):,} code points, "
            f"{len(study.turns)} turns; {args.codings} codings by {CODER}"
        )
        rows, applied = measure(chromium, base, db, study, args)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(rows, applied, args)


def measure(
    chromium: str, base: str, db: Database, study: Study, args: argparse.Namespace
) -> tuple[dict[str, list[dict[str, float]]], list[tuple[float, float]]]:
    """Sign in, warm up, then ``args.runs`` times: the coding view (TTI, scroll, apply a code)
    and the bare page (TTI, scroll), in turn so that a busy spell on the machine hits both."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        print(
            f"device: {cpu_name()}, {os.cpu_count()} cores; chromium {browser.version} "
            f"(headless, --disable-gpu), viewport {VIEWPORT['width']}x{VIEWPORT['height']}"
        )
        page = signed_in(browser, base)
        ours_url = f"{base}/research/{study.guid}/sources/{study.source}"
        bare_url = f"{base}/bench-bare/"
        first = load(page, ours_url)  # warm-up: the static files into the cache
        assert first["listed"] == args.codings and first["ranges"] == args.codings, first
        assert first["turns"] == len(study.turns), first
        load(page, bare_url)
        rows: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
        applied: list[tuple[float, float]] = []
        for _ in range(args.runs):
            got = load(page, ours_url)
            assert got["ranges"] == args.codings, got
            got.update(scroll(page, args.steps))
            applied.append(apply_code(page, db, study))
            rows["ours"].append(got)
            got = load(page, bare_url)
            got.update(scroll(page, args.steps))
            rows["bare"].append(got)
        assert page.problems == [], page.problems
        browser.close()
    return rows, applied


def report(
    rows: dict[str, list[dict[str, float]]], applied: list[tuple[float, float]], args: argparse.Namespace
) -> None:
    def med(side: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[side])

    def top(side: str, key: str) -> float:
        return p95([r[key] for r in rows[side]])

    print(f"\n{args.runs} runs, median (p95) in ms; ratio of medians, coding view / bare page")
    print(f"{'':44} {'coding view':>20} {'bare page':>20} {'ratio':>7}")
    lines = [
        ("HTML received (responseEnd)", "response"),
        ("document parsed (readyState interactive)", "parsed"),
        ("DOMContentLoaded end (research.js has run)", "dcl"),
        ("time to interactive", "tti"),
        (f"scroll top to bottom, {args.steps} frames", "total"),
        ("  frame interval", "frame_p50"),
        ("  main-thread work per frame (p50)", "work_p50"),
        ("  main-thread work per frame (p95)", "work_p95"),
    ]
    for label, key in lines:
        ours, bare = med("ours", key), med("bare", key)
        mine = f"{ours:,.1f} ({top('ours', key):,.1f})"
        theirs = f"{bare:,.1f} ({top('bare', key):,.1f})"
        print(f"{label:44} {mine:>20} {theirs:>20} {ours / bare:>6.2f}x")
    print(
        f"{'  frame interval p95 (median of runs)':44} {med('ours', 'frame_p95'):>20,.1f} "
        f"{med('bare', 'frame_p95'):>20,.1f} {med('ours', 'frame_p95') / med('bare', 'frame_p95'):>6.2f}x"
    )
    print(f"{'page height scrolled (px)':44} {med('ours', 'height'):>20,.0f} {med('bare', 'height'):>20,.0f}")
    print(f"{'HTML size (bytes, decoded)':44} {med('ours', 'bytes'):>20,.0f} {med('bare', 'bytes'):>20,.0f}")
    took = [a for a, _ in applied]
    fetched = [f for _, f in applied]
    print(
        f"apply a code at the end (key to highlight drawn): median {statistics.median(took):,.1f} ms, "
        f"p95 {p95(took):,.1f} ms; of which the POST: median {statistics.median(fetched):,.1f} ms, "
        f"p95 {p95(fetched):,.1f} ms"
    )


if __name__ == "__main__":
    main()
