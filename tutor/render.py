"""Turn answers and verdicts into the contract's JSON and into text for a terminal.

Both are pure functions of an ``Answer``/``Verdict`` and the index it came from.
"""

from __future__ import annotations

import textwrap

from tutor.answer import Answer, Citation
from tutor.check import Verdict
from tutor.index import Index
from tutor.answer import numbered


def place(index: Index, passage: int, at: int | None = None) -> str:
    """Where a passage stands, as a reader finds it in a printout: "¶4, line 8"; in a PDF,
    Word or web page: "page 3, ¶4" or "“Causes”, ¶4" (its page and heading at offset
    ``at``, the passage's start if None)."""
    a = index.a
    para, para_end = int(a["passage_para"][passage]), int(a["passage_para_end"][passage])
    label = f"¶{para}" if para == para_end else f"¶{para}–{para_end}"
    part = int(a["passage_part"][passage])
    if part:
        label += f" (part {part})"
    d = index.docs[int(a["passage_doc"][passage])]
    if not d.text_path:
        return f"{label}, line {int(a['passage_line'][passage])}"
    at = int(a["passage_start"][passage]) if at is None else at
    page, section = d.page_at(at), d.section_at(at)
    return ", ".join([*([f"page {page}"] if page else []), *([f"“{section}”"] if section else []), label])


def extracted_json(index: Index, doc: int, at: int) -> dict:
    """``text_path``, ``page`` and ``section`` (``CONTRACT.md``) of a place in a PDF, Word
    or web page; nothing for a text file."""
    d = index.docs[doc]
    if not d.text_path:
        return {}
    page, section = d.page_at(at), d.section_at(at)
    return {"text_path": d.text_path, **({"page": page} if page else {}), **({"section": section} if section else {})}


def attribution(index: Index, doc: int) -> str:
    d = index.docs[doc]
    who = ", ".join(x for x in (d.author, d.publisher, d.year) if x)
    return who


def citation_json(index: Index, c: Citation) -> dict:
    d = index.docs[c.doc]
    return {
        "n": c.n, "quote": c.quote, "doc_id": d.doc_id, "title": d.title, "path": d.path,
        "start": c.start, "end": c.end,
        "paragraph": int(index.a["passage_para"][c.passage]), "line": int(index.a["passage_line"][c.passage]),
        "location": place(index, c.passage, c.start), "attribution": attribution(index, c.doc),
        **extracted_json(index, c.doc, c.start), **({"why": why_json(c.why)} if c.why else {}),
    }


def why_json(why) -> dict:
    """What made the tutor choose a quote (``answer.Why``), for scripts and teachers."""
    return {"matched": list(why.matched), "synonyms": [{"asked": a, "quoted": b} for a, b in why.synonyms],
            "weights": [{"part": name, "value": value} for name, value in why.weights],
            "answer_kind": why.kind, "answer_kind_factor": why.kind_factor}


def answer_text(ans: Answer) -> str:
    """The answer line: each quote in curly quotes followed by its marker."""
    if not ans.answered:
        return ""
    return " ".join(f"“{c.quote}” [{c.n}]" for c in ans.citations)


def summary_notes(ans: Answer) -> list[str]:
    """Plain-language notes that go with an answer: agreement, differing figures, cuts."""
    notes = list(ans.notes)
    if ans.agreeing >= 2:
        which = [f"[{n}]" for n in ans.agreeing_with]
        said = f": {', '.join(which[:-1])} and {which[-1]}" if len(which) >= 2 else ""
        notes.append(f"{ans.agreeing} sources agree{said}.")
    if ans.figures:
        side = "; ".join(f"{f.value} [{f.citation}]" for f in ans.figures)
        notes.append(f"The sources give different figures: {side}.")
    return notes


def answer_json(index: Index, ans: Answer, id_=None) -> dict:
    out = {}
    if id_ is not None:
        out["id"] = id_
    out.update({
        "question": ans.question,
        "answered": ans.answered,
        "answer": answer_text(ans),
        "interpreted_as": ans.query.searched if ans.query.interpreted else None,
        "citations": [citation_json(index, c) for c in ans.citations],
        "passages": [
            {"rank": r, "text": index.passage_text(h.passage), "doc_id": index.docs[index.doc_of_passage(h.passage)].doc_id,
             "title": index.docs[index.doc_of_passage(h.passage)].title,
             "path": index.docs[index.doc_of_passage(h.passage)].path,
             "start": int(index.a["passage_start"][h.passage]), "end": int(index.a["passage_end"][h.passage]),
             "score": round(h.score, 4), "location": place(index, h.passage),
             **extracted_json(index, index.doc_of_passage(h.passage), int(index.a["passage_start"][h.passage]))}
            for r, h in enumerate(ans.hits, start=1)
        ],
        "message": ans.message,
        "agreeing_sources": ans.agreeing,
        "agreeing_citations": list(ans.agreeing_with),
        "figures": [{"value": f.value, "citation": f.citation} for f in ans.figures],
        "notes": summary_notes(ans),
        "corrections": [{"typed": a, "corrected": b} for a, b in ans.query.corrections],
    })
    return out


def verdict_json(index: Index, v: Verdict, id_=None) -> dict:
    """A verdict (``CONTRACT.md``), with what differs, the nearest sentences when none states
    the claim, and each part of a claim of two facts."""
    out = {} if id_ is None else {"id": id_}
    out.update({"claim": v.claim, "verdict": v.verdict,
                "citations": [citation_json(index, c) for c in v.citations],
                "message": v.message, "copied": v.copied,
                "differences": [{"what": d.what, "claim": d.claim, "source": d.source} for d in v.differences],
                "nearest": [citation_json(index, c) for c in v.nearest],
                "mixed": v.mixed,
                "parts": [{"claim": p.claim, "verdict": p.verdict, "message": p.message,
                           "citations": [citation_json(index, c) for c in p.citations[:1]]} for p in v.parts]})
    return out


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=88, initial_indent=indent, subsequent_indent=indent)


def _sources(index: Index, citations) -> list[str]:
    lines = ["", "Sources:"]
    for c in citations:
        d = index.docs[c.doc]
        who = attribution(index, c.doc)
        lines.append(f"  [{c.n}] {d.title}" + (f" — {who}" if who else ""))
        lines.append(f"      {place(index, c.passage, c.start)} · {d.path} · characters {c.start}–{c.end}")
    return lines


def answer_for_terminal(index: Index, ans: Answer) -> str:
    lines = []
    if ans.query.interpreted:
        lines.append(f"(Searched for: {ans.query.searched})")
    if not ans.answered:  # the nearest passages stay in the JSON: here they would only mislead
        lines.append(_wrap(ans.message or "", ""))
        return "\n".join(lines)
    for c in ans.citations:
        lines.append(_wrap(f"“{c.quote}” [{c.n}]", ""))
    for note in summary_notes(ans):
        lines.append(f"Note: {note}")
    lines += _sources(index, ans.citations)
    return "\n".join(lines)


def verdict_for_terminal(index: Index, v: Verdict) -> str:
    label = {"supported": "SUPPORTED", "conflicting": "CONFLICTING", "not_found": "NOT FOUND"}[v.verdict]
    lines = [f"{label}: {v.message}"]
    if v.mixed:
        lines += [f"  - {p.verdict.replace('_', ' ')}: {p.claim}" for p in v.parts]
    for c in v.citations:
        lines.append(_wrap(f"“{c.quote}” [{c.n}]", "  "))
    if v.nearest:
        lines.append("The nearest the sources come:")
        lines += [_wrap(f"“{c.quote}” [{c.n}]", "  ") for c in v.nearest]
    if v.citations or v.nearest:
        lines += _sources(index, v.citations or v.nearest)
    return "\n".join(lines)


# -- study aids ------------------------------------------------------------------------------

def study_json(index: Index, kind: str, items: list) -> dict:
    """A study aid (``CONTRACT.md``): ``{"kind", "items"}``, every item with its citations."""
    def cites(cs) -> list[dict]:
        return [citation_json(index, c) for c in numbered(cs)]

    out = []
    for it in items:
        if kind == "quiz":
            out.append({"id": it.id, "type": it.type, "asks": it.kind, "prompt": it.prompt,
                        **({"choices": list(it.choices)} if it.type == "choice" else {}),
                        "answer": it.answer, "citations": cites([it.citation])})
        elif kind == "timeline":
            out.append({"date": it.date, "year": it.year, "citations": cites([it.citation]),
                        "dated_differently": [{"date": o.date, "year": o.year, "citations": cites([o.citation])}
                                              for o in it.dated_differently]})
        else:
            out.append({"term" if kind == "terms" else "name": it.name, "citations": cites(it.citations)})
    return {"kind": kind, "items": out}


def study_for_terminal(index: Index, kind: str, items: list) -> str:
    if not items:
        return {"quiz": "The documents hold no sentences to make questions from.",
                "timeline": "The documents give no dates.", "terms": "The documents define no terms.",
                "people": "The documents name no people."}[kind]
    lines = []
    for k, it in enumerate(items, start=1):
        if kind == "quiz":
            lines.append(_wrap(f"{k}. {it.prompt}", ""))
            lines += [f"     ({chr(97 + i)}) {o}" for i, o in enumerate(it.choices)]
            lines.append(f"     Answer: {it.answer}")
            c = it.citation
        elif kind == "timeline":
            lines.append(_wrap(f"{it.date}: “{it.citation.quote}”", ""))
            lines += [_wrap(f"dated {o.date} by {index.docs[o.citation.doc].title}: “{o.citation.quote}”", "     ")
                      for o in it.dated_differently]
            c = it.citation
        else:
            lines.append(it.name)
            for x in it.citations:
                lines.append(_wrap(f"“{x.quote}”", "     "))
                lines.append(f"     — {index.docs[x.doc].title}, {place(index, x.passage, x.start)}")
            lines.append("")
            continue
        lines.append(f"     — {index.docs[c.doc].title}, {place(index, c.passage, c.start)}")
        lines.append("")
    return "\n".join(lines).rstrip()
