"""Exact token counts with tiktoken, the way the Azure OpenAI service counts them.

``count_chat_tokens(messages, model)`` equals the service's ``usage.prompt_tokens`` for plain
chat messages: every message costs 3 tokens of framing plus its role and content (and 1 more
when it carries a ``name``), and every reply is primed with 3 more.

Offline use. tiktoken downloads its encodings on first use. Without internet, the kit seeds
tiktoken's cache from a wheel on the package index that ships the same files (litellm's,
under ``litellm/litellm_core_utils/tokenizers/``, named by the SHA-1 of the download URL), and
checks each file against tiktoken's expected SHA-256 before using it.
Run ``python -m shared.tokens seed`` (the Makefile does) to fill the cache ahead of time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

# The files tiktoken fetches, with the SHA-256 that tiktoken_ext.openai_public expects.
ENCODINGS = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
DONOR_PACKAGE = "litellm"  # a wheel on the package index that carries both files
DONOR_DIR = "litellm/litellm_core_utils/tokenizers/"

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


class TokenizerUnavailable(RuntimeError):
    """tiktoken's encoding files could not be found, downloaded or seeded."""


def cache_dir() -> Path:
    """Where tiktoken looks: $TIKTOKEN_CACHE_DIR, set to the kit's own cache when unset."""
    if not os.environ.get("TIKTOKEN_CACHE_DIR") and not os.environ.get("DATA_GYM_CACHE_DIR"):
        default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "labkit" / "tiktoken"
        os.environ["TIKTOKEN_CACHE_DIR"] = str(default)
    return Path(os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ["DATA_GYM_CACHE_DIR"])


def cache_file(name: str) -> Path:
    url, _ = ENCODINGS[name]
    return cache_dir() / hashlib.sha1(url.encode()).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_cached(name: str) -> bool:
    path = cache_file(name)
    return path.is_file() and _sha256(path.read_bytes()) == ENCODINGS[name][1]


def _install(name: str, data: bytes, source: str) -> None:
    expected = ENCODINGS[name][1]
    if _sha256(data) != expected:
        raise TokenizerUnavailable(
            f"The {name} file from {source} has the wrong SHA-256; refusing to use it."
        )
    path = cache_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _files_from_wheel(wheel: Path) -> dict[str, bytes]:
    """The encoding files inside a donor wheel, by encoding name."""
    found = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in ENCODINGS:
            member = DONOR_DIR + cache_file(name).name
            if member in zf.namelist():
                found[name] = zf.read(member)
    return found


def seed_from_package_index(names: list[str]) -> list[str]:
    """Download the donor wheel (no install) with pip and copy the files it carries."""
    workdir = Path(tempfile.mkdtemp(prefix="labkit-tiktoken-"))
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", "-d", str(workdir), DONOR_PACKAGE]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        seeded = []
        for wheel in workdir.glob("*.whl"):
            for name, data in _files_from_wheel(wheel).items():
                if name in names:
                    _install(name, data, f"the {DONOR_PACKAGE} wheel")
                    seeded.append(name)
        return seeded
    except (subprocess.SubprocessError, OSError):
        return []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def ensure_encodings(names: list[str] | None = None) -> None:
    """Make sure tiktoken can load these encodings without the internet."""
    names = list(names or ENCODINGS)
    todo = [n for n in names if not is_cached(n)]
    if todo:
        seed_from_package_index(todo)
    todo = [n for n in names if not is_cached(n)]
    for name in todo:  # last resort: tiktoken's own download, if there is internet
        try:
            _install(name, _download(ENCODINGS[name][0]), "the internet")
        except (OSError, TokenizerUnavailable):
            pass
    todo = [n for n in names if not is_cached(n)]
    if todo:
        raise TokenizerUnavailable(
            f"tiktoken's encoding files {todo} are not in {cache_dir()} and could be neither "
            f"downloaded nor taken from the '{DONOR_PACKAGE}' wheel on the package index. Fix: "
            "connect to the internet (or to your package index) once and run "
            "'python -m shared.tokens seed', or copy the .tiktoken files into that folder "
            "named by the SHA-1 of their URL."
        )


def _download(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - fixed https URL
        return response.read()


def encoding_name_for(model: str) -> str:
    """o200k_base for the gpt-4o family and newer; cl100k_base for gpt-4, gpt-35 and embeddings."""
    m = model.lower()
    if m.startswith(("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")):
        return "o200k_base"
    if m.startswith(("gpt-4", "gpt-35", "gpt-3.5", "text-embedding")):
        return "cl100k_base"
    raise ValueError(
        f"No known tokenizer for model {model!r}. Use a gpt-4o/gpt-4.1/o-series model "
        "(o200k_base) or gpt-4/gpt-35-turbo/text-embedding-* (cl100k_base)."
    )


@cache
def get_encoding(name: str):
    ensure_encodings([name])
    import tiktoken

    return tiktoken.get_encoding(name)


def encoding_for(model: str):
    return get_encoding(encoding_name_for(model))


def count_tokens(text: str, model: str = "gpt-4o-mini") -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))


def content_text(content) -> str:
    """Message content is a string or a list of parts; only text parts count here."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def count_message_tokens(message: dict, model: str = "gpt-4o-mini") -> int:
    """Tokens one chat message adds to a prompt, framing included."""
    enc = encoding_for(model)
    n = TOKENS_PER_MESSAGE
    n += len(enc.encode(message.get("role", ""), disallowed_special=()))
    n += len(enc.encode(content_text(message.get("content")), disallowed_special=()))
    if message.get("name"):
        n += TOKENS_PER_NAME + len(enc.encode(message["name"], disallowed_special=()))
    return n


def count_chat_tokens(messages: list[dict], model: str = "gpt-4o-mini") -> int:
    """The prompt tokens the service reports for these chat messages."""
    return sum(count_message_tokens(m, model) for m in messages) + REPLY_PRIMING


def truncate_to_tokens(text: str, max_tokens: int, model: str = "gpt-4o-mini") -> str:
    """The longest prefix of ``text`` that is at most ``max_tokens`` tokens."""
    enc = encoding_for(model)
    ids = enc.encode(text, disallowed_special=())
    return text if len(ids) <= max_tokens else enc.decode(ids[: max(0, max_tokens)])


def _main(argv: list[str]) -> int:
    if argv[:1] != ["seed"]:
        print("usage: python -m shared.tokens seed", file=sys.stderr)
        return 2
    try:
        ensure_encodings()
    except TokenizerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"tiktoken encodings ready in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
