"""Per-video metrics against a naive implementation written separately from the protocol text; edge cases."""

from __future__ import annotations

import random

import pytest

from intergeneval.metrics import interaction_fidelity, kisa, kisa_spi, sgi, sgi_spi, spi, video_scores
from intergeneval.records import Answer

YES, NO, IMPL = "yes", "no", "no (visually implausible)"


# ------------------------------------------------------------------ naive reference, from Part I's wording
def naive_video(interactions, emergence, disappearance, compared, lam=5):
    """interactions: list of {slot: answer or None}; emergence/disappearance: frame lists or None."""
    k_yes = k_all = g_yes = g_all = 0
    for ki in interactions:
        for slot, ans in ki.items():
            if ans is None:
                continue
            if slot <= 6:
                k_all += 1
                k_yes += ans == "yes"
            else:
                g_all += 1
                g_yes += ans == "yes"
    K = k_yes / k_all if k_all else None
    S = g_yes / g_all if g_all else None
    if emergence is None or compared == 0:
        P = None
    else:
        e = len(set(emergence))
        d = len(set(disappearance))
        P = ((1 - lam * e / compared) + (1 - lam * d / compared)) / 2
    KP = K * P if K is not None and P is not None else None
    SP = S * P if S is not None and P is not None else None
    IF = (KP + SP) / 2 if KP is not None and SP is not None else None
    return {"kisa": K, "sgi": S, "spi": P, "kisa_spi": KP, "sgi_spi": SP, "if": IF}


def _as_answers(interactions):
    return [Answer(slot, ans) for ki in interactions for slot, ans in ki.items()]


def _random_case(rng: random.Random):
    n_ki = rng.randint(1, 3)
    p_missing = rng.choice([0.0, 0.1, 0.5, 1.0])
    interactions = [
        {slot: None if rng.random() < p_missing else rng.choice([YES, NO, IMPL]) for slot in range(1, 11)}
        for _ in range(n_ki)
    ]
    frames_total = rng.choice([1, 2, 7, 49, 81, 100])
    sampled = sorted({0, *range(5, frames_total - 1, 5), frames_total - 1})
    compared = len(sampled) - 1
    if rng.random() < 0.15:
        return interactions, None, None, compared
    pool = sampled[1:]
    emergence = [rng.choice(pool) for _ in range(rng.randint(0, len(pool)))] if pool else []
    disappearance = rng.sample(pool, rng.randint(0, len(pool))) if pool else []
    return interactions, emergence, disappearance, compared


def _close(a, b):
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_random_cases_match_naive_reference():
    rng = random.Random(20251007)
    checked = 0
    for _ in range(600):
        interactions, em, di, compared = _random_case(rng)
        got = video_scores(_as_answers(interactions), em, di, compared)
        want = naive_video(interactions, em, di, compared)
        for m, v in want.items():
            assert _close(got[m], v), (m, got[m], v, interactions, em, di, compared)
        checked += 1
    assert checked == 600


def test_random_cases_cover_the_interesting_regions():
    # The generator must actually reach the edge regions the comparison is meant to cover.
    rng = random.Random(20251007)
    seen = set()
    for _ in range(600):
        interactions, em, di, compared = _random_case(rng)
        s = naive_video(interactions, em, di, compared)
        seen.add("no_kisa" if s["kisa"] is None else "kisa")
        seen.add("spi_none" if s["spi"] is None else ("spi_neg" if s["spi"] < 0 else "spi_nonneg"))
        seen.add("several_ki" if len(interactions) > 1 else "one_ki")
    assert seen == {"no_kisa", "kisa", "spi_none", "spi_neg", "spi_nonneg", "several_ki", "one_ki"}


# ------------------------------------------------------------------------------------------- edge cases
def _full(answer):
    return [Answer(s, answer) for s in range(1, 11)]


def test_nothing_flagged_gives_spi_one_and_if_the_mean_of_kisa_and_sgi():
    answers = [Answer(s, YES if s in (1, 2, 3, 7) else NO) for s in range(1, 11)]
    s = video_scores(answers, [], [], 10)
    assert s["spi"] == 1.0
    assert s["kisa"] == 0.5 and s["sgi"] == 0.25
    assert s["if"] == (0.5 + 0.25) / 2


def test_everything_flagged_is_unclipped():
    frames = list(range(5, 50, 5))[:9] + [48]
    s = video_scores(_full(YES), frames, frames, 10)
    assert s["spi"] == 1 - 5.0
    assert s["kisa_spi"] == -4.0 and s["if"] == -4.0


def test_f_zero_leaves_spi_and_if_missing_but_keeps_kisa():
    s = video_scores(_full(YES), [], [], 0)
    assert s["spi"] is None and s["if"] is None and s["kisa_spi"] is None
    assert s["kisa"] == 1.0 and s["sgi"] == 1.0
    assert spi(0, 0, 0) is None


def test_failed_emergence_call_is_missing_never_perfect():
    s = video_scores(_full(YES), None, None, 10)
    assert s["spi"] is None and s["if"] is None
    assert s["emergence_frames_count"] is None and s["disappearance_frames_count"] is None


def test_missing_answers_leave_numerator_and_denominator():
    answers = [Answer(1, YES), Answer(2, None), Answer(3, NO), Answer(7, None), Answer(8, YES)]
    s = video_scores(answers, [], [], 10)
    assert s["kisa"] == 0.5  # 1 yes of 2 answered; slot 2 is out
    assert s["sgi"] == 1.0
    assert s["missing_answers"] == 2 and s["answered"] == 3


def test_all_answers_missing_gives_none_not_zero_or_one():
    answers = [Answer(s, None) for s in range(1, 11)]
    assert kisa(answers) is None and sgi(answers) is None
    s = video_scores(answers, [], [], 10)
    assert s["if"] is None and s["spi"] == 1.0


def test_only_grounding_answered_leaves_kisa_missing():
    answers = [Answer(s, None) for s in range(1, 7)] + [Answer(s, YES) for s in range(7, 11)]
    s = video_scores(answers, [], [], 10)
    assert s["kisa"] is None and s["sgi"] == 1.0 and s["if"] is None and s["sgi_spi"] == 1.0


def test_negative_spi_makes_products_negative():
    value = spi(4, 2, 10)  # E = -1, D = 0
    assert value == pytest.approx(-0.5)
    assert kisa_spi(0.5, value) == pytest.approx(-0.25)
    assert sgi_spi(1.0, value) == pytest.approx(-0.5)
    assert interaction_fidelity(0.5, 1.0, value) == pytest.approx(-0.375)


def test_several_key_interactions_are_pooled_not_averaged():
    first = [Answer(s, YES) for s in range(1, 7)]
    second = [Answer(1, NO), Answer(2, NO)] + [Answer(s, None) for s in range(3, 7)]
    # pooled: 6 yes / 8 answered; the mean of per-interaction rates would be (1 + 0) / 2
    assert kisa(first + second) == 0.75


def test_all_answers_implausible():
    s = video_scores(_full(IMPL), [], [], 10)
    assert s["kisa"] == 0.0 and s["sgi"] == 0.0 and s["if"] == 0.0
    assert s["implausible"] == 10 and s["answered"] == 10 and s["yes"] == 0


def test_duplicate_frames_count_once():
    assert video_scores(_full(YES), [5, 5, 10], [], 10)["emergence_frames_count"] == 2


def test_spi_reference_operation_order_is_bit_exact():
    # The reference computes 1 - 5 * (e / F); (5 * e) / F differs in the last bit for e = 1, F = 3.
    assert spi(1, 0, 3) == (1 - 5 * (1 / 3) + 1) / 2
    assert 5 * (1 / 3) != 5 / 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((11, 0, 10), "emergence must be an integer in 0..num_frames (0..10), but got 11"),
        ((0, -1, 10), "disappearance must be an integer in 0..num_frames (0..10), but got -1"),
        ((1, 0, 0), "emergence must be an integer in 0..num_frames (0..0), but got 1"),
        ((0, 0, -3), "num_frames must be a non-negative integer, but got -3"),
        ((0.5, 0, 10), "emergence must be an integer in 0..num_frames (0..10), but got 0.5"),
        ((True, 0, 10), "emergence must be an integer in 0..num_frames (0..10), but got True"),
    ],
)
def test_spi_rejects_bad_arguments_with_exact_messages(args, message):
    with pytest.raises(ValueError) as info:
        spi(*args)
    assert str(info.value) == message


def test_spi_rejects_bad_penalty():
    with pytest.raises(ValueError, match="penalty must be a finite number >= 0, but got -1"):
        spi(0, 0, 10, penalty=-1)


def test_spi_penalty_is_a_parameter():
    assert spi(1, 1, 10, penalty=1.0) == pytest.approx(0.9)


def test_bad_answers_are_rejected_not_guessed():
    with pytest.raises(ValueError, match="slot 3 must be one of"):
        kisa([Answer(3, "Yes")])
    with pytest.raises(ValueError, match=r"slot must be an integer in 1..10, but got 0"):
        sgi([Answer(0, YES)])


def test_one_missing_frame_list_is_an_error():
    with pytest.raises(ValueError, match="both be None"):
        video_scores(_full(YES), None, [], 10)


def test_frame_zero_cannot_be_flagged():
    with pytest.raises(ValueError, match="frame 0 is the reference"):
        video_scores(_full(YES), [0], [], 10)


def test_more_distinct_flagged_frames_than_compared_is_an_error():
    with pytest.raises(ValueError, match="emergence must be an integer"):
        video_scores(_full(YES), [5, 10, 15], [], 2)
