"""The question templates: slot layout, entity mentions, grammar rules, both directions, and clear errors."""

from __future__ import annotations

import copy
import re

import pytest

from intergeneval.errors import DataFormatError
from intergeneval.questions import build_questions, color_name
from intergeneval.records import ObjectSpec

OBJECTS = [
    {"class": "man", "appearance": "man in black and white stripes"},
    {"class": "dog", "appearance": "brown dog"},
    {"class": "ball", "appearance": "red ball"},
]
FIELDS = {
    "subject": 1,
    "object": 3,
    "action": "throws {3} to {2}",
    "passive": "thrown",
    "before": "{3}: be in the hand of {1}",
    "steps": ["{1}: swing {3} back", "the fingers of {1}: open", "{3}: fly toward {2}",
              "{2} and {3}: be close"],
    "outcome": "{2}: hold {3} in its mouth",
    "contact": "low",
    "motion": "high",
}
MAN, DOG, BALL = ("the man in black and white stripes (red bbox)", "the brown dog (green bbox)",
                  "the red ball (blue bbox)")


def texts(ki: dict) -> list[str]:
    return [q["text"] for q in ki["questions"]]


def test_ten_questions_in_fixed_slots_with_the_expected_text():
    (ki,) = build_questions(FIELDS, OBJECTS)
    assert ki["text"] == f"The man in black and white stripes (red bbox) throws {BALL} to {DOG}"
    assert [q["slot"] for q in ki["questions"]] == list(range(1, 11))
    assert texts(ki) == [
        f"At the start, is {BALL} in the hand of {MAN}?",
        f"Does {MAN} swing {BALL} back?",
        f"Do the fingers of {MAN} open?",
        f"Does {BALL} fly toward {DOG}?",
        f"Are {DOG} and {BALL} close?",
        f"At the end, does {DOG} hold {BALL} in its mouth?",
        f"Is {MAN} visibly performing an action?",
        f"Is {MAN} the one who throws {BALL} to {DOG}?",
        f"Is {BALL} thrown by {MAN}?",
        f"Is {BALL} the one being thrown?",
    ]


def test_grounding_slots_name_only_the_entities_the_protocol_allows():
    (ki,) = build_questions(FIELDS, OBJECTS)
    q = dict(zip(range(1, 11), texts(ki), strict=True))
    # Slot 7: the subject only (the action is not named); slot 10: the object only.
    assert re.findall(r"\((\w+) bbox\)", q[7]) == ["red"]
    assert "throw" not in q[7]
    assert re.findall(r"\((\w+) bbox\)", q[10]) == ["blue"]
    for slot in (8, 9):
        assert {"red", "blue"} <= set(re.findall(r"\((\w+) bbox\)", q[slot]))


def test_every_question_is_a_present_tense_yes_no_question():
    (ki,) = build_questions(FIELDS, OBJECTS)
    for t in texts(ki):
        assert t.endswith("?")
        assert re.match(r"^(At the (start|end), )?(Is|Are|Does|Do|is|are|does|do) ", t), t
        assert not re.search(r"\b(will|might)\b", t)


def test_plurality_is_read_from_the_clause_not_from_appearances():
    # The subject's appearance contains "and" and "stripes"; its clauses must still be singular.
    (ki,) = build_questions(FIELDS, OBJECTS)
    assert texts(ki)[1].startswith("Does the man in black and white stripes")


def test_mirror_response_swaps_subject_and_object_everywhere():
    fields = {**FIELDS, "object": 2, "action": "greets {2}", "passive": "greeted",
              "before": "{1}: stand apart from {2}", "outcome": "{1}: face {2}",
              "steps": ["{1}: look at {2}", "{1}: walk to {2}", "{1}: touch {2}", "{S}: smile at {O}"],
              "response": "mirror"}
    first, second = build_questions(fields, OBJECTS)
    assert first["text"] == f"The man in black and white stripes (red bbox) greets {DOG}"
    assert second["text"] == f"The brown dog (green bbox) greets {MAN}"
    assert texts(second)[4] == f"Does {DOG} smile at {MAN}?"
    assert texts(second)[8] == f"Is {MAN} greeted by {DOG}?"


def test_mirror_refuses_gendered_pronouns_that_would_point_at_the_wrong_entity():
    fields = {**FIELDS, "object": 2, "outcome": "{1}: pat his knee", "response": "mirror"}
    with pytest.raises(DataFormatError, match=r"fields.outcome.*gendered"):
        build_questions(fields, OBJECTS)


def test_explicit_response_becomes_a_second_key_interaction():
    response = {"subject": 2, "object": 3, "action": "brings {3} back to {1}", "passive": "brought back",
                "before": "{2}: sit", "steps": ["{2}: run to {3}", "{2}: bite {3}", "{2}: run to {1}",
                                                "{2}: drop {3}"], "outcome": "{3}: lie at the feet of {1}"}
    first, second = build_questions({**FIELDS, "response": response}, OBJECTS)
    assert first["text"].startswith("The man")
    assert second["text"] == f"The brown dog (green bbox) brings {BALL} back to {MAN}"
    assert texts(second)[9] == f"Is {BALL} the one being brought back?"


def test_several_objects_are_joined_and_plural():
    (ki,) = build_questions({**FIELDS, "object": [2, 3]}, OBJECTS)
    assert texts(ki)[8] == f"Are {DOG} and {BALL} thrown by {MAN}?"
    assert texts(ki)[9] == f"Are {DOG} and {BALL} the ones being thrown?"


def test_object_specs_are_accepted_and_give_the_same_questions():
    specs = [ObjectSpec(o["class"], o["appearance"]) for o in OBJECTS]
    assert build_questions(FIELDS, specs) == build_questions(FIELDS, OBJECTS)


def test_colours_follow_the_protocol_palette_order():
    assert [color_name(i) for i in range(6)] == ["red", "green", "blue", "yellow", "magenta", "cyan"]


def test_output_is_deterministic_and_does_not_modify_its_input():
    before = copy.deepcopy(FIELDS)
    assert build_questions(FIELDS, OBJECTS) == build_questions(FIELDS, OBJECTS)
    assert before == FIELDS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": 4}, r"fields.subject: must be an object number 1..3; got 4"),
        ({"object": 1}, r"subject 1 is also an object"),
        ({"steps": ["{1}: run"] * 3}, r"fields.steps: must be a list of 4 clauses"),
        ({"before": "the man is ready"}, r"fields.before: must read 'who: verb phrase'"),
        ({"outcome": "{7}: win"}, r"placeholder \{7\}"),
        ({"action": "kicks {X}"}, r"fields.action: unknown placeholder \{X\}"),
        ({"passive": ""}, r"fields: missing passive"),
        ({"colour": "red"}, r"unknown key\(s\) colour"),
        ({"contact": "extreme"}, r"fields.contact: must be one of low, medium, high"),
        ({"response": "reverse"}, r"fields.response: must be 'mirror' or an object"),
        ({"response": {"subject": 2}}, r"fields.response: missing object"),
    ],
)
def test_malformed_fields_raise_an_error_naming_the_field(change, message):
    with pytest.raises(DataFormatError, match=message):
        build_questions({**FIELDS, **change}, OBJECTS)
