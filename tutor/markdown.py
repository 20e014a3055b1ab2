"""Turn answers, verdicts and documents into HTML and Markdown for the browser page.

The one place that decides how the tutor's results look on the page (``app.py``
only lays them out) and in the conversation a student downloads. Everything is a
pure function of an ``Answer``/``Verdict``, the ``Index`` it came from and plain
values, so it is tested without a browser, and nothing here imports Streamlit.

Student and document text is data, never markup. Streamlit's Markdown turns
``$x^2$`` into math, ``![](url)`` into an image fetched from the network and
``:red[..]`` into colour, so:

- rich output is HTML (shown with ``st.html``) in which every piece of outside text
  passes through ``escape_html`` and only the tags written here are markup;
- text that must go where Streamlit reads Markdown (widget labels) passes through
  ``escape_markdown``, which backslash-escapes every character Markdown or
  Streamlit's extensions could read as syntax;
- the downloaded conversation escapes what CommonMark would read as syntax
  (``escape_export``), so it reads naturally as plain text too.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence


from tutor.answer import Answer, Citation
from tutor.check import Verdict
from tutor.index import Index
from tutor.render import attribution, place, summary_notes

MAX_CHECK_CHARS = 6000
MAX_CHECK_SENTENCES = 40

VERDICT_LABELS = {"supported": "Supported", "conflicting": "Conflicting", "not_found": "Not found"}
VERDICT_ICONS = {"supported": "✓", "conflicting": "≠", "not_found": "?"}
_FIGURES_NOTE = "The sources give different figures"


# -- escaping ---------------------------------------------------------------------------

def escape_html(text: str) -> str:
    """Text shown as itself inside HTML: ``<script>`` becomes ``&lt;script&gt;``."""
    return html.escape(str(text), quote=True)


# Every ASCII punctuation character CommonMark allows to be backslash-escaped that
# Markdown, GitHub's extensions or Streamlit's (``:red[..]``, ``:material/x:``, ``$..$``)
# could read as syntax; a backslash before any of them shows the character itself.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")


# GitHub's autolinks ("http://…", "www.…") are found after escapes are undone, so a
# backslash cannot stop them; an invisible word joiner after the scheme does.
_AUTOLINK = re.compile(r"\b(https?|ftp|www)(?=://|\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape_markdown(text: str) -> str:
    """One line of outside text for a place Streamlit renders as Markdown (labels).

    Shows as the text itself: no emphasis, link, image, maths, colour or HTML; a URL
    stays plain text (with an invisible word joiner after its scheme).
    """
    line = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, " ".join(str(text).split()))
    return _MD_SPECIAL.sub(r"\\\1", line)


_EXPORT_SPECIAL = re.compile(r"([\\`*_\[\]<>$|~&])")
_EXPORT_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))")


def escape_export(text: str) -> str:
    """One line of outside text for the downloaded Markdown file.

    Escapes only what CommonMark reads as syntax in running text (emphasis, links,
    images, HTML, code, tables, maths) and a block marker at the start of the line,
    so the file still reads well in a plain text editor.
    """
    line = " ".join(str(text).split())
    line = _EXPORT_SPECIAL.sub(r"\\\1", line)
    # A marker "[2]" stays as a reader expects it: with no "[2]: ..." definition (none can
    # start a line here) and nothing after it that makes a link, Markdown shows it as is.
    line = _ESCAPED_MARKER.sub(r"[\1]", line)
    # A backslash escapes punctuation only: "1. " becomes "1\. ", "- " becomes "\- ".
    return _EXPORT_LINE_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), line)


_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3})\\\](?!\\?[(\[:])")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def text_block(text: str) -> str:
    """Escaped HTML that keeps the text's own line breaks (shown with ``pre-wrap``).

    Runs of blank lines shrink to one: a pasted page's spacing is not the author's.
    """
    return escape_html(_BLANK_LINES.sub("\n\n", text))


# -- sources and places ---------------------------------------------------------------

def source_label(index: Index, doc: int) -> str:
    """"Title — author, publisher, year" for one document (plain text)."""
    who = attribution(index, doc)
    title = index.docs[doc].title
    return f"{title} — {who}" if who else title


def citation_place(index: Index, c: Citation) -> str:
    return place(index, c.passage, c.start)


# -- pieces of HTML ---------------------------------------------------------------------

def _marker(n: int) -> str:
    """A citation marker; clicked (``MARKER_SCRIPT``), it opens source box ``n`` below."""
    return f'<a class="tt-marker" href="#" role="button" data-n="{n}" aria-label="source {n}: open it">[{n}]</a>'


def highlighted(text: str, start: int, end: int, a: int, b: int, mark_id: str | None = None) -> str:
    """``text[a:b]`` (a window starting at offset ``a``) as HTML, ``[start, end)`` marked."""
    s, e = max(start, a), min(end, b)
    if s >= e:
        return text_block(text[a:b])
    ident = f' id="{escape_html(mark_id)}"' if mark_id else ""
    return (text_block(text[a:s]) + f"<mark class=\"tt-mark\"{ident}>" + text_block(text[s:e]) + "</mark>"
            + text_block(text[e:b]))


def interpreted_html(ans: Answer) -> str:
    """"Interpreted as …" with the spellings fixed, or "" when the question was read as typed."""
    q = ans.query
    if not q.interpreted:
        return ""
    parts = [f'<div class="tt-interpreted">Interpreted as “{escape_html(q.searched)}”']
    if q.corrections:
        fixes = ", ".join(f"“{escape_html(b)}” for “{escape_html(a)}”" for a, b in q.corrections)
        parts.append(f' <span class="tt-fixes">(spelling: {fixes})</span>')
    parts.append("</div>")
    return "".join(parts)


def question_html(question: str) -> str:
    return f'<div class="tt-question">{text_block(question)}</div>'


def answer_html(index: Index, ans: Answer) -> str:
    """The body of the tutor's reply: quotes with markers, then agreement and figures.

    The sources list is laid out by the page (it holds buttons); see ``sources_html``.
    """
    out = [interpreted_html(ans)]
    if not ans.answered:
        out.append(decline_html(index, ans))
        out += [f'<div class="tt-note tt-info">{escape_html(note)}</div>' for note in ans.notes]
        return "".join(out)
    out.append('<div class="tt-answer">')
    for c in ans.citations:
        out.append(f'<blockquote class="tt-quote">“{text_block(c.quote)}” {_marker(c.n)}</blockquote>')
    out.append("</div>")
    for note in summary_notes(ans):
        if ans.figures and note.startswith(_FIGURES_NOTE):
            continue  # shown side by side below
        kind = "tt-agree" if "agree" in note else "tt-info"
        icon = "✓ " if kind == "tt-agree" else ""
        out.append(f'<div class="tt-note {kind}">{icon}{escape_html(note)}</div>')
    if ans.figures:
        out.append(figures_html(index, ans))
    return "".join(out)


def figures_html(index: Index, ans: Answer) -> str:
    """Differing figures side by side, each with the source that gives it."""
    by_n = {c.n: c for c in ans.citations}
    cells = []
    for f in ans.figures:
        c = by_n.get(f.citation)
        who = escape_html(index.docs[c.doc].title) if c else ""
        cells.append(f'<div class="tt-figure"><div class="tt-figure-value">{escape_html(f.value)}</div>'
                     f'<div class="tt-figure-source">{_marker(f.citation)} {who}</div></div>')
    return ('<div class="tt-note tt-conflict">≠ The sources give different figures:</div>'
            f'<div class="tt-figures">{"".join(cells)}</div>')


def decline_html(index: Index, ans: Answer) -> str:
    """The kind "not in these sources" reply: one short paragraph with one suggestion
    (the sidebar and the Library list the sources)."""
    message = ans.message or "I couldn't find an answer to that in these sources."
    return f'<div class="tt-decline"><p>{escape_html(message)}</p></div>'


def source_markdown(index: Index, c: Citation) -> str:
    """One entry of a sources list as a (Markdown) label: "**[1]** Title — who · ¶4, line 8"."""
    return f"**\\[{c.n}\\]** {escape_markdown(source_label(index, c.doc))} · {escape_markdown(citation_place(index, c))}"


def why_html(c: Citation, corrections: Sequence[tuple[str, str]] = ()) -> str:
    """What made the tutor choose quote ``c``: the question's words it holds (spelling
    fixes and synonyms named) and the parts of its score, largest first."""
    why = c.why
    if why is None:
        return ""
    said = []
    if why.matched:
        said.append("it holds the question's words " + ", ".join(f"<i>{escape_html(w)}</i>" for w in why.matched))
    said += [f"“{escape_html(b)}” for your “{escape_html(a)}”" for a, b in why.synonyms]
    said += [f"“{escape_html(a)}” read as “{escape_html(b)}”" for a, b in corrections]
    if why.kind:
        said.append(f"it gives the {escape_html(why.kind)} asked for (the odds it answers × {why.kind_factor:.1f})")
    parts = ", ".join(f"{escape_html(name)} {value:+.2f}" for name, value in why.weights[:3] if value > 0)
    return (f'<div class="tt-why"><b>Why this quote:</b> {"; ".join(said) or "it is the closest sentence found"}.'
            + (f" What weighed most: {parts}." if parts else "") + "</div>")


def context_html(index: Index, c: Citation) -> str:
    """The passage a quote comes from, the quoted words highlighted."""
    text = index.doc_text(c.doc)
    a, b = int(index.a["passage_start"][c.passage]), int(index.a["passage_end"][c.passage])
    a, b = min(a, c.start), max(b, c.end)
    return f'<div class="tt-context">{highlighted(text, c.start, c.end, a, b)}</div>'


def verdict_html(index: Index, v: Verdict, sentence: str | None = None) -> str:
    """One checked sentence: its verdict badge, the sentence, what the sources say."""
    label = VERDICT_LABELS.get(v.verdict, v.verdict)
    icon = VERDICT_ICONS.get(v.verdict, "")
    copied = ('<span class="tt-badge tt-copied">Copied word for word</span>' if v.copied else "")
    mixed = ('<span class="tt-badge tt-mixed">Partly stated</span>' if v.mixed else "")
    claim = sentence if sentence is not None else v.claim
    theirs = [d.claim for d in v.differences if d.claim]
    evidence = ""
    if v.citations or v.nearest:
        c = (v.citations or v.nearest)[0]
        said = "What the source says" if v.citations else "The nearest the sources come"
        ours = [d.source for d in v.differences if d.source]
        evidence = (f'<div class="tt-evidence"><span class="tt-evidence-label">{said} [{c.n}]:</span> '
                    f'“{marked(c.quote, ours)}”</div>')
    return (f'<div class="tt-verdict tt-{escape_html(v.verdict)}">'
            f'<span class="tt-badge tt-badge-{escape_html(v.verdict)}">{icon} {label}</span>{copied}{mixed}'
            f'<div class="tt-claim">{marked(claim, theirs)}</div>'
            f'<div class="tt-verdict-message">{escape_html(v.message)}</div>{evidence}</div>')


def marked(text: str, words: Sequence[str]) -> str:
    """``text`` as HTML, each of the comma-separated ``words`` (what differs) marked where it stands."""
    wanted = sorted({w.strip() for ws in words for w in ws.split(",") if len(w.strip()) > 1}, key=len, reverse=True)
    if not wanted:
        return text_block(text)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in wanted), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out += [text_block(text[pos:m.start()]), f'<mark class="tt-differs">{text_block(m.group())}</mark>']
        pos = m.end()
    return "".join(out) + text_block(text[pos:])


def check_summary(verdicts: Sequence[Verdict]) -> str:
    """"4 sentences: 2 supported, 1 conflicting, 1 not found; 1 copied word for word." (plain)"""
    n = len(verdicts)
    counts = [(sum(v.verdict == k for v in verdicts), VERDICT_LABELS[k].lower()) for k in VERDICT_LABELS]
    parts = ", ".join(f"{c} {label}" for c, label in counts if c)
    copied = sum(v.copied for v in verdicts)
    tail = f"; {copied} copied word for word" if copied else ""
    return f"{n} sentence{'s' if n != 1 else ''}: {parts}{tail}." if n else "Nothing to check."


# -- the check view -------------------------------------------------------------------

def sentences(index: Index, text: str) -> list[str]:
    """A pasted paragraph cut into the sentences to check (Punkt, trained on the corpus).

    Blank lines always end a sentence; at most ``MAX_CHECK_SENTENCES`` are returned.
    """
    text = text[:MAX_CHECK_CHARS]
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        starts = index.splitter.boundaries(block) + [len(block)]
        for a, b in zip(starts, starts[1:]):
            s = " ".join(block[a:b].split())
            if s:
                out.append(s)
    return out[:MAX_CHECK_SENTENCES]


# -- the downloaded conversation --------------------------------------------------------

def _export_citation(index: Index, c: Citation) -> list[str]:
    d = index.docs[c.doc]
    who = attribution(index, c.doc)
    head = f"{c.n}. *{escape_export(d.title)}*"
    if who:
        head += f" — {escape_export(who)}"
    head += f" — {escape_export(citation_place(index, c))}"
    lines = [head, f"   > “{escape_export(c.quote)}”"]
    if d.url:
        lines.append(f"   Original: <{d.url}>" if re.fullmatch(r"https?://[^\s<>]+", d.url) else
                     f"   Original: {escape_export(d.url)}")
    return lines


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and its answer.

    ``index`` is the index the answer came from: its citations' document numbers and
    offsets refer to it, even after the corpus changed and a newer index took over.
    """

    question: str
    answer: Answer
    index: Index


def answer_markdown(index: Index, question: str, ans: Answer, number: int) -> str:
    """One question and its answer, with full citations, for the downloaded file."""
    lines = [f"## {number}. {escape_export(question)}", ""]
    if ans.query.interpreted:
        lines += [f"*Interpreted as:* {escape_export(ans.query.searched)}", ""]
    if not ans.answered:
        lines += [escape_export(ans.message or "No answer in these sources."), ""]
        lines += [line for note in ans.notes for line in (f"*{escape_export(note)}*", "")]
        return "\n".join(lines)
    for c in ans.citations:
        lines += [f"> “{escape_export(c.quote)}” [{c.n}]", ">"]
    lines[-1] = ""
    for note in summary_notes(ans):
        lines += [f"*{escape_export(note)}*", ""]
    lines += ["**Sources**", ""]
    for c in ans.citations:
        lines += _export_citation(index, c)
    lines.append("")
    return "\n".join(lines)


def conversation_markdown(title: str, turns: Iterable[Turn], when: str | None = None) -> str:
    """The whole conversation as a Markdown file: every answer with its full citations."""
    lines = [f"# {escape_export(title)}: conversation with the tutor", ""]
    intro = "Every answer below is quoted word for word from the sources listed under it."
    if when:
        intro = f"Saved {escape_export(when)}. " + intro
    lines += [intro, ""]
    body = [answer_markdown(t.index, t.question, t.answer, i) for i, t in enumerate(turns, start=1)]
    if not body:
        lines += ["(No questions yet.)", ""]
    return "\n".join(lines + body).rstrip() + "\n"


# -- style --------------------------------------------------------------------------------

# The page's look, kept as the stylesheet it is (``tutor/data/style.css``).
CSS = "<style>\n" + (Path(__file__).parent / "data" / "style.css").read_text(encoding="utf-8") + "</style>"



def class_summary_html(s) -> str:
    """The summary of a class's questions (``classlog.Summary``): counts, topics, what the
    sources could not answer, and the documents quoted most."""
    out = [f'<div class="tt-meta">{s.asked} question{"" if s.asked == 1 else "s"}, {s.answered} answered from the sources, '
           f'{s.asked - s.answered} not.</div>']
    if s.topics:
        out.append("<p><b>Asked about most:</b> " + ", ".join(f"{escape_html(w)} ({n})" for w, n in s.topics) + "</p>")
    if s.unanswered:
        out.append("<p><b>Not answered by the sources</b> (what to add or teach):</p><ul>" + "".join(
            f"<li>{escape_html(q)}" + (f" ({n} times)" if n > 1 else "") + "</li>" for q, n in s.unanswered) + "</ul>")
    if s.documents:
        out.append("<p><b>Quoted most:</b> " + ", ".join(f"{escape_html(t)} ({n})" for t, n in s.documents) + "</p>")
    return "".join(out)


def class_table_html(entries) -> str:
    """The latest questions, newest first: time, question, answered, the documents quoted."""
    rows = "".join(f"<tr><td>{escape_html(e.time)}</td><td>{escape_html(e.question)}</td>"
                   f"<td>{'yes' if e.answered else '<b>no</b>'}</td><td>{escape_html(' | '.join(e.sources))}</td></tr>"
                   for e in reversed(entries))
    return ('<div class="tt-log"><table><thead><tr><th>When</th><th>Question</th><th>Answered</th><th>Quoted from</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


# A click on a marker "[2]" opens the second source box under the quote it follows (its
# passage highlighted, as a click on the box itself does) and brings it into view. One
# listener for the whole page, added once however often the page reruns.
MARKER_SCRIPT = "<script>\n" + (Path(__file__).parent / "data" / "markers.js").read_text(encoding="utf-8") + "</script>"
