"""`<idK>` markers in MATRIX prompts: which words belong to which instances.

Example:
    >>> text, spans = parse_markers("a <id1> dog <id1,id2> chases a <id2> cat", "strip")
    >>> text
    'a dog chases a cat'
    >>> [(text[s:e], ids) for s, e, ids in spans]
    [('dog', (1,)), ('chases', (1, 2)), ('cat', (2,))]

A marker marks the word right after it. `<id1,id2>` (or `<id1+id2>`) marks a word with several instances,
e.g. the verb, supervised with the union of their masks. In "keep" mode the markers stay in the text (the
released code's special tokens) and the span is the marker itself.
"""

from __future__ import annotations

import re

MAX_IDS = 5
_MARKER = re.compile(r"<(id\d+(?:[,+]id\d+)*)>")
_WORD = re.compile(r"[\w'-]+")

Span = tuple[int, int, tuple[int, ...]]  # (char start, char end, instance ids)


def marker_ids(prompt: str) -> set[int]:
    """All instance ids named by markers in `prompt`."""
    return {int(x[2:]) for m in _MARKER.finditer(prompt) for x in re.split(r"[,+]", m.group(1))}


def parse_markers(prompt: str, mode: str = "strip") -> tuple[str, list[Span]]:
    """Return (text for the text encoder, spans with their ids). Raises ValueError on a dangling marker."""
    if mode not in ("strip", "keep"):
        raise ValueError(f"mode must be 'strip' or 'keep', got {mode!r}")
    out, spans, pos = [], [], 0
    length = 0
    for m in _MARKER.finditer(prompt):
        ids = tuple(int(x[2:]) for x in re.split(r"[,+]", m.group(1)))
        before = prompt[pos : m.start()]
        word = _WORD.search(prompt, m.end())
        if word is None or prompt[m.end() : word.start()].strip():
            raise ValueError(f"marker {m.group(0)!r} in prompt {prompt!r} is not followed by a word")
        if mode == "keep":
            out.append(before)
            length += len(before)
            spans.append((length, length + len(m.group(0)), ids))
            out.append(m.group(0))
            length += len(m.group(0))
            pos = m.end()
        else:
            out.append(before)
            length += len(before)
            pos = word.start()  # drop the marker and the spaces after it
            spans.append((length, length + (word.end() - word.start()), ids))
    out.append(prompt[pos:])
    return "".join(out), spans
