# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 2, baseline first: TF-IDF + logistic regression (scikit-learn), one per head.

Before any neural network, a linear model on word n-grams says what "good" looks like on this
data. It trains in seconds, needs no GPU and no tuning, and the Keras model has to beat it (or
the lab says honestly why not). Same splits, same metrics, same normalisation as the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.gcp.ticket_triage.data import LABELS, MAX_TOKENS, NGRAMS, normalise_text, texts


@dataclass
class Baseline:
    pipelines: dict  # head -> fitted sklearn Pipeline

    def predict(self, tickets: list[dict]) -> dict[str, list[str]]:
        """{"category": [label, ...], "priority": [label, ...]} for these tickets."""
        raw = texts(tickets)
        return {head: list(pipe.predict(raw)) for head, pipe in self.pipelines.items()}

    def predict_probs(self, tickets: list[dict]) -> dict:
        """Probabilities with columns in LABELS order, like the Keras model's."""
        raw = texts(tickets)
        out = {}
        for head, pipe in self.pipelines.items():
            order = [list(pipe.classes_).index(name) for name in LABELS[head]]
            out[head] = pipe.predict_proba(raw)[:, order]
        return out


def make_pipeline():
    """An unfitted TF-IDF (uni- and bigrams) + logistic regression pipeline."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline as sk_pipeline

    # BEGIN SOLUTION
    # HINT: TfidfVectorizer(preprocessor=normalise_text, ngram_range=(1, NGRAMS),
    # HINT: max_features=MAX_TOKENS, sublinear_tf=True) then LogisticRegression(max_iter=1000,
    # HINT: C=...)
    vectorizer = TfidfVectorizer(
        preprocessor=normalise_text, token_pattern=r"\S+", ngram_range=(1, 1),
        max_features=50,  # BUG: far too small a vocabulary
        sublinear_tf=True,
    )
    return sk_pipeline(vectorizer, LogisticRegression(max_iter=1000, C=10.0))
    # END SOLUTION


def train_baseline(train: list[dict]) -> Baseline:
    """Fit one pipeline per head on the training split only."""
    raw = texts(train)
    pipelines = {}
    for head in LABELS:
        pipe = make_pipeline()
        pipe.fit(raw, [t[head] for t in train])
        pipelines[head] = pipe
    return Baseline(pipelines)
