"""A judge reply validates as a whole or not at all (protocol Part I, "Failures are never successes").

Each named test is one way a malformed reply used to count as a success; the fuzz tests apply thousands of
seeded random edits to a valid mixed reply and check that no accepted edit scores better than the original.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from intergeneval.errors import JudgeParseError
from intergeneval.formats import _parse_scenario
from intergeneval.judges.base import JudgeVideo, parse_changes_reply, parse_qa_reply
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.metrics.scores import video_scores

from .conftest import scenario

FRAMES = (0, 5, 10, 15, 20)
IDS = tuple(range(1, 11))
#: A valid mixed reply: 3 of 10 yes (KISA 2/6, SGI 1/4), as in the issue's IF 0.292 video.
MIXED = ["yes", "no", "no (visually implausible)", "yes", "no", "no", "yes", "no", "no", "no"]


def _qa(answers=MIXED, frames=None):
    frames = frames or [5 if a == "yes" else None for a in answers]
    return [{"question_id": k + 1, "answer": a, "frame_index": f}
            for k, (a, f) in enumerate(zip(answers, frames, strict=True))]


def _yes_rate(parsed) -> float:
    return sum(a.answer == "yes" for a in parsed.values()) / len(parsed)


def _invalid(reply) -> None:
    with pytest.raises(JudgeParseError):
        parse_qa_reply(reply if isinstance(reply, str) else json.dumps(reply), frames=FRAMES, ids=IDS)


def _video() -> JudgeVideo:
    sc, problems = _parse_scenario(Path("t.json"), 0, scenario("v1"), require_questions=True)
    assert not problems
    blank = np.zeros((4, 4, 3), np.uint8)
    return JudgeVideo("sha", sc, FRAMES, tuple(blank for _ in FRAMES), ("red", "green"))


def _judge(qa_attempts, changes=None) -> ScriptedJudge:
    changes = changes or {"emergence_frames": [], "disappearance_frames": []}
    return ScriptedJudge({"answers": {"v1": {"qa": [{"attempts": qa_attempts}], "changes": changes}}})


# ------------------------------------------------------------------------------------- QA: named cases
def test_duplicated_ids_with_yes_first_are_invalid_not_first_wins():
    # the attack: every slot twice, "yes" first, turned IF 0.292 into 1.0
    doubled = [item for a in _qa() for item in ({**a, "answer": "yes", "frame_index": 5}, a)]
    _invalid(doubled)
    _invalid(_qa() + [{"question_id": 1, "answer": "no", "frame_index": None}])  # one id twice


def test_repeated_key_inside_an_item_is_invalid():
    text = json.dumps(_qa()).replace('"answer": "no", "frame_index": null}',
                                     '"answer": "no", "answer": "yes", "frame_index": 5}', 1)
    assert text.count('"answer"') == 11
    _invalid(text)


def test_two_fenced_blocks_that_differ_are_invalid():
    draft = json.dumps(_qa(["yes"] * 10))
    final = json.dumps(_qa())
    _invalid(f"Draft:\n```json\n{draft}\n```\nCorrected:\n```json\n{final}\n```")
    _invalid(f"```json\n{final}\n```\nand a bare one {draft}")


def test_identical_candidate_sets_are_accepted_once():
    final = json.dumps(_qa())
    got = parse_qa_reply(f"```json\n{final}\n```\nTo repeat: {final}", frames=FRAMES, ids=IDS)
    assert [got[k].answer for k in IDS] == MIXED


def test_ids_numbered_from_zero_are_invalid_not_shifted():
    shifted = [{**a, "question_id": a["question_id"] - 1} for a in _qa()]
    _invalid(shifted)


@pytest.mark.parametrize("edit", ["drop", "extra", "renumber"])
def test_missing_extra_or_renumbered_id_is_invalid(edit):
    items = _qa()
    if edit == "drop":
        items = items[:-1]
    elif edit == "extra":
        items.append({"question_id": 11, "answer": "no", "frame_index": None})
    else:
        items[3]["question_id"] = 12
    _invalid(items)


def test_one_malformed_item_invalidates_the_whole_reply():
    items = _qa()
    items[1]["answer"] = "N0"  # a malformed "no": keeping the rest would count only the yes answers
    _invalid(items)
    items = _qa()
    items[5] = "no"
    _invalid(items)


def test_yes_without_a_decisive_frame_is_invalid():
    items = _qa()
    items[0]["frame_index"] = None
    _invalid(items)
    items = _qa()
    del items[0]["frame_index"]
    _invalid(items)


@pytest.mark.parametrize("frame", [7, "7", 5.5, "five", True, -5])
def test_a_frame_that_was_not_shown_is_invalid(frame):
    items = _qa()
    items[0]["frame_index"] = frame
    _invalid(items)


def test_harmless_spelling_is_normalised():
    items = _qa()
    items[0].update(answer=" Yes. ", question_id="1", frame_index="5")
    items[1].update(answer="NO", question_id=2.0)
    items[2].update(answer="No (Visually Implausible)", frame_index=10.0)
    items[3].update(answer="yes", frame_index=" 15 ")
    got = parse_qa_reply(json.dumps({"results": items}), frames=FRAMES, ids=IDS)
    assert [got[k].answer for k in IDS] == MIXED
    assert (got[1].frame, got[3].frame, got[4].frame) == (5, 10, 15)


@pytest.mark.parametrize("spelling", ["yes!", "Yes..", "y", "yes, clearly", "no(visually implausible)", 1])
def test_other_spellings_are_not_guessed(spelling):
    items = _qa()
    items[1]["answer"] = spelling
    _invalid(items)


def test_wrappers_other_than_a_single_answers_or_results_key_are_invalid():
    _invalid({"results": _qa(), "note": "x"})
    _invalid({"data": _qa()})
    _invalid(_qa()[0])  # one bare item, no array


@pytest.mark.parametrize("garbage", ["[" * 100_000, '{"a": ' * 5000, "[1" + "0" * 5000 + "]", "", "]]}}"])
def test_hostile_garbage_is_invalid_not_a_crash(garbage):
    _invalid(garbage)
    _changes_invalid(garbage)


def test_prose_brackets_do_not_count_as_answer_sets():
    got = parse_qa_reply(f"I looked at frames [5, 10] and {{}}.\n{json.dumps(_qa())}", frames=FRAMES, ids=IDS)
    assert _yes_rate(got) == 0.3
    prose = "For question 3 the frame index is 5; the emergence frames are listed."  # words, not keys
    assert _yes_rate(parse_qa_reply(f"{prose}\n{json.dumps(_qa())}", frames=FRAMES, ids=IDS)) == 0.3
    assert parse_changes_reply(f"{prose}\n{json.dumps(CHANGES)}", frames=FRAMES).emergence == (5, 15)


# ------------------------------------------------------------------------------------- QA: retries
def test_invalid_reply_is_retried_whole_and_never_merged_across_attempts():
    first = _qa()[:6]  # slots 7-10 missing: the reply is invalid, its six answers are not kept
    second = _qa(["no"] * 10)
    out = _judge([first, second]).answer(_video(), 0)
    assert [a.answer for a in out.answers] == ["no"] * 10 and out.attempts == 2
    assert "no answer for question(s) [7, 8, 9, 10]" in out.errors[0]


def test_after_the_last_attempt_every_answer_of_the_call_is_missing():
    bad = _qa()
    bad[1]["answer"] = "N0"
    out = _judge([bad]).answer(_video(), 0)
    assert out.attempts == 3 and out.missing == 10 and len(out.errors) == 3


def test_a_malformed_no_no_longer_turns_the_video_into_a_perfect_score():
    """The issue's case: yes answers valid, the no answers malformed: IF was 1.0 and status scored."""
    bad = [a if a["answer"] == "yes" else {**a, "answer": "Nope"} for a in _qa()]
    judge = _judge([bad])
    video = _video()
    out = judge.answer(video, 0)
    scores = video_scores(out.answers, (), (), len(FRAMES) - 1)
    assert out.missing == 10 and scores["if"] is None and scores["kisa"] is None


def test_slots_come_from_the_suite_not_from_the_reply_order():
    items = list(reversed(_qa()))  # any order, the ids say which question
    out = _judge([items]).answer(_video(), 0)
    assert [a.slot for a in out.answers] == list(IDS) and [a.answer for a in out.answers] == MIXED


# ------------------------------------------------------------------------------------- changes: named cases
CHANGES = {"emergence": "yes", "emergence_frames": [5, 15], "emergence_reason": "a cup appears",
           "disappearance": "no", "disappearance_frames": [], "disappearance_reason": ""}


def _changes_invalid(reply) -> None:
    with pytest.raises(JudgeParseError):
        parse_changes_reply(reply if isinstance(reply, str) else json.dumps(reply), frames=FRAMES)


def test_changes_repeated_frame_or_key_is_invalid():
    _changes_invalid({**CHANGES, "emergence_frames": [5, 5, 15]})
    text = json.dumps(CHANGES).replace('"emergence_frames": [5, 15]',
                                       '"emergence_frames": [5, 15], "emergence_frames": []')
    _changes_invalid(text)


def test_changes_two_different_objects_are_invalid_identical_ones_accepted():
    clean = {**CHANGES, "emergence": "no", "emergence_frames": []}
    _changes_invalid(f"```json\n{json.dumps(CHANGES)}\n```\n```json\n{json.dumps(clean)}\n```")
    again = {**CHANGES, "emergence_reason": "worded differently"}
    got = parse_changes_reply(f"{json.dumps(CHANGES)}\n{json.dumps(again)}", frames=FRAMES)
    assert got.emergence == (5, 15)


def test_changes_harmless_spelling_is_normalised():
    got = parse_changes_reply(json.dumps({**CHANGES, "emergence": " Yes.", "emergence_frames": ["5", 15.0],
                                          "disappearance": "NO"}), frames=FRAMES)
    assert got.emergence == (5, 15) and got.disappearance == ()


@pytest.mark.parametrize("frames", [[0], [7], ["x"], [5.5], [True]])
def test_changes_frames_not_compared_are_invalid(frames):
    _changes_invalid({**CHANGES, "emergence_frames": frames})


def test_ambiguous_changes_reply_leaves_spi_missing_never_clean():
    clean = {**CHANGES, "emergence": "no", "emergence_frames": []}  # a clean "draft" first: read as SPI 1.0
    ambiguous = f"```json\n{json.dumps(clean)}\n```\n```json\n{json.dumps(CHANGES)}\n```"
    ch = _judge([_qa()], changes=ambiguous).changes(_video())
    assert ch.changes is None and ch.attempts == 3 and "different" in ch.errors[-1]


# ------------------------------------------------------------------------------------- hidden second sets
# A reply that reads as "all yes" (or "nothing appeared") may carry the judge's other answer in a shape the
# reader would skip: the reply then holds two answer sets and is ambiguous, whatever the second one's shape.
ALL_YES = json.dumps(_qa(["yes"] * 10))


@pytest.mark.parametrize("second", [
    "[{mixed}]",  # the set inside a list
    '{{"final_answers": {mixed}}}',  # under a key that is not a wrapper
    '{{"Results": {mixed}}}',  # a wrapper spelt otherwise
    '{{"results": {{"answers": {mixed}}}}}',  # wrappers nested
])
def test_a_second_answer_set_in_another_shape_makes_the_reply_invalid(second):
    _invalid(f"{ALL_YES}\nCorrection: {second.format(mixed=json.dumps(_qa()))}")
    _invalid(f"{second.format(mixed=json.dumps(_qa()))}\nOr rather: {ALL_YES}")


@pytest.mark.parametrize("broken", [
    '[{"question_id": 2, "answer": "no", "frame_index": null,}]',  # a trailing comma
    "[{'question_id': 2, 'answer': 'no', 'frame_index': None}]",  # Python, not JSON
    '{"question_id": 2, "answer": "no"',  # cut short
])
def test_an_answer_set_that_is_not_valid_json_makes_the_reply_invalid(broken):
    _invalid(f"{ALL_YES}\nActually: {broken}")
    _invalid(f"{broken}\n{ALL_YES}")


@pytest.mark.parametrize("extra", [{"final_answer": "no"}, {"Answer": "no"}, {"answer ": "no"},
                                   {"frame": None}, {"reason": "the door opens"}])
def test_keys_outside_the_answer_schema_make_the_reply_invalid(extra):
    # "yes" with a second answer beside it: which one did the judge mean? The schema has three keys only.
    _invalid([{**a, **extra} for a in _qa(["yes"] * 10)])


def test_a_reply_longer_than_any_answer_set_is_invalid():
    from intergeneval.judges.base import MAX_REPLY_CHARS

    valid = json.dumps(_qa())
    longest = "x" * (MAX_REPLY_CHARS - len(valid)) + valid
    assert _yes_rate(parse_qa_reply(longest, frames=FRAMES, ids=IDS)) == 0.3
    with pytest.raises(JudgeParseError, match=f"{MAX_REPLY_CHARS + 1} characters"):
        parse_qa_reply("x" * (MAX_REPLY_CHARS + 1 - len(valid)) + valid, frames=FRAMES, ids=IDS)
    _changes_invalid(" " * MAX_REPLY_CHARS + json.dumps(CHANGES))


CLEAN = {**CHANGES, "emergence": "no", "emergence_frames": []}


@pytest.mark.parametrize("second", [
    "[{flagged}]", '{{"final": {flagged}}}',
    '{{"Emergence_Frames": [5, 15], "Disappearance_Frames": []}}',
    '{{"emergence_frames": [5, 15],}}',  # not valid JSON
])
def test_changes_a_second_object_in_another_shape_or_unreadable_makes_the_reply_invalid(second):
    _changes_invalid(f"{json.dumps(CLEAN)}\nCorrection: {second.format(flagged=json.dumps(CHANGES))}")


@pytest.mark.parametrize("extra", [{"emergence_frames_corrected": [5, 15]}, {"Emergence_frames": [5, 15]},
                                   {"emergence_count": 2}])
def test_changes_keys_outside_the_schema_make_the_reply_invalid(extra):
    _changes_invalid({**CLEAN, **extra})


# ------------------------------------------------------------------------------------- fuzz
def _qa_edits(rng: random.Random, items: list[dict]) -> str:
    """One random malformation of a valid reply (structure or text), as a reply string."""
    items = [dict(a) for a in items]
    kind = rng.randrange(17)
    if kind >= 14:  # the visible set says yes; the judge's own answer hides in another shape, or beside
        yes = [{**a, "answer": "yes", "frame_index": 5} for a in items]
        own = json.dumps(items)
        if kind == 14:
            hidden = rng.choice([f"[{own}]", f'{{"final": {own}}}', f'{{"Answers": {own}}}'])
        elif kind == 15:
            hidden = own.replace("}", ",}", 1) if rng.random() < 0.5 else own.replace('"', "'")
        else:
            return json.dumps([{**y, rng.choice(["original", "Answer", "answer_2"]): a["answer"]}
                               for y, a in zip(yes, items, strict=True)])
        return f"{json.dumps(yes)}\n{hidden}" if rng.random() < 0.5 else f"{hidden}\n{json.dumps(yes)}"
    k = rng.randrange(len(items))
    if kind == 0:  # delete an item
        del items[k]
    elif kind == 1:  # duplicate an item, possibly flipped to yes
        dup = dict(items[k])
        if rng.random() < 0.7:
            dup.update(answer="yes", frame_index=rng.choice([5, None]))
        items.insert(rng.randrange(len(items) + 1), dup)
    elif kind == 2:  # change an id
        items[k]["question_id"] = rng.choice([0, 11, -1, items[rng.randrange(len(items))]["question_id"],
                                              str(items[k]["question_id"]), items[k]["question_id"] + 0.5])
    elif kind == 3:  # renumber from 0
        for a in items:
            a["question_id"] -= 1
    elif kind == 4:  # flip case / add harmless or harmful punctuation
        items[k]["answer"] = rng.choice([str.upper, str.title, lambda s: s + ".", lambda s: s + "!",
                                         lambda s: s.replace(" ", "")])(items[k]["answer"])
    elif kind == 5:  # drop or null a frame
        if rng.random() < 0.5:
            items[k].pop("frame_index")
        else:
            items[k]["frame_index"] = None
    elif kind == 6:  # a frame that was not shown, or as text
        items[k]["frame_index"] = rng.choice([7, 0, "5", "x", 5.0, 100])
    elif kind == 7:  # a malformed non-yes answer
        if items[k]["answer"] != "yes":
            items[k]["answer"] = rng.choice(["N0", "nope", "", None, 0, "false"])
    elif kind == 8:  # an item that is not an object
        items[k] = rng.choice(["yes", None, 1, [items[k]]])
    text = json.dumps(items)
    if kind == 9:  # a second fenced block, all yes (a "draft") before or after
        other = json.dumps([{**a, "answer": "yes", "frame_index": 5} for a in items])
        blocks = [f"```json\n{text}\n```", f"```json\n{other}\n```"]
        rng.shuffle(blocks)
        text = "\n".join(blocks)
    elif kind == 10:  # a repeated key inside one item
        i = text.find('"answer": "no"', rng.randrange(len(text)))
        if i >= 0:
            text = text[:i] + '"answer": "no", "answer": "yes", "frame_index": 5, ' + text[i:]
    elif kind == 11:  # junk around, or a wrapper
        text = rng.choice([f"Sure! {text} Hope it helps.", f'{{"results": {text}}}',
                           f'{{"answers": {text}, "x": 1}}', f"```\n{text}\n```", text + "]", "[" + text])
    elif kind == 12:  # delete a random span of characters
        i = rng.randrange(len(text))
        text = text[:i] + text[i + rng.randrange(1, 40):]
    elif kind == 13:  # duplicate a random span of characters
        i = rng.randrange(len(text))
        j = i + rng.randrange(1, 80)
        text = text[:j] + text[i:j] + text[j:]
    return text


def test_fuzz_no_accepted_qa_reply_scores_better_than_the_valid_reading():
    rng = random.Random(20240610)
    original = _qa()
    base = _yes_rate(parse_qa_reply(json.dumps(original), frames=FRAMES, ids=IDS))
    accepted = 0
    for _ in range(4000):
        reply = _qa_edits(rng, original)
        try:
            got = parse_qa_reply(reply, frames=FRAMES, ids=IDS)
        except JudgeParseError:
            continue
        accepted += 1
        assert set(got) == set(IDS)
        assert _yes_rate(got) <= base, reply
    assert 100 < accepted < 4000  # harmless edits are accepted, harmful ones are not


def _changes_edits(rng: random.Random, data: dict) -> str:
    """A random malformation of a valid changes reply. Removing one frame from a list is not in it: that
    gives another well-formed reply, which no validator can tell from a judge's honest answer."""
    data = json.loads(json.dumps(data))
    kind = rng.randrange(13)
    if kind >= 10:  # a clean object shown; the judge's own flags hide in another shape, or beside
        clean = {**data, "emergence": "no", "emergence_frames": [], "disappearance": "no",
                 "disappearance_frames": []}
        own = json.dumps(data)
        if kind == 10:
            hidden = rng.choice([f"[{own}]", f'{{"final": {own}}}', own.replace("_frames", "_Frames")])
        elif kind == 11:
            hidden = own.replace("}", ",}") if rng.random() < 0.5 else own.replace('"', "'")
        else:
            return json.dumps({**clean, **{f"{k}_frames_seen": data[f"{k}_frames"]
                                           for k in ("emergence", "disappearance")}})
        return f"{json.dumps(clean)}\n{hidden}" if rng.random() < 0.5 else f"{hidden}\n{json.dumps(clean)}"
    key = rng.choice(["emergence", "disappearance"])
    if kind == 0:  # repeat a frame
        frames = data[f"{key}_frames"] or [5]
        data[f"{key}_frames"] = frames + [rng.choice(frames)]
    elif kind == 1:  # a frame not compared, or as text
        data[f"{key}_frames"] = data[f"{key}_frames"] + [rng.choice([0, 7, "x", 5.5, 100, "15", 20.0])]
    elif kind == 2:  # drop a key or a whole list
        data.pop(rng.choice([key, f"{key}_frames", f"{key}_reason"]))
    elif kind == 3:  # flag case, or a flag that contradicts the list
        data[key] = rng.choice([str(data[key]).upper(), " Yes.", "no", "yes", "No.", "maybe", None])
    elif kind == 4:  # the list as something else
        data[f"{key}_frames"] = rng.choice([None, "5, 15", {"5": True}, 5])
    text = json.dumps(data)
    if kind == 5:  # a second block claiming a clean video
        clean = {**data, "emergence": "no", "emergence_frames": [], "disappearance": "no",
                 "disappearance_frames": []}
        blocks = [f"```json\n{text}\n```", f"```json\n{json.dumps(clean)}\n```"]
        rng.shuffle(blocks)
        text = "\n".join(blocks)
    elif kind == 6:  # a repeated key, the empty list second
        text = text.replace(f'"{key}_frames": ', f'"{key}_frames": [], "{key}_frames": ', 1)
    elif kind == 7:  # junk around
        text = rng.choice([f"Here: {text}", f"```\n{text}\n```", text + "}", f"{{{text}"])
    elif kind == 8:  # truncate
        text = text[: rng.randrange(len(text))]
    elif kind == 9:  # duplicate a span of characters
        i = rng.randrange(len(text))
        j = i + rng.randrange(1, 60)
        text = text[:j] + text[i:j] + text[j:]
    return text


def test_fuzz_no_accepted_changes_reply_flags_fewer_frames():
    rng = random.Random(7)
    original = {**CHANGES, "disappearance": "yes", "disappearance_frames": [10]}
    got = parse_changes_reply(json.dumps(original), frames=FRAMES)
    base = len(got.emergence) + len(got.disappearance)
    accepted = 0
    for _ in range(3000):
        reply = _changes_edits(rng, original)
        try:
            got = parse_changes_reply(reply, frames=FRAMES)
        except JudgeParseError:
            continue
        accepted += 1
        assert len(got.emergence) + len(got.disappearance) >= base, reply
    assert 50 < accepted < 3000
