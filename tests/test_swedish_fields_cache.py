"""The precomputed word data and the per-word memos index exactly what the plain code
did: the same Zipf values as wordfreq's frequencies, the same lemma dictionary and lemmas
as simplemma's own, and the same document fields for real corpus texts whether the word
data comes from its file, is built from the packages, the per-word results come from
an earlier process's memo, or the memos are bypassed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from diarium.extractors.base import ExtractOptions
from diarium.extractors.registry import extract_file
from diarium.indexer.derived import SwedishExtras
from diarium.swedish import compounds, lemmas, wordcache, wordlist

CHILD = """
import hashlib, json, sys
from diarium.indexer.derived import SwedishExtras
texts = json.load(open(sys.argv[1], encoding="utf-8"))
extras = SwedishExtras()
fields = [extras.document_fields(t) for t in texts]
print(hashlib.sha256(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode())
      .hexdigest())
"""


@pytest.fixture(scope="module")
def texts(corpus_dir: Path) -> list[str]:
    """Extracted texts of a dozen real corpus files of every text format."""
    names = sorted(p.name for p in corpus_dir.iterdir()
                   if p.suffix.lower() in (".docx", ".doc", ".odt", ".rtf", ".pdf"))
    picked = names[::len(names) // 12][:12]
    out = [extract_file(corpus_dir / n, ExtractOptions(ocr=False)).text for n in picked]
    out = [t for t in out if t.strip()]
    assert len(out) >= 10
    return out


def _digest(fields: list[dict[str, object]]) -> str:
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, sort_keys=True)
                          .encode()).hexdigest()


def _clear() -> None:
    for cache in (compounds.split_compound, compounds._word_parts,
                  compounds._modifier_memo, compounds._head_memo, lemmas.lemma):
        cache.cache_clear()


def test_zipf_values_are_wordfreqs(texts: list[str]) -> None:
    import wordfreq

    freqs = wordfreq.get_frequency_dict("sv", wordlist="large")

    def before(word: str) -> float:       # what wordlist.zipf computed until issue 19
        freq = freqs.get(unicodedata.normalize("NFC", word.lower()))
        return math.log10(freq) + 9.0 if freq else 0.0

    odd = ["", "KOMMUN", "Kommunstyrelsen", "a\u0308ldre", "A\u030aR", "xyzzyq", "ÅR",
           "\u212br", "och"]
    words = [*freqs, *odd, *{w for t in texts for w in t.split()}]
    assert [wordlist.zipf(w) for w in words] == [before(w) for w in words]


def test_lemma_dictionary_and_lemmas_are_simplemmas(texts: list[str]) -> None:
    import simplemma
    from simplemma.strategies.dictionaries.dictionary_factory import (
        _load_dictionary_from_disk,
    )

    lemmatizer = lemmas._lemmatizer()
    assert lemmatizer is not simplemma     # the precomputed dictionary is in use
    ours = lemmatizer._lemmatization_strategy._dictionary_lookup._dictionary_factory
    assert ours.get_dictionary("sv")._dict == _load_dictionary_from_disk("sv")
    tokens = sorted({w.lower() for t in texts for w in lemmas._WORD.findall(t)
                     if w.isalpha()})
    assert len(tokens) > 2000
    assert ([lemmatizer.lemmatize(w, lang="sv") for w in tokens]
            == [simplemma.lemmatize(w, lang="sv") for w in tokens])


def test_fields_same_with_memos_bypassed_cleared_and_warm(texts: list[str]) -> None:
    extras = SwedishExtras()
    _clear()
    cold = [extras.document_fields(t) for t in texts]
    warm = [extras.document_fields(t) for t in texts]
    # The splitter without its cross-word memo and quick rejection: they are used only
    # under the word list's own `zipf`, so an equal function in its place bypasses them.
    _clear()
    original = compounds.zipf
    compounds.zipf = lambda word: wordlist.zipf(word)
    try:
        plain = [extras.document_fields(t) for t in texts]
        assert compounds._modifier_memo.cache_info().currsize == 0
    finally:
        compounds.zipf = original
        _clear()
    assert cold == warm == plain
    assert any(f["parts"] for f in cold) and any(f["lemma"] for f in cold)


def test_fields_same_from_file_built_or_off(texts: list[str], tmp_path: Path) -> None:
    """Fresh processes, as `diarium index` runs: word data decoded from the packages
    (off), built into the file (first run) and read from it (second run)."""
    source = tmp_path / "texts.json"
    source.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    folder = tmp_path / "word-data"

    def run(cache: str) -> str:
        env = dict(os.environ, **{wordcache.CACHE_ENV: cache})
        done = subprocess.run([sys.executable, "-c", CHILD, str(source)], env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        return done.stdout.strip()

    off = run("off")
    assert not folder.exists()
    built = run(str(folder))
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 4 and all(n.endswith(".marshal") for n in files)
    for prefix in ("sv-zipf-wordfreq", "sv-lemmas-simplemma", "sv-lemma-memo-",
                   "sv-parts-memo-"):
        assert sum(n.startswith(prefix) for n in files) == 1, (prefix, files)
    read = run(str(folder))                     # tables and per-word memos read back
    for memo in folder.glob("*-memo-*"):
        memo.unlink()
    memoless = run(str(folder))                 # tables read, every word computed
    assert off == built == read == memoless
    extras = SwedishExtras()
    assert read == _digest([extras.document_fields(t) for t in texts])


def test_unreadable_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wordcache.CACHE_ENV, str(tmp_path))
    path = tmp_path / wordcache.file_name("t-table", ("wordfreq",))
    path.write_bytes(b"\x00not marshal")
    assert wordcache.cached("t-table", ("wordfreq",), lambda: {"a": 1.0}) == {"a": 1.0}
    assert wordcache.cached("t-table", ("wordfreq",), lambda: {"b": 2.0}) == {"a": 1.0}
    monkeypatch.setenv(wordcache.CACHE_ENV, "off")
    assert wordcache.cache_dir() is None
    assert wordcache.cached("t-table", ("wordfreq",), lambda: {"b": 2.0}) == {"b": 2.0}


def test_unwritable_folder_only_costs_the_build(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(wordcache.CACHE_ENV, str(blocker / "sub"))
    assert wordcache.cached("t-table", ("wordfreq",), lambda: {"a": 1.0}) == {"a": 1.0}


def test_word_memo_keeps_results_per_code(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wordcache.CACHE_ENV, str(tmp_path))
    code = tmp_path / "splitter.py"
    code.write_text("# version 1")
    memo = wordcache.WordMemo("t-memo", ("wordfreq",), [code], limit=2)
    assert memo.get("ramavtalet") is None
    memo.put("ramavtalet", ("ram", "avtal"))
    memo.put("bygglovsansökan", ("bygglov", "ansökan"))
    memo.put("third", ("over", "limit"))
    memo.save()
    again = wordcache.WordMemo("t-memo", ("wordfreq",), [code], limit=2)
    assert again.get("ramavtalet") == ("ram", "avtal")
    assert again.get("third") is None
    code.write_text("# version 2")            # changed code: a new memo, the old removed
    changed = wordcache.WordMemo("t-memo", ("wordfreq",), [code])
    assert changed.get("ramavtalet") is None
    changed.put("ramavtalet", ("ramavtal",))
    changed.save()
    assert len(list(tmp_path.glob("t-memo-*.marshal"))) == 1
    monkeypatch.setenv(wordcache.CACHE_ENV, "off")
    off = wordcache.WordMemo("t-memo", ("wordfreq",), [code])
    off.put("ramavtalet", ("ram", "avtal"))
    assert off.get("ramavtalet") is None
