"""Schema-constrained decoding: reply grammars per request kind, and the token mask that enforces them.

A grammar is a small character automaton that accepts exactly the replies of one request in one fixed
layout: for "qa", a JSON array answering slots 1–10 in order, each answer one of the three allowed, each
frame one of the shown frames (or null after a "no"); for "changes", the emergence/disappearance object
whose frame lists are increasing lists of compared frames that agree with their yes/no flags; for "verify",
one score list per object. `ReplyConstraint` masks the logits so that generation can only continue a valid
reply and ends it with an end-of-sequence token. Then even a random model's reply validates (it is
meaningless, not invalid), and a real model's reply always parses. Reasons are left empty ("") under the constraint.

Example:
    >>> g = Grammar(qa_grammar(frames=(0, 5), slots=(1,)))
    >>> g.accepts('[{"question_id": 1, "answer": "no (visually implausible)", "frame_index": 5}]')
    True
    >>> g.accepts('[{"question_id": 1, "answer": "maybe", "frame_index": 5}]')
    False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import config

#: A grammar expression: a literal string, a sequence (list), an alternative ("alt", [expr, ...]), or
#: a non-empty strictly increasing list of integers ("inc", [values]).
Expr = Any
SCORES = tuple(f"{k / 10:.1f}" for k in range(11))
_ALL_SLOTS = tuple(range(1, config.NUM_SLOTS + 1))


def alt(*options: Expr) -> tuple[str, list[Expr]]:
    """An alternative between expressions."""
    return ("alt", list(options))


def increasing(values: Sequence[int]) -> tuple[str, list[int]]:
    """`[a, b, ...]`: at least one element, strictly increasing, taken from `values`."""
    return ("inc", sorted(set(values)))


def qa_grammar(*, frames: Sequence[int], slots: Sequence[int] = _ALL_SLOTS) -> Expr:
    """Replies to a QA call: every slot answered in order, frames among those shown; null only after a "no"
    (a "yes" names the frame that shows it, as the validator requires)."""
    shown = [str(f) for f in sorted(set(frames))]
    answer = alt(*[[f'"{a}", "frame_index": ', alt(*shown) if a == "yes" else alt("null", *shown)]
                   for a in config.ANSWERS])
    items = []
    for k, slot in enumerate(slots):
        items += [", " if k else "", f'{{"question_id": {slot}, "answer": ', answer, "}"]
    return ["[", *items, "]"]


def changes_grammar(*, frames: Sequence[int]) -> Expr:
    """Replies to an emergence/disappearance call; flags agree with their frame lists."""
    compared = [f for f in frames if f != 0]
    parts: list[Expr] = ["{"]
    for k, kind in enumerate(("emergence", "disappearance")):
        no = f'"no", "{kind}_frames": []'
        flagged = alt(no, [f'"yes", "{kind}_frames": ', increasing(compared)]) if compared else no
        parts += [", " if k else "", f'"{kind}": ', flagged, f', "{kind}_reason": ""']
    return [*parts, "}"]


def verify_grammar(*, n_objects: int, n_candidates: int) -> Expr:
    """Replies to a verification call: one score 0.0–1.0 per candidate for each object, in order."""
    score = alt(*SCORES)
    items = []
    for k in range(n_objects):
        row = [part for j in range(n_candidates) for part in ((", " if j else ""), score)]
        items += [", " if k else "", f'{{"object": {k + 1}, "scores": [', *row, "]}"]
    return ["[", *items, "]"]


class Grammar:
    """A character automaton compiled from an expression; states are frozensets of NFA nodes.

    Steps are memoised, so walking the same states again (as the token search does) costs a dict lookup.
    """

    def __init__(self, expr: Expr):
        self._chars: list[dict[str, list[int]]] = []  # node -> char -> next nodes
        self._eps: list[list[int]] = []
        start, self._accept = self._compile(expr)
        self.start = self._closure({start})
        self._memo: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._longest: int | None = None

    # -- building -------------------------------------------------------------------------------------
    def _node(self) -> int:
        self._chars.append({})
        self._eps.append([])
        return len(self._chars) - 1

    def _compile(self, expr: Expr) -> tuple[int, int]:
        if isinstance(expr, str):
            start = cur = self._node()
            for ch in expr:
                nxt = self._node()
                self._chars[cur].setdefault(ch, []).append(nxt)
                cur = nxt
            return start, cur
        if isinstance(expr, tuple) and expr and expr[0] == "alt":
            start, end = self._node(), self._node()
            for option in expr[1]:
                s, e = self._compile(option)
                self._eps[start].append(s)
                self._eps[e].append(end)
            return start, end
        if isinstance(expr, tuple) and expr and expr[0] == "inc":
            return self._compile_increasing(expr[1])
        if isinstance(expr, list):
            start = cur = self._node()
            for part in expr:
                s, e = self._compile(part)
                self._eps[cur].append(s)
                cur = e
            return start, cur
        raise TypeError(f"not a grammar expression: {expr!r}")

    def _compile_increasing(self, values: list[int]) -> tuple[int, int]:
        # after[i]: values[i] was just written; from there "]" ends the list, ", " + a larger value goes on.
        # Built directly (not from nested alternatives, which would copy each tail once per path).
        start, end = self._node(), self._node()
        after = [self._node() for _ in values]
        for i, v in enumerate(values):
            s, e = self._compile("[" + str(v))
            self._eps[start].append(s)
            self._eps[e].append(after[i])
            s, e = self._compile("]")
            self._eps[after[i]].append(s)
            self._eps[e].append(end)
            for j in range(i + 1, len(values)):
                s, e = self._compile(", " + str(values[j]))
                self._eps[after[i]].append(s)
                self._eps[e].append(after[j])
        return start, end

    def _closure(self, nodes: set[int]) -> frozenset[int]:
        todo, seen = list(nodes), set(nodes)
        while todo:
            for m in self._eps[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return frozenset(seen)

    # -- running --------------------------------------------------------------------------------------
    def step(self, state: frozenset[int], ch: str) -> frozenset[int]:
        """The state after reading `ch` (empty when `ch` cannot continue a valid reply)."""
        key = (state, ch)
        got = self._memo.get(key)
        if got is None:
            nxt = {m for n in state for m in self._chars[n].get(ch, ())}
            got = self._memo[key] = self._closure(nxt) if nxt else frozenset()
        return got

    def feed(self, state: frozenset[int], text: str) -> frozenset[int]:
        """The state after reading `text`."""
        for ch in text:
            state = self.step(state, ch)
            if not state:
                break
        return state

    def is_final(self, state: frozenset[int]) -> bool:
        """True when the text read so far is a complete reply."""
        return self._accept in state

    def can_continue(self, state: frozenset[int]) -> bool:
        """True when some character may still follow."""
        return any(self._chars[n] for n in state)

    def accepts(self, text: str) -> bool:
        """True when `text` is a complete valid reply."""
        return self.is_final(self.feed(self.start, text))

    def longest(self) -> int:
        """Length in characters of the longest valid reply (the automaton is acyclic)."""
        if self._longest is None:
            memo: dict[int, int] = {}
            order: list[tuple[int, bool]] = [(0, False)]
            # iterative post-order over the DAG (recursion would overflow on long literals)
            while order:
                n, done = order.pop()
                if n in memo:
                    continue
                succ = [(m, 1) for nxt in self._chars[n].values() for m in nxt]
                succ += [(m, 0) for m in self._eps[n]]
                if done:
                    memo[n] = max((memo[m] + w for m, w in succ), default=0)
                    continue
                order.append((n, True))
                order += [(m, False) for m, _ in succ if m not in memo]
            self._longest = memo[0]
        return self._longest


class TokenTrie:
    """The vocabulary as a character trie, built once per tokenizer, to find the tokens a state allows.

    Special tokens are left out (only the end-of-sequence ids may end a reply); so are tokens whose text is
    not whole (a piece of a multi-byte character), since replies are plain ASCII.
    """

    def __init__(self, tokenizer: Any, eos_ids: Sequence[int]):
        self.eos_ids = sorted(set(eos_ids))
        special = set(getattr(tokenizer, "all_special_ids", ())) | set(self.eos_ids)
        special |= set(getattr(tokenizer, "added_tokens_decoder", {}))
        self.text: dict[int, str] = {}
        self._root: dict[str, Any] = {}
        for i in range(len(tokenizer)):
            if i in special:
                continue
            s = tokenizer.decode([i], clean_up_tokenization_spaces=False)
            if not s or "\ufffd" in s:
                continue
            self.text[i] = s
            node = self._root
            for ch in s:
                node = node.setdefault(ch, {})
            node.setdefault("", []).append(i)  # "" holds the ids ending here (no token text is empty)

    def allowed(self, grammar: Grammar, state: frozenset[int]) -> list[int]:
        """Token ids whose text keeps the reply valid from `state` (EOS ids once it is complete)."""
        out = list(self.eos_ids) if grammar.is_final(state) else []
        stack = [(self._root, state)]
        while stack:
            node, st = stack.pop()
            for ch, child in node.items():
                if ch == "":
                    continue
                nxt = grammar.step(st, ch)
                if nxt:
                    out += child.get("", ())
                    stack.append((child, nxt))
        return out


class ReplyConstraint:
    """A transformers logits processor that keeps each generated reply of a batch inside its grammar.

    Args:
        grammars: one grammar per batch row (None leaves that row unconstrained).
        trie: the tokenizer's `TokenTrie`.
        prompt_length: number of prompt tokens (generated ids start after the, possibly padded, prompt).
    """

    def __init__(self, grammars: Sequence[Grammar | None], trie: TokenTrie, prompt_length: int):
        self.grammars, self.trie, self.prompt_length = list(grammars), trie, prompt_length
        self._states = [g.start if g is not None else None for g in self.grammars]
        self._consumed = 0
        self._allowed: dict[tuple[int, frozenset[int]], Any] = {}

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if input_ids.shape[0] != len(self.grammars):
            raise ValueError(f"ReplyConstraint has {len(self.grammars)} grammars for {input_ids.shape[0]} "
                             "rows")
        new = input_ids[:, self.prompt_length + self._consumed :].tolist()
        self._consumed += len(new[0]) if new else 0
        out = scores.clone()
        for row, (grammar, toks) in enumerate(zip(self.grammars, new, strict=True)):
            if grammar is None:
                continue
            state = self._states[row]
            for tok in toks:
                state = grammar.feed(state, self.trie.text.get(tok, "\0")) if state else state
            self._states[row] = state
            key = (id(grammar), state)
            allowed = self._allowed.get(key)
            if allowed is None:
                ids = self.trie.allowed(grammar, state) if state else list(self.trie.eos_ids)
                allowed = self._allowed[key] = torch.tensor(sorted(set(ids)), dtype=torch.long)
            idx = allowed.to(scores.device)
            out[row] = float("-inf")
            out[row, idx] = scores[row, idx]
        return out


def grammar_for(
    kind: str, *, frames: Sequence[int], slots: Sequence[int] = (), n_objects: int = 0
) -> Expr | None:
    """The grammar of a request kind, or None for kinds without one."""
    if kind == "qa":
        return qa_grammar(frames=frames, slots=slots or tuple(range(1, config.NUM_SLOTS + 1)))
    if kind == "changes":
        return changes_grammar(frames=frames)
    if kind == "verify":
        return verify_grammar(n_objects=n_objects, n_candidates=len(frames))
    return None
