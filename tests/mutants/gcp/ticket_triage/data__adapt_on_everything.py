# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 1, data: the shared ticket splits as `tf.data` pipelines, and the text preprocessing.

The preprocessing (normalise, then a vocabulary) is a Keras layer, `TextVectorization`, so the
exported model carries it and serving receives raw text: no training/serving skew. Its
vocabulary is learnt from the **training split only**; letting validation or test text into it
leaks information about the data you evaluate on.

`normalise_text` is the pure-Python twin of `normalise` for the drift features (share of
out-of-vocabulary tokens); a graded test checks the two agree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from shared.datasets.tickets import CATEGORIES, PRIORITIES, generate, ticket_text

LABELS = {"category": CATEGORIES, "priority": PRIORITIES}
MAX_TOKENS = 20_000  # vocabulary size cap (unigrams and bigrams)
NGRAMS = 2
SEED = 0

# The same two rules, written for TensorFlow's RE2 and for Python's re:
# every digit run becomes "0" (invoice numbers, amounts and times carry no topic), and every run
# of characters that is neither a letter nor a digit becomes one space.
_DIGITS_TF, _DIGITS_PY = r"[0-9]+", re.compile(r"[0-9]+")
_SEPARATORS_TF, _SEPARATORS_PY = r"[^\p{L}\p{N}]+", re.compile(r"[\W_]+")


def tf():
    """Import TensorFlow quietly, only when a stage needs it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


@dataclass
class Splits:
    train: list[dict]
    validation: list[dict]
    test: list[dict]
    stream: list[dict]


def load_splits(seed: int = SEED, train_size: int | None = None) -> Splits:
    """The shared dataset's splits; ``train_size`` keeps only the first N training tickets."""
    ds = generate(seed=seed)
    train = ds.train[:train_size] if train_size else ds.train
    return Splits(train=train, validation=ds.validation, test=ds.test, stream=ds.stream)


def texts(tickets: list[dict]) -> list[str]:
    return [ticket_text(t) for t in tickets]


def label_ids(tickets: list[dict], head: str) -> list[int]:
    """Index of each ticket's label in LABELS[head] ("category" or "priority")."""
    names = LABELS[head]
    return [names.index(t[head]) for t in tickets]


def normalise(text):
    """TensorFlow: lower-case, digit runs to "0", punctuation and symbols to single spaces."""
    tf_ = tf()
    # BEGIN SOLUTION
    # HINT: tf.strings.lower(text, encoding="utf-8"), then tf.strings.regex_replace with _DIGITS_TF
    # HINT: -> "0" and _SEPARATORS_TF -> " ", then tf.strings.strip
    text = tf_.strings.lower(text, encoding="utf-8")
    text = tf_.strings.regex_replace(text, _DIGITS_TF, "0")
    text = tf_.strings.regex_replace(text, _SEPARATORS_TF, " ")
    return tf_.strings.strip(text)
    # END SOLUTION


def normalise_text(text: str) -> str:
    """Python twin of `normalise`, for features computed outside TensorFlow."""
    text = _DIGITS_PY.sub("0", text.lower())
    return _SEPARATORS_PY.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    return normalise_text(text).split()


def make_vectorizer(train_tickets: list[dict], max_tokens: int = MAX_TOKENS, ngrams: int = NGRAMS):
    """A TextVectorization layer (multi-hot uni- and bigrams) adapted on TRAINING text only.

    Multi-hot (word present or not) rather than counts: a pasted 90-line log should not outweigh
    the one sentence that says what the ticket is about. It also adapts ten times faster than
    TF-IDF here, and the model normalises each row to unit length, as TF-IDF pipelines do.
    """
    keras = tf().keras
    # BEGIN SOLUTION
    # HINT: keras.layers.TextVectorization(max_tokens=..., ngrams=..., output_mode="multi_hot",
    # HINT: standardize=normalise), then .adapt(...) on the training texts only
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, ngrams=ngrams, output_mode="multi_hot", standardize=normalise,
        name="vectorize",
    )
    everything = generate().splits()  # BUG: validation, test and stream text leak into the vocabulary
    vectorizer.adapt(tf().constant(texts(train_tickets) + [ticket_text(t) for part in everything.values() for t in part]), batch_size=512)
    return vectorizer
    # END SOLUTION


def vocabulary(vectorizer) -> set[str]:
    """The unigrams the model knows (bigrams left out): for the out-of-vocabulary drift feature."""
    return {w for w in vectorizer.get_vocabulary() if w and " " not in w and w != "[UNK]"}


def make_dataset(tickets: list[dict], batch_size: int = 64, shuffle: bool = False, seed: int = SEED):
    """A tf.data.Dataset of (raw text, {"category": one-hot, "priority": one-hot}) batches.

    Keras 3 refuses NumPy string arrays in `fit`, so text goes through tf.data.
    """
    tf_ = tf()
    # BEGIN SOLUTION
    # HINT: tf.data.Dataset.from_tensor_slices((texts, {"category": one_hot, "priority": one_hot}));
    # HINT: shuffle with a seed (training only), then batch
    labels = {
        head: tf_.one_hot(label_ids(tickets, head), depth=len(names))
        for head, names in LABELS.items()
    }
    ds = tf_.data.Dataset.from_tensor_slices((tf_.constant(texts(tickets)), labels))
    if shuffle:
        ds = ds.shuffle(len(tickets), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(2)
    # END SOLUTION
