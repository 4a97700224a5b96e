"""Stage 3, model: a small CNN in Keras, its augmentation, and its export for serving.

Why a CNN of your own: the five types differ in layout (a dialog box over a window, a table on
a white page, a barcode on cardboard, a cracked screen on wood), and convolutions learn layouts
from a couple of thousand examples. What it cannot do at 64 x 64 pixels is read: the error code,
the invoice number and the amount are a few pixels of grey. Reading needs OCR, a pre-trained
model of its own (the Azure lab calls one).

The network: pixels (0-255) -> augmentation (training only) -> scale to [0, 1] -> four blocks of
3x3 convolution + max pooling (filters f, 2f, 3f, 4f) -> flatten (a 4 x 4 map: where things are
matters) -> dropout ->
softmax over the five types. It trains in about two CPU-minutes (2,000 images, 15 epochs).

The export is a SavedModel whose serving signature takes the image files' bytes: Vertex's
TensorFlow serving container (and the emulator) decode the JSON ``{"b64": ...}`` instances into
those bytes, and the model does the rest with `data.decode_and_resize`.
"""

from __future__ import annotations

from pathlib import Path

from labs.gcp.attachments.data import IMAGE_SIZE, decode_and_resize, tf
from shared.datasets.attachments import TYPES

DEFAULTS = {"learning_rate": 2e-3, "filters": 24, "dropout": 0.2}


def augmentation():
    """The nuisances training images should vary by, as Keras layers (active in training only):
    brightness, contrast, blur, a small rotation and a small shift. No flips: a mirrored
    screenshot or invoice is a layout that never arrives (text runs right to left, the close
    button moves), so flipping teaches the model about images it will never see. Each layer
    gets a seed of its own (runs repeat; layers sharing a seed would draw the same random
    numbers, so a brighter image would always also get more contrast)."""
    keras = tf().keras
    # BEGIN SOLUTION
    # HINT: keras.Sequential of RandomBrightness(0.2, value_range=(0, 255)), RandomContrast(0.2),
    # HINT: RandomGaussianBlur(0.5, value_range=(0, 255)), RandomRotation(0.01) (0.01 of a turn =
    # HINT: 3.6 degrees: scans are tilted a few degrees, never upside down), RandomTranslation
    # HINT: (0.05, 0.05); seed each layer
    return keras.Sequential([
        keras.layers.RandomBrightness(0.2, value_range=(0, 255), seed=1),
        keras.layers.RandomContrast(0.2, seed=2),
        keras.layers.RandomGaussianBlur(0.5, value_range=(0, 255), seed=3),
        keras.layers.RandomRotation(0.01, fill_mode="constant", seed=4),
        keras.layers.RandomTranslation(0.05, 0.05, fill_mode="constant", seed=5),
    ], name="augmentation")
    # END SOLUTION


def build_model(learning_rate: float = DEFAULTS["learning_rate"], filters: int = DEFAULTS["filters"],
                dropout: float = DEFAULTS["dropout"], size: int = IMAGE_SIZE):
    """A compiled Keras CNN: pixels [size, size, 3] in 0-255 -> probabilities over TYPES."""
    keras = tf().keras
    # BEGIN SOLUTION
    # HINT: keras.Input((size, size, 3)) -> augmentation() -> layers.Rescaling(1 / 255) -> for k in
    # HINT: 1..4: Conv2D(k * filters, 3, padding="same", activation="relu") + MaxPooling2D ->
    # HINT: Flatten (keeps where things are) -> Dropout -> Dense(len(TYPES), "softmax"); compile with Adam,
    # HINT: categorical cross-entropy and metrics F1Score(average="macro", name="macro_f1"), accuracy
    pixels = keras.Input((size, size, 3), name="pixels")
    x = augmentation()(pixels)
    x = keras.layers.Rescaling(1 / 255, name="scale")(x)  # inside the model: serving scales alike
    for k in range(1, 5):
        x = keras.layers.Conv2D(k * filters, 3, padding="same", activation="relu", name=f"conv{k}")(x)
        x = keras.layers.MaxPooling2D(name=f"pool{k}")(x)
    x = keras.layers.Flatten(name="flatten")(x)  # keeps WHERE things are: layouts are positions
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    probs = keras.layers.Dense(len(TYPES), activation="softmax", name="type")(x)
    model = keras.Model(pixels, probs, name="attachments_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                  metrics=[keras.metrics.F1Score(average="macro", name="macro_f1"), "accuracy"])
    return model
    # END SOLUTION


def export_model(model, path: str | Path, size: int = IMAGE_SIZE) -> Path:
    """Write a SavedModel whose `serving_default` takes image files' bytes (tf.string, [None]).

    Outputs per image: "type" (the label), "confidence" and "probabilities" (over TYPES).
    """
    tf_ = tf()
    keras = tf_.keras
    path = Path(path)
    # BEGIN SOLUTION
    # HINT: keras.export.ExportArchive(): track(model); add_endpoint("serving_default", fn,
    # HINT: input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")]) where fn maps
    # HINT: data.decode_and_resize over the bytes (tf.map_fn, fn_output_signature=tf.float32) and
    # HINT: calls model(pixels, training=False); write_out(path)
    archive = keras.export.ExportArchive()
    archive.track(model)
    names = tf_.constant(list(TYPES))

    def serve(image_bytes):
        pixels = tf_.map_fn(lambda data: decode_and_resize(data, size), image_bytes,
                            fn_output_signature=tf_.float32)
        probs = model(pixels, training=False)
        return {"type": tf_.gather(names, tf_.argmax(probs, axis=-1)),
                "confidence": tf_.reduce_max(probs, axis=-1), "probabilities": probs}

    archive.add_endpoint(
        name="serving_default", fn=serve,
        input_signature=[tf_.TensorSpec(shape=[None], dtype=tf_.string, name="image_bytes")],
    )
    archive.write_out(str(path), verbose=False)
    return path
    # END SOLUTION


def load_exported(path: str | Path):
    """The exported model's serving function: call it with image_bytes=tf.string tensor [None]."""
    return tf().saved_model.load(str(path)).signatures["serving_default"]


def predict_exported(serving_fn, datas: list[bytes]):
    """Probabilities from the exported model for image files' bytes: array [n, len(TYPES)]."""
    return serving_fn(image_bytes=tf().constant(datas))["probabilities"].numpy()
