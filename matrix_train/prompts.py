"""`<idK>` markers in MATRIX prompts: which words belong to which instances.

Example:
    >>> text, spans = parse_markers("a <id1> young woman hands a cup to <id2> old man.", "strip")
    >>> text
    'a young woman hands a cup to old man.'
    >>> [(text[s:e], ids) for s, e, ids in spans]
    [('young woman', (1,)), ('old man', (2,))]

A marker marks the noun phrase right after it: its words up to (not including) the next marker, punctuation,
a function word (preposition, conjunction, determiner, pronoun, auxiliary, "who"/"that"...), an inflected
form of a frequent interaction verb ("hands", "holding", "held"...), or a word directly followed by the start
of another phrase (a determiner, an object pronoun or a marker: "chase the cat"). The first word is always
part of it (so a phrase is never empty), and leading determiners after the marker are skipped ("<id1> the
dog" -> "dog"). The chunker is a heuristic without a tagger: `train` writes every span it supervises to
OUTPUT/spans.jsonl so that they can be read.

The verb: MATRIX-11K prompts mark objects only, so by default no span covers the verb and SGA supervises
the objects alone (the paper also supervised the verb, with the subject + object masks). To supervise a verb,
mark it with all of its ids: `<id1,id2>` (or `<id1+id2>`) marks exactly one word, e.g.
"a <id1> dog <id1,id2> chases a <id2> cat". In "keep" mode the markers stay in the text (the released code's
special tokens) and the span is the marker itself.
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


# Closed-class words that end a noun phrase (and are never its first word after a determiner).
_FUNCTION = set("""
a an the this that these those his her its their our my your some any each every another other both all no
in on at with to from into onto by near behind under over above below beside between toward towards around
through across along against of for off out up down inside outside upon onto via while as than like about
and or but nor so then yet while whereas because although though if when where whenever who whom whose which
is are was were be been being am has have had having do does did doing can could will would shall should may
might must it he she they we you i him them us me itself himself herself themselves one ones together
""".split())  # noqa: SIM905 (a word list reads better as text)
_DETERMINERS = set("a an the this that these those his her its their our my your some any each every another "  # noqa: SIM905
                   "two three four five".split())
# Frequent interaction verbs: their inflected forms end a phrase wherever they stand ("<id1> man holds").
_VERBS = set("""
hold carry push pull hand pass give take throw catch kick hit hug kiss touch grab lift drop put place pour
cut open close ride drive walk run chase follow approach lead feed pet brush wash wipe shake pat tap point
look watch hold help play dance fight wrestle punch slap embrace greet wave talk sit stand lie lean climb jump
swing spin roll toss fetch bite lick sniff paint draw write read eat drink cook stir serve offer show fix
repair clean fold wrap tie hang pick move bring send press squeeze rub stroke comb cover dress hold row paddle
""".split())  # noqa: SIM905
_IRREGULAR = set("held caught threw thrown gave given took taken ran led fed drove driven rode ridden "  # noqa: SIM905
                 "brought hit put cut shook shaken fought sat stood lay lain leant leaned spun bit bitten "
                 "ate eaten drank drunk wrote written read made hung".split())


def _verb_form(word: str) -> bool:
    w = word.lower()
    if w in _IRREGULAR:
        return True
    for suffix in ("ing", "es", "s", "ed", "d"):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            if stem in _VERBS or stem + "e" in _VERBS or (len(stem) > 2 and stem[-1] == stem[-2]
                                                            and stem[:-1] in _VERBS):
                return True
    return False


_OBJECT_PRONOUNS = {"him", "her", "them", "it", "me", "us"}


def noun_phrase_end(prompt: str, start: int) -> int:
    """Character end of the noun phrase whose first word starts at `start` (see the module docstring)."""
    words = list(_WORD.finditer(prompt, start))
    end = words[0].end()
    for i in range(1, len(words)):
        w, prev = words[i], words[i - 1]
        gap = prompt[prev.end() : w.start()]
        if gap.strip():  # punctuation or a marker between the words
            break
        lw = w.group(0).lower()
        if lw in _FUNCTION or _verb_form(lw):
            break
        # A word right before another phrase (a determiner, an object pronoun or a marker) is its verb:
        # "<id1> two dogs chase the cat", "<id1> dogs chase <id2> cat".
        after = prompt[w.end() : words[i + 1].start()] if i + 1 < len(words) else ""
        if "<" in after or (not after.strip() and i + 1 < len(words)
                                     and words[i + 1].group(0).lower() in _DETERMINERS | _OBJECT_PRONOUNS):
            break
        end = w.end()
    return end


def parse_markers(prompt: str, mode: str = "strip") -> tuple[str, list[Span]]:
    """Return (text for the text encoder, spans with their ids). Raises ValueError on a dangling marker.

    In "strip" mode a single-id marker's span is the noun phrase after it; a multi-id marker (`<id1,id2>`,
    a verb) marks one word."""
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
            start = word.start()
            if len(ids) == 1:  # an object: skip leading determiners, then the whole noun phrase
                while word.group(0).lower() in _DETERMINERS:
                    nxt = _WORD.search(prompt, word.end())
                    if nxt is None or prompt[word.end() : nxt.start()].strip():
                        break
                    word = nxt
                end = noun_phrase_end(prompt, word.start())
            else:
                end = word.end()
            pos = start  # drop the marker and the spaces after it
            spans.append((length + word.start() - start, length + end - start, ids))
    out.append(prompt[pos:])
    return "".join(out), spans
