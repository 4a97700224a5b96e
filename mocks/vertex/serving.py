"""Load an uploaded model's artefact and run it, the way Vertex's TensorFlow serving does.

Supported artefacts under a model's ``artifactUri`` folder:

* a TensorFlow **SavedModel** (``saved_model.pb``), e.g. from Keras 3's ``model.export(dir)``;
  called through its ``serving_default`` signature;
* a **Keras** file (``*.keras``, or ``model.keras`` in the folder), run with ``model.predict``.

Instances follow Vertex's TF serving rules: for a signature with one input, each instance is
that input's value (or a dict holding it under the input's name); for several inputs each
instance is a dict of input name -> value. Binary values of a string input arrive as
``{"b64": "<base64>"}`` and reach the model as the decoded bytes (TensorFlow Serving's REST rule,
which Vertex's prebuilt TensorFlow containers follow: how an image is sent). One output gives
one value per instance; several outputs give one dict per instance. A bad instance shape or
dtype is an INVALID_ARGUMENT error.
TensorFlow is imported only when a model is deployed. Deploying an artefact whose files are
byte for byte one deployed before reuses that loaded model (loading a SavedModel takes seconds,
and test suites deploy the same small model many times); a model is never changed by serving.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from mocks.vertex.exceptions import FailedPrecondition, InvalidArgument


class ServedModel:
    """A loaded model with ``predict(instances) -> list``."""

    def predict(self, instances: list) -> list:  # pragma: no cover - interface
        raise NotImplementedError


def servable(folder: Path) -> bool:
    """Whether ``folder`` holds something ``load_served_model`` would try to load."""
    if folder.is_file():
        return folder.suffix == ".keras"
    return folder.is_dir() and (
        (folder / "saved_model.pb").is_file() or any(p.is_file() for p in folder.glob("*.keras"))
    )


LOADED_KEPT = 8  # loaded models kept for reuse, least recently deployed dropped first
_loaded: OrderedDict[str, ServedModel] = OrderedDict()
_loaded_lock = threading.Lock()


def load_served_model(folder: Path) -> ServedModel:
    """What is under ``folder``, loaded (or reused when the same bytes were loaded before);
    FAILED_PRECONDITION when nothing servable is there."""
    key = content_key(folder)
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
    model = _load(folder)
    with _loaded_lock:
        _loaded[key] = model
        while len(_loaded) > LOADED_KEPT:
            _loaded.popitem(last=False)
    return model


def content_key(folder: Path) -> str:
    """A hash of every file's relative path and bytes under ``folder`` (or of the one file)."""
    digest = hashlib.sha256()
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(folder) if path != folder else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _load(folder: Path) -> ServedModel:
    if folder.is_file() and folder.suffix == ".keras":
        return KerasModel(folder)
    if not folder.is_dir():
        raise FailedPrecondition(
            f"Model artifact folder {folder.name!r} does not exist in the emulated bucket; "
            "upload the model files before deploying."
        )
    if (folder / "saved_model.pb").is_file():
        return SavedModel(folder)
    keras_files = sorted(folder.glob("*.keras"))
    if keras_files:
        return KerasModel(keras_files[0])
    raise FailedPrecondition(
        "The model's artifactUri holds neither a TensorFlow SavedModel (saved_model.pb) nor a "
        ".keras file. Export with model.export(dir) and upload that folder."
    )


def _shape_matches(expected, actual: tuple) -> bool:
    expected = list(expected)
    if len(expected) != len(actual):
        return False
    return all(e is None or e == a for e, a in zip(expected[1:], actual[1:], strict=True))


def _b64_decoded(value, name: str):
    """A ``{"b64": ...}`` object as its bytes, also inside lists; other values unchanged."""
    import base64
    import binascii

    if isinstance(value, list):
        return [_b64_decoded(v, name) for v in value]
    if isinstance(value, dict) and set(value) == {"b64"}:
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise InvalidArgument(f"Failed to process element: {name!r}: the 'b64' value is not "
                                  f"valid base64 ({exc}).") from exc
    return value


def _to_array(values: list, dtype_name: str, name: str):
    import numpy as np

    try:
        if dtype_name == "string":
            return np.array(_b64_decoded(values, name), dtype=object)
        return np.array(values, dtype=dtype_name)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(
            f"Failed to process element: {name!r}: instances must be {dtype_name} values of "
            f"one consistent shape ({exc})."
        ) from exc


class SavedModel(ServedModel):
    def __init__(self, folder: Path):
        import tensorflow as tf

        self._tf = tf
        loaded = tf.saved_model.load(str(folder))
        if "serving_default" not in loaded.signatures:
            raise FailedPrecondition("The SavedModel has no 'serving_default' signature.")
        self._loaded = loaded  # keep the object alive: the signature references its variables
        self._fn = loaded.signatures["serving_default"]
        self.inputs = dict(self._fn.structured_input_signature[1])

    def _columns(self, instances: list) -> dict[str, list]:
        names = list(self.inputs)
        if len(names) == 1:
            name = names[0]
            return {name: [i[name] if isinstance(i, dict) and name in i else i for i in instances]}
        columns = {}
        for name in names:
            try:
                columns[name] = [i[name] for i in instances]
            except (KeyError, TypeError) as exc:
                raise InvalidArgument(
                    f"Each instance must be an object with the model's inputs {names}; "
                    f"missing {name!r}."
                ) from exc
        return columns

    def predict(self, instances: list) -> list:
        tf = self._tf
        feeds = {}
        for name, values in self._columns(instances).items():
            spec = self.inputs[name]
            array = _to_array(values, spec.dtype.name, name)
            if not _shape_matches(spec.shape, array.shape):
                raise InvalidArgument(
                    f"Input {name!r} has shape {list(array.shape)} but the model expects "
                    f"{spec.shape.as_list()} (None = any). Check the length of each instance."
                )
            feeds[name] = tf.constant(array, dtype=spec.dtype)
        try:
            outputs = self._fn(**feeds)
        except (tf.errors.OpError, ValueError, TypeError) as exc:
            raise InvalidArgument(f"The model rejected the instances: {str(exc)[:300]}") from exc
        return _rows(outputs)


class KerasModel(ServedModel):
    def __init__(self, path: Path):
        import keras

        self._model = keras.models.load_model(path)

    def predict(self, instances: list) -> list:
        model = self._model
        shape = model.inputs[0].shape if model.inputs else None
        array = _to_array(instances, "float32", "instances")
        if shape is not None and not _shape_matches(shape, array.shape):
            raise InvalidArgument(
                f"Instances have shape {list(array.shape)} but the model expects {list(shape)}."
            )
        try:
            result = model.predict(array, verbose=0)
        except ValueError as exc:
            raise InvalidArgument(f"The model rejected the instances: {str(exc)[:300]}") from exc
        return result.tolist()


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _rows(outputs) -> list:
    arrays = {name: tensor.numpy() for name, tensor in outputs.items()}
    if len(arrays) == 1:
        (array,) = arrays.values()
        return [_as_json(row) for row in array]
    n = len(next(iter(arrays.values())))
    return [{name: _as_json(array[i]) for name, array in arrays.items()} for i in range(n)]


def _as_json(value):
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return _plain(value)
