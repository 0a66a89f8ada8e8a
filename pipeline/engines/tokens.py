"""Tokenizers as the engines use them, and copies the CTranslate2 engine runs without
transformers (and so without torch).

An engine needs four things of a model's tokenizer: the input tokens of each text
(special tokens included; their number is what batches and segments are cut by), the id
of a token and the token of an id (decoding settings name ids, CTranslate2 speaks
tokens), and the text of output ids. :class:`HFCodec` answers them with the model's own
Hugging Face tokenizer. But importing transformers pulls in torch (about 230 MB
resident), which the CTranslate2 engine otherwise never runs, so when a model is
converted :func:`save_tokenizer` writes a copy into the converted folder that
:func:`load_tokenizer` reads with the ``sentencepiece`` or ``tokenizers`` library alone:

* SentencePiece Marian tokenizers (opus-mt): the two ``.spm`` files and the vocabulary,
  used the way transformers' ``MarianTokenizer`` uses them (added tokens kept whole, a
  leading ``>>xx<<`` language code, pieces outside the vocabulary as ``<unk>``, the end
  token appended; decoding with the source model when the vocabulary is shared, as it does);
* ``tokenizers``-library tokenizers (BART and every other "fast" one): their
  ``tokenizer.json``.

A copy is kept only if it gives the same tokens and texts as the transformers tokenizer
on :data:`PROBES` and a spread of ids; a tokenizer of another kind, or one whose copy
disagrees, is loaded through transformers at run time (logged), so outputs never change.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["PROBES", "TEXT_AS_TEXT", "HFCodec", "TextCodec", "load_tokenizer", "save_tokenizer"]

log = logging.getLogger("it2en.engines")

PROBES = (
    "Il Consiglio dei ministri ha approvato ieri il decreto: 1.250 milioni di euro (+3,5%).",
    "«Non è così», ha detto l’assessore; poi, alle 18:30, è tornato in aula — senza commenti…",
    "The mayor said on Monday that 12,000 people had left the city.",
    "  spazi   doppi\tuna tabulazione\ne un a capo  ",
    "PERCHÉ CITTÀ àèéìòù ÀÈÉÌÒÙ ç € $ ° @ # & / \\ | [ ] { } < > = + * _ ~ ^ 🙂 日本",
    "testo con </s> e <unk> e <pad> e <s> letterali dentro, <mask> compreso",
    ">>ita<< un codice di lingua in testa",
    "Sì , no . Davvero ? Basta ! L' uomo , it's , don't , I 'm , we 're , they 've",
    "",
)
"""Texts on which a tokenizer copy must agree with transformers before it is used."""
TEXT_AS_TEXT = {"add_special_tokens": True, "split_special_tokens": True}
"""How a document's text is tokenized on every engine: a special token's text typed in a
document (``<pad>``, ``<mask>``, ``</s>``) is ordinary text, split into pieces as any
other word, never the token itself (``<mask>`` as a token is an id past distilbart's
embedding rows: an index error that would fail a whole batch)."""


class TextCodec(Protocol):
    """What an engine needs of a tokenizer."""

    model_max_length: int | None
    """The tokenizer's own input limit, as it states it (see
    :func:`~pipeline.engines.hf.input_limit` for the "no limit" placeholders)."""

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """The input tokens of each text, special tokens included, never truncated."""
        ...

    def count(self, texts: Sequence[str]) -> list[int]:
        """The number of :meth:`tokens` of each text."""
        ...

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """The ids of output tokens."""
        ...

    def token(self, index: int) -> str:
        """The token of an id (decoding settings name ids)."""
        ...

    def texts(self, ids: Sequence[Sequence[int]]) -> list[str]:
        """The text of each output, special tokens skipped, surrounding space stripped."""
        ...


class HFCodec:
    """A Hugging Face tokenizer as a :class:`TextCodec`: the reference the copies match."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        self.model_max_length = getattr(tokenizer, "model_max_length", None)

    def input_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The input ids of each text, special tokens included, never truncated."""
        # verbose=False: counting over-long texts is the point, not a mistake to warn about.
        encoded = self.tokenizer(list(texts), truncation=False, verbose=False, **TEXT_AS_TEXT)
        return encoded["input_ids"]

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokenizer.convert_ids_to_tokens(ids) for ids in self.input_ids(texts)]

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.input_ids(texts)]

    def ids(self, tokens: Sequence[str]) -> list[int]:
        return self.tokenizer.convert_tokens_to_ids(list(tokens))

    def token(self, index: int) -> str:
        return self.tokenizer.convert_ids_to_tokens(index)

    def texts(self, ids: Sequence[Sequence[int]]) -> list[str]:
        decoded = self.tokenizer.batch_decode([list(row) for row in ids], skip_special_tokens=True)
        return [text.strip() for text in decoded]


class _Counted:
    """``count`` as the length of ``tokens``, for the copies."""

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        raise NotImplementedError

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in self.tokens(texts)]


class MarianCodec(_Counted):
    """A SentencePiece Marian tokenizer read from its files, without transformers."""

    def __init__(self, folder: Path, spec: dict[str, Any]):
        import sentencepiece

        def processor(name: str) -> Any:
            model = sentencepiece.SentencePieceProcessor()
            model.Load(str(folder / name))
            return model

        self._encoding = processor(spec["encode_spm"])
        self._decoding = processor(spec["decode_spm"])
        self._source = _read_json(folder / spec["vocab"])
        target = _read_json(folder / spec["target_vocab"]) if spec.get("target_vocab") else self._source
        self._target = target
        self._id_to_token = {index: token for token, index in target.items()}
        self._unk, self._eos = spec["unk"], spec["eos"]
        self._special_ids = set(spec["special_ids"])
        # Special tokens typed in a text are text (TEXT_AS_TEXT); other added tokens match.
        self._added = {t for t in spec["added"] if self._source.get(t) not in self._special_ids}
        # Added tokens are matched whole, the longest first where several start alike.
        pattern = "|".join(re.escape(t) for t in sorted(self._added, key=len, reverse=True))
        self._split = re.compile(f"({pattern})") if pattern else None
        self.model_max_length = spec.get("model_max_length")

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        return [self._text_tokens(text) for text in texts]

    def _text_tokens(self, text: str) -> list[str]:
        tokens: list[str] = []
        for part in self._split.split(text) if self._split else [text]:
            if part in self._added:
                tokens.append(part)
            elif part:
                code = []
                if part.startswith(">>") and (end := part.find("<<")) != -1:
                    code, part = [part[: end + 2]], part[end + 2 :]
                pieces = code + self._encoding.encode(part, out_type=str)
                tokens.extend(p if p in self._source else self._unk for p in pieces)
        tokens.append(self._eos)
        return tokens

    def ids(self, tokens: Sequence[str]) -> list[int]:
        unk = self._target[self._unk]
        return [self._target.get(token, unk) for token in tokens]

    def token(self, index: int) -> str:
        if index in self._id_to_token:
            return self._id_to_token[index]
        return self._decoding.IdToPiece(index) if 0 <= index < self._decoding.GetPieceSize() else self._unk

    def texts(self, ids: Sequence[Sequence[int]]) -> list[str]:
        out = []
        for row in ids:
            pieces = [self.token(int(i)) for i in row if int(i) not in self._special_ids]
            out.append(self._decoding.decode_pieces(pieces).replace("▁", " ").strip())
        return out


class FastCodec(_Counted):
    """A ``tokenizers``-library tokenizer read from its ``tokenizer.json``."""

    def __init__(self, folder: Path, spec: dict[str, Any]):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / spec["file"]))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._tokenizer.encode_special_tokens = True  # as TEXT_AS_TEXT: "<mask>" typed is text
        self._unk = spec.get("unk_id")
        self.model_max_length = spec.get("model_max_length")

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        return [e.tokens for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def ids(self, tokens: Sequence[str]) -> list[int]:
        found = [self._tokenizer.token_to_id(token) for token in tokens]
        return [int(self._unk or 0) if index is None else int(index) for index in found]

    def token(self, index: int) -> str:
        return str(self._tokenizer.id_to_token(index))

    def texts(self, ids: Sequence[Sequence[int]]) -> list[str]:
        rows = [[int(i) for i in row] for row in ids]
        return [text.strip() for text in self._tokenizer.decode_batch(rows, skip_special_tokens=True)]


_KINDS: dict[str, Callable[[Path, dict[str, Any]], TextCodec]] = {
    "marian": MarianCodec,
    "tokenizers": FastCodec,
}


def load_tokenizer(folder: Path, spec: dict[str, Any]) -> TextCodec:
    """The tokenizer copy described by ``spec`` (as :func:`save_tokenizer` returned it)
    from the files in ``folder``."""
    return _KINDS[spec["kind"]](folder, spec)


def save_tokenizer(tokenizer: Any, folder: Path) -> dict[str, Any] | None:
    """Write a copy of the Hugging Face ``tokenizer`` into ``folder`` that runs without
    transformers; return its description (JSON-ready) for :func:`load_tokenizer`, or None
    when the tokenizer is of another kind or the copy disagrees with it on the probes (the
    files written are then removed)."""
    reference = HFCodec(tokenizer)
    common = {"model_max_length": reference.model_max_length}
    written: list[Path] = []
    if hasattr(tokenizer, "backend_tokenizer"):
        written.append(folder / "tokenizer.json")
        tokenizer.backend_tokenizer.save(str(written[0]))
        spec = {"kind": "tokenizers", "file": "tokenizer.json", "unk_id": tokenizer.unk_token_id, **common}
    elif all(hasattr(tokenizer, a) for a in ("spm_files", "encoder", "separate_vocabs")):
        spec = _save_marian(tokenizer, folder, written) | common
    else:
        log.info("%s: tokenizer %s is loaded through transformers", folder.name, type(tokenizer).__name__)
        return None
    problem = _disagreement(load_tokenizer(folder, spec), reference, len(tokenizer))
    if problem is None:
        return spec
    log.warning("%s: the tokenizer is loaded through transformers (its copy %s)", folder.name, problem)
    for path in written:
        path.unlink(missing_ok=True)
    return None


def _save_marian(tokenizer: Any, folder: Path, written: list[Path]) -> dict[str, Any]:
    for name, path in zip(("source.spm", "target.spm"), tokenizer.spm_files, strict=True):
        written.append(folder / name)
        shutil.copyfile(path, written[-1])
    files = {"vocab": tokenizer.encoder}
    if tokenizer.separate_vocabs:
        files["target_vocab"] = tokenizer.target_encoder
    for key, vocabulary in files.items():
        written.append(folder / f"{key}.json")
        written[-1].write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    return {
        "kind": "marian",
        "encode_spm": "source.spm",
        # transformers decodes with the source model unless the vocabularies are separate.
        "decode_spm": "target.spm" if tokenizer.separate_vocabs else "source.spm",
        "unk": str(tokenizer.unk_token),
        "eos": str(tokenizer.eos_token),
        "added": sorted(tokenizer.get_added_vocab()),
        "special_ids": sorted(set(tokenizer.all_special_ids)),
        **{key: f"{key}.json" for key in files},
    }


def _disagreement(copy: TextCodec, reference: HFCodec, vocabulary: int) -> str | None:
    """What ``copy`` does differently from ``reference`` on the probes, or None."""
    tokens = reference.tokens(PROBES)
    if copy.tokens(PROBES) != tokens:
        return "splits the probe texts differently"
    ids = [reference.ids(row) for row in tokens]
    step = max(1, vocabulary // 97)
    ids += [list(range(start, vocabulary, step)) for start in range(0, min(step, 7))]
    if copy.texts(ids) != reference.texts(ids):
        return "decodes differently"
    if any(copy.ids(row) != expected for row, expected in zip(tokens, ids, strict=False)):
        return "maps tokens to other ids"
    if any(copy.token(i) != reference.token(i) for row in ids for i in row):
        return "maps ids to other tokens"
    return None


def _read_json(path: Path) -> dict[str, int]:
    return json.loads(path.read_text(encoding="utf-8"))
