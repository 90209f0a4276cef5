"""Reply grammars accept exactly the replies the validators accept, in the fixed layout."""

from __future__ import annotations

import json
import random

import pytest

from intergeneval import config
from intergeneval.errors import JudgeParseError
from intergeneval.judges.base import parse_changes_reply, parse_qa_reply
from intergeneval.judges.reply_grammar import (
    Grammar,
    TokenTrie,
    changes_grammar,
    qa_grammar,
    verify_grammar,
)

FRAMES = (0, 5, 10, 15, 20, 48)


def _qa(answers, frames):
    return json.dumps([{"question_id": k + 1, "answer": a, "frame_index": f}
                       for k, (a, f) in enumerate(zip(answers, frames, strict=True))])


def _changes(e, d):
    return json.dumps({"emergence": "yes" if e else "no", "emergence_frames": e, "emergence_reason": "",
                       "disappearance": "yes" if d else "no", "disappearance_frames": d,
                       "disappearance_reason": ""})


def test_qa_grammar_accepts_random_valid_replies_and_they_validate():
    g = Grammar(qa_grammar(frames=FRAMES))
    rng = random.Random(0)
    for _ in range(50):
        answers = [rng.choice(config.ANSWERS) for _ in range(10)]
        reply = _qa(answers, [rng.choice(FRAMES if a == "yes" else (None, *FRAMES)) for a in answers])
        assert g.accepts(reply)
        assert len(parse_qa_reply(reply, frames=FRAMES)) == 10


def test_qa_grammar_and_validator_agree_on_replies_in_the_fixed_layout():
    g = Grammar(qa_grammar(frames=FRAMES))
    rng = random.Random(1)
    for _ in range(300):  # yes with null, frames not shown: the grammar never writes what the validator refuses
        answers = [rng.choice(config.ANSWERS) for _ in range(10)]
        reply = _qa(answers, [rng.choice((None, 7, *FRAMES)) for _ in range(10)])
        try:
            parse_qa_reply(reply, frames=FRAMES)
            valid = True
        except JudgeParseError:
            valid = False
        assert g.accepts(reply) == valid, reply


@pytest.mark.parametrize("bad", [
    _qa(["yes"] * 9, [0] * 9),                                      # a slot short
    _qa(["yes"] * 10, [0] * 9 + [7]),                                # frame not shown
    _qa(["yes"] * 9 + ["maybe"], [0] * 10),                          # unknown answer
    _qa(["yes"] * 10, [0] * 10).replace('"question_id": 2', '"question_id": 3'),  # out of order
    _qa(["yes"] * 10, [0] * 10) + " ",                               # trailing text
    _qa(["yes"] * 10, [0] * 9 + [None]),                             # a yes without its frame
])
def test_qa_grammar_rejects_invalid_replies(bad):
    assert not Grammar(qa_grammar(frames=FRAMES)).accepts(bad)


def test_changes_grammar_accepts_increasing_lists_that_agree_with_flags():
    g = Grammar(changes_grammar(frames=FRAMES))
    for e, d in [([], []), ([5], []), ([5, 10, 48], [20]), ([48], [5, 10, 15, 20, 48])]:
        assert g.accepts(_changes(e, d))
        assert parse_changes_reply(_changes(e, d), frames=FRAMES).emergence == tuple(e)
    for e, d in [([10, 5], []), ([0], []), ([7], []), ([5, 5], [])]:
        assert not g.accepts(_changes(e, d))
    contradict = _changes([], []).replace('"emergence": "no"', '"emergence": "yes"')
    assert not g.accepts(contradict)
    with pytest.raises(JudgeParseError):
        parse_changes_reply(contradict, frames=FRAMES)


def test_changes_grammar_with_only_frame_zero_allows_only_no():
    g = Grammar(changes_grammar(frames=(0,)))
    assert g.accepts(_changes([], [])) and not g.accepts(_changes([5], []))


def test_verify_grammar_has_one_score_per_candidate_per_object():
    g = Grammar(verify_grammar(n_objects=2, n_candidates=3))
    good = json.dumps([{"object": 1, "scores": [0.0, 0.5, 1.0]}, {"object": 2, "scores": [0.1, 0.2, 0.3]}])
    assert g.accepts(good)
    assert not g.accepts(good.replace("0.3", "0.35"))
    short = [{"object": 1, "scores": [0.0, 0.5]}, {"object": 2, "scores": [0.1, 0.2, 0.3]}]
    assert not g.accepts(json.dumps(short))


def test_longest_bounds_every_accepted_reply():
    g = Grammar(qa_grammar(frames=FRAMES))
    longest = _qa(["no (visually implausible)"] * 10, [None] * 10)  # "null" is the longest frame
    assert g.accepts(longest) and g.longest() == len(longest)


class _Tok:
    """A toy tokenizer: a few multi-character pieces and an end token."""

    pieces = ['[{"question_id": ', "1", ", ", '"answer": ', '"yes"', '"no"', '"frame_index": ', "null", "5",
              "}]", "}", "yes", "maybe", "\ufffd"]
    all_special_ids = [len(pieces)]
    added_tokens_decoder = {}

    def __len__(self):
        return len(self.pieces) + 1

    def decode(self, ids, **_):
        return "".join("<eos>" if i == len(self.pieces) else self.pieces[i] for i in ids)


def test_token_trie_allows_exactly_the_tokens_that_continue_a_valid_reply():
    tok = _Tok()
    trie = TokenTrie(tok, eos_ids=[len(tok.pieces)])
    g = Grammar(qa_grammar(frames=(0, 5), slots=(1,)))
    state = g.start
    assert [tok.pieces[i] for i in trie.allowed(g, state)] == ['[{"question_id": ']
    state = g.feed(state, '[{"question_id": 1, "answer": ')
    assert sorted(tok.pieces[i] for i in trie.allowed(g, state)) == ['"no"', '"yes"']
    no = g.feed(state, '"no", "frame_index": ')
    assert sorted(tok.pieces[i] for i in trie.allowed(g, no)) == ["5", "null"]
    state = g.feed(state, '"yes", "frame_index": ')
    assert sorted(tok.pieces[i] for i in trie.allowed(g, state)) == ["5"]  # a yes names its frame
    state = g.feed(state, "5}]")
    assert trie.allowed(g, state) == [len(tok.pieces)]  # only the end token once complete
