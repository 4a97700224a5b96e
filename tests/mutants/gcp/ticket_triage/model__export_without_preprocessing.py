# ruff: noqa  (a deliberately broken copy of the lab module: see check.py)
"""Stage 3, model: one small Keras network with two heads, and its export for serving.

Why one model with two heads rather than two models: category and priority are read from the
same words ("outage", "cannot log in", "urgent"), so a shared hidden layer learns them once;
one artefact means one upload, one endpoint and one predict call per batch, and the two
answers can never come from different model versions. The cost: one learning rate for both
tasks (the loss weights let you favour category, the harder task).

The network: raw text -> TextVectorization (multi-hot uni- and bigrams, vocabulary from the
training split) -> unit length -> Dense(relu) -> Dropout -> two softmax heads. A bag of n-grams with one hidden
layer is the right size here: it trains in about a second on 2 CPU cores, and with only
thousands of tickets a sequence model has little to gain.

The export is a TensorFlow SavedModel whose serving signature takes raw strings, so Vertex's
TensorFlow serving container (and the emulator) serve it without any Python preprocessing.
"""

from __future__ import annotations

from pathlib import Path

from labs.gcp.ticket_triage.data import LABELS, tf

DEFAULTS = {"learning_rate": 1e-3, "hidden_units": 32, "dropout": 0.2}
LOSS_WEIGHTS = {"category": 1.0, "priority": 0.5}


def build_model(vectorizer, learning_rate: float = DEFAULTS["learning_rate"],
                hidden_units: int = DEFAULTS["hidden_units"], dropout: float = DEFAULTS["dropout"]):
    """A compiled Keras model: raw text in, {"category": probs(7), "priority": probs(3)} out."""
    keras = tf().keras
    # BEGIN SOLUTION
    # HINT: keras.Input(shape=(1,), dtype="string") -> vectorizer -> cast to float32 ->
    # HINT: UnitNormalization -> Dense(hidden_units, "relu") -> Dropout -> one Dense(softmax) per
    # HINT: head named like the LABELS keys; compile with Adam, categorical cross-entropy per head
    # HINT: and a macro F1Score metric on each head
    text = keras.Input(shape=(1,), dtype="string", name="text")
    x = keras.ops.cast(vectorizer(text), "float32")
    x = keras.layers.UnitNormalization(name="unit_length")(x)  # long tickets weigh no more
    x = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = {
        head: keras.layers.Dense(len(names), activation="softmax", name=head)(x)
        for head, names in LABELS.items()
    }
    model = keras.Model(text, outputs, name="ticket_triage")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={head: "categorical_crossentropy" for head in LABELS},
        loss_weights=LOSS_WEIGHTS,
        metrics={head: [keras.metrics.F1Score(average="macro", name="macro_f1"), "accuracy"]
                 for head in LABELS},
    )
    return model
    # END SOLUTION


def predict_probs(model, texts: list[str]) -> dict:
    """Class probabilities of a Keras model for raw texts: {"category": array, "priority": array}."""
    tf_ = tf()
    out = model.predict(tf_.constant(texts)[:, None], verbose=0, batch_size=256)
    return {head: out[head] for head in LABELS}


def export_model(model, path: str | Path) -> Path:
    """Write a SavedModel whose `serving_default` takes raw strings (shape [None]).

    Outputs per instance: "category" and "priority" (label strings), their confidences, and
    the full probability vectors ("category_probs", "priority_probs").
    """
    tf_ = tf()
    keras = tf_.keras
    path = Path(path)
    # BEGIN SOLUTION
    # HINT: keras.export.ExportArchive(): track(model), add_endpoint("serving_default", fn,
    # HINT: input_signature=[tf.TensorSpec([None], tf.string)]) where fn calls the whole model
    # HINT: (vectorizer included) on raw text; write_out(path)
    archive = keras.export.ExportArchive()
    archive.track(model)
    label_names = {head: tf_.constant(list(names)) for head, names in LABELS.items()}

    # BUG: serve the layers after the vectorizer; callers must vectorize themselves
    inner = keras.Model(model.get_layer("unit_length").input, model.outputs)

    def serve(text):
        probs = inner(text, training=False)
        out = {}
        for head in LABELS:
            best = tf_.argmax(probs[head], axis=-1)
            out[head] = tf_.gather(label_names[head], best)
            out[f"{head}_confidence"] = tf_.reduce_max(probs[head], axis=-1)
            out[f"{head}_probs"] = probs[head]
        return out

    archive.add_endpoint(
        name="serving_default", fn=serve,
        input_signature=[tf_.TensorSpec(shape=[None, None], dtype=tf_.float32, name="text")],
    )
    archive.write_out(str(path), verbose=False)
    return path
    # END SOLUTION


def load_exported(path: str | Path):
    """The exported model's serving function: call it with a tf.string tensor of shape [None]."""
    return tf().saved_model.load(str(path)).signatures["serving_default"]


def predict_exported(serving_fn, texts: list[str]) -> dict:
    """Probabilities from the exported model, same shape as `predict_probs`."""
    out = serving_fn(text=tf().constant(texts))
    return {head: out[f"{head}_probs"].numpy() for head in LABELS}
