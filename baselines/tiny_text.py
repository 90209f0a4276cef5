"""Tiny tokenizers built offline for the tiny baselines: real `transformers` tokenizer classes, small vocabularies.

Example:
    >>> tok = t5_tokenizer()
    >>> tok("A man opens the fridge").input_ids[-1] == tok.eos_token_id
    True

Every character of printable ASCII is a piece, so any prompt tokenizes without unknown tokens; common
words of the suite's prompts are whole pieces, so prompts stay short.
"""

from __future__ import annotations

import string
from typing import Any

#: Words that become single pieces (the rest of a prompt falls back to characters).
_WORDS = (
    "a an the of and with to in on at into onto from over by his her its their is are man woman boy girl child "
    "person dog cat horse ball box door hand hands arm arms head table chair water tree grass floor wall red "
    "green blue yellow white black grey brown orange pink purple opens pushes pulls lifts carries holds hugs "
    "throws catches waves walks runs picks puts takes gives shakes touches"
).split()
_CHARS = string.ascii_letters + string.digits + string.punctuation


def t5_tokenizer() -> Any:
    """A `T5Tokenizer` (Unigram, SentencePiece-style `▁` word starts) with pad 0, eos 1, unk 2."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [("▁" + w, -1.0) for w in _WORDS]
    pieces += [(c, -5.0) for c in _CHARS] + [("▁" + c, -4.0) for c in _CHARS]
    tok = Tokenizer(models.Unigram(pieces, unk_id=2, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return T5Tokenizer(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", extra_ids=0)


def bpe_tokenizer(cls: Any, special: list[str], corpus: list[str], vocab_size: int = 400, **kwargs: Any) -> Any:
    """A byte-level BPE tokenizer of class `cls` (e.g. `LlamaTokenizer`, `CLIPTokenizer`) trained on `corpus`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(corpus + [" ".join(_WORDS)] * 4, trainer)
    return cls(tokenizer_object=bpe, **kwargs)
