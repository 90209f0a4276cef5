"""Deterministic question templates: structured scenario fields in, the frozen ten questions out.

Example:
    >>> objects = [{"class": "man", "appearance": "man in a grey hoodie"},
    ...            {"class": "fridge", "appearance": "white fridge"}]
    >>> fields = {"subject": 1, "object": 2, "action": "opens the door of {2}", "passive": "opened",
    ...           "before": "{1}: stand in front of {2} with empty hands",
    ...           "steps": ["{1}: reach toward the handle of {2}", "{1}: grip the handle of {2}",
    ...                     "{1}: pull the handle of {2} outward", "the door of {2}: be swinging open"],
    ...           "outcome": "the door of {2}: be wide open"}
    >>> ki = build_questions(fields, objects)[0]
    >>> ki["text"]
    'The man in a grey hoodie (red bbox) opens the door of the white fridge (green bbox)'
    >>> [q["text"] for q in ki["questions"]][7]
    'Is the man in a grey hoodie (red bbox) the one who opens the door of the white fridge (green bbox)?'

The fields (object numbers are 1-based, in the order of the scenario's `objects`; number k has the
k-th colour of the overlay palette, so object 1 is red):

- `subject` (int): who acts. `object` (int or list of ints): what the action is done to.
- `action` (str): third-person present verb phrase said of the subject, e.g. `"opens the door of {2}"`.
- `passive` (str): past participle phrase with `"<object> is <passive> by <subject>"`, e.g. `"opened"`.
- `before` (clause): the state before the interaction starts (slot 1), checked on the first frames.
- `steps` (4 clauses): observable progressive steps (slots 2–5). `outcome` (clause): the result (slot 6).
- `response` (bidirectional scenarios only): `"mirror"` when the return interaction is the same one with
  subject and object swapped (a handshake), or a dict with the same keys (`subject`, `object`, `action`,
  `passive`, `before`, `steps`, `outcome`) for a different return interaction (a dog brings back the ball
  the man threw). Each direction becomes its own key interaction with its own ten questions.
- `contact`, `motion` (`low` | `medium` | `high`): descriptive only, not used by the templates.

A *clause* is `"who: verb phrase"` with the verb in its base form (`"{1}: reach toward {2}"`,
`"the lid of {3}: be open"`). Placeholders `{k}` name object k; `{S}` and `{O}` name the subject and the
(first) object. Every entity is written `the <appearance> (<colour> bbox)`, so appearances carry no article.
Questions are phrased so that "yes" means the interaction happened as described (no negations).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import DataFormatError, did_you_mean

#: The protocol's colour names by object index; used when `intergeneval.video` is not importable.
#: Only the first six are normative; the suite's scenarios use at most four objects.
_PROTOCOL_COLORS = ("red", "green", "blue", "yellow", "magenta", "cyan")
NUM_STEPS = 4
LEVELS = ("low", "medium", "high")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_INTERACTION_KEYS = ("subject", "object", "action", "passive", "before", "steps", "outcome")
_FIELD_KEYS = {*_INTERACTION_KEYS, "response", "contact", "motion"}
_IRREGULAR_PLURALS = {"feet", "teeth", "people", "children", "men", "women", "mice", "geese"}
_GENDERED = re.compile(r"\b(he|she|his|her|hers|him|himself|herself)\b", re.IGNORECASE)


def color_name(index: int) -> str:
    """Colour name of 0-based object `index`, from the overlay palette when `intergeneval.video` exists.

    >>> color_name(0), color_name(3)
    ('red', 'yellow')
    """
    try:
        from .video import color
    except ImportError:
        if index >= len(_PROTOCOL_COLORS):
            raise DataFormatError(
                f"object index {index} has no colour name (palette of {len(_PROTOCOL_COLORS)})"
            ) from None
        return _PROTOCOL_COLORS[index]
    return str(color(index)[0])


def entity(objects: Sequence[Mapping[str, Any] | Any], number: int) -> str:
    """How a question names object `number` (1-based): `the <appearance> (<colour> bbox)`.

    >>> entity([{"class": "dog", "appearance": "brown dog"}], 1)
    'the brown dog (red bbox)'
    """
    obj = objects[number - 1]
    appearance = obj["appearance"] if isinstance(obj, Mapping) else obj.appearance
    return f"the {appearance} ({color_name(number - 1)} bbox)"


def build_questions(
    scenario_fields: Mapping[str, Any], objects: Sequence[Mapping[str, Any] | Any]
) -> list[dict]:
    """Build a scenario's key interactions and their ten slot questions from its structured fields.

    Args:
        scenario_fields: the scenario's `fields` (see the module docstring for the keys).
        objects: the scenario's objects in order, as `{class, appearance}` dicts or `ObjectSpec`s.

    Returns:
        The suite JSON's `key_interactions`: `[{"text", "questions": [{"slot", "text"}, … 10]}]`, one
        entry for a unidirectional interaction, two (action, then response) for a bidirectional one.

    Raises:
        DataFormatError: naming the field that is missing or malformed.
    """
    unknown = sorted(set(scenario_fields) - _FIELD_KEYS)
    if unknown:
        known = ", ".join(sorted(_FIELD_KEYS))
        hint = did_you_mean(unknown[0], _FIELD_KEYS) if len(unknown) == 1 else ""
        raise DataFormatError(f"fields: unknown key(s) {', '.join(unknown)}.{hint} Known: {known}")
    for key in ("contact", "motion"):
        if key in scenario_fields and scenario_fields[key] not in LEVELS:
            raise DataFormatError(
                f"fields.{key}: must be one of {', '.join(LEVELS)}; got {scenario_fields[key]!r}"
            )
    primary = {k: scenario_fields.get(k) for k in _INTERACTION_KEYS}
    interactions = [primary]
    response = scenario_fields.get("response")
    if response == "mirror":
        interactions.append(_mirror(primary))
    elif isinstance(response, Mapping):
        interactions.append(dict(response))
    elif response is not None:
        raise DataFormatError(f"fields.response: must be 'mirror' or an object; got {response!r}")
    out = []
    for n, inter in enumerate(interactions):
        where = "fields" if n == 0 else "fields.response"
        out.append(_key_interaction(inter, objects, where))
    return out


def _key_interaction(inter: Mapping[str, Any], objects: Sequence[Any], where: str) -> dict:
    missing = [k for k in _INTERACTION_KEYS if inter.get(k) in (None, "", [])]
    if missing:
        raise DataFormatError(f"{where}: missing {', '.join(missing)}")
    subject = _number(inter["subject"], len(objects), f"{where}.subject")
    targets = inter["object"] if isinstance(inter["object"], list) else [inter["object"]]
    targets = [_number(t, len(objects), f"{where}.object") for t in targets]
    if subject in targets:
        raise DataFormatError(f"{where}: the subject {subject} is also an object")
    steps = inter["steps"]
    if not isinstance(steps, list) or len(steps) != NUM_STEPS:
        raise DataFormatError(f"{where}.steps: must be a list of {NUM_STEPS} clauses")

    def fill(text: Any, name: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise DataFormatError(f"{where}.{name}: must be a non-empty string")

        def one(m: re.Match) -> str:
            key = m.group(1)
            if key == "S":
                return entity(objects, subject)
            if key == "O":
                return entity(objects, targets[0])
            if key.isdigit():
                number = _number(int(key), len(objects), f"{where}.{name} placeholder {{{key}}}")
                return entity(objects, number)
            raise DataFormatError(
                f"{where}.{name}: unknown placeholder {{{key}}} (use {{S}}, {{O}} or {{1}}…)"
            )

        return _PLACEHOLDER.sub(one, text.strip())

    subj = entity(objects, subject)
    objs = _join([entity(objects, t) for t in targets])
    plural = len(targets) > 1
    action = fill(inter["action"], "action")
    passive = fill(inter["passive"], "passive")
    texts = [
        _ask(inter["before"], fill, "before", where, when="At the start, "),
        *(_ask(s, fill, f"steps[{k}]", where) for k, s in enumerate(steps)),
        _ask(inter["outcome"], fill, "outcome", where, when="At the end, "),
        f"Is {subj} visibly performing an action?",
        f"Is {subj} the one who {action}?",
        f"{'Are' if plural else 'Is'} {objs} {passive} by {subj}?",
        f"{'Are' if plural else 'Is'} {objs} the {'ones' if plural else 'one'} being {passive}?",
    ]
    return {
        "text": _capitalize(f"{subj} {action}"),
        "questions": [{"slot": k, "text": t} for k, t in enumerate(texts, 1)],
    }


def _ask(clause: Any, fill, name: str, where: str, *, when: str = "") -> str:
    """`"who: verb phrase"` → `"Does who verb phrase?"` (`Is`/`Are` for `be …`, `Do` for plural `who`).

    Plurality is read from the clause as written (`"{1} and {2}: …"`), before appearances (which may
    themselves contain "and" or end in "s") are filled in.
    """
    if not isinstance(clause, str):
        raise DataFormatError(f"{where}.{name}: must be a string 'who: verb phrase'; got {clause!r}")
    raw_who, sep, raw_phrase = clause.strip().partition(": ")
    if not sep or not raw_who.strip() or not raw_phrase.strip():
        raise DataFormatError(f"{where}.{name}: must read 'who: verb phrase'; got {clause!r}")
    plural = _is_plural(raw_who)
    who, phrase = fill(raw_who, name), fill(raw_phrase, name)
    if phrase.startswith("be "):
        question = f"{'Are' if plural else 'Is'} {who} {phrase[3:]}?"
    else:
        question = f"{'Do' if plural else 'Does'} {who} {phrase}?"
    return when + question[0].lower() + question[1:] if when else question


def _is_plural(who: str) -> bool:
    """Whether a clause's subject as written is plural: `"{1} and {2}"`, `"the hands of {1}"`.

    The head noun is the last word before the first preposition; it is plural when it ends in "s" but
    not "ss", "us" or "is" (glass, cactus, iris stay singular), or is an irregular plural (feet, teeth).

    >>> whos = ("{1} and {2}", "the palms of {1}", "the glass of {2}", "the tea level in {3}")
    >>> [_is_plural(w) for w in whos]
    [True, True, False, False]
    """
    if " and " in who:
        return True
    head = re.split(r" (?:of|in|on|with|from|at) ", who, maxsplit=1)[0].split()[-1].lower()
    return head in _IRREGULAR_PLURALS or (head.endswith("s") and not head.endswith(("ss", "us", "is")))


def _mirror(primary: Mapping[str, Any]) -> dict[str, Any]:
    """The same interaction with subject and object swapped in the roles and in every placeholder."""
    s, o = primary.get("subject"), primary.get("object")
    if not isinstance(s, int) or not isinstance(o, int):
        raise DataFormatError("fields.response: 'mirror' needs a single integer subject and object")
    # {S} and {O} name roles, which the swapped roles already flip; only object numbers are swapped.
    swap = {str(s): str(o), str(o): str(s)}
    for key in ("action", "passive", "before", "outcome", "steps"):
        value = primary.get(key)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _GENDERED.search(text):
                raise DataFormatError(
                    f"fields.{key}: 'mirror' swaps subject and object, so gendered pronouns would point at "
                    f"the wrong person; rewrite {text!r} without he/she/his/her/him (e.g. 'their')"
                )

    def flip(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        return _PLACEHOLDER.sub(lambda m: "{" + swap.get(m.group(1), m.group(1)) + "}", text)

    return {
        "subject": o,
        "object": s,
        **{k: flip(primary.get(k)) for k in ("action", "passive", "before", "outcome")},
        "steps": [flip(t) for t in primary.get("steps") or []],
    }


def _number(value: Any, count: int, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= count:
        raise DataFormatError(f"{where}: must be an object number 1..{count}; got {value!r}")
    return value


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _capitalize(text: str) -> str:
    return text[0].upper() + text[1:]
