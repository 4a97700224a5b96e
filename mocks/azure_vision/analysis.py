"""The ``ImageAnalysisResult`` body: what the stand-in and the OCR found, in the 2023-10-01 shape.

``metadata`` and ``modelVersion`` are always present; each ``*Result`` block only when its
feature was requested (the spec's ImageAnalysisResult; the SDK reads absent blocks as None).
"""

from __future__ import annotations

from mocks.azure_vision import standin
from mocks.azure_vision.images import DecodedImage

GENDERED = {"man": "person", "woman": "person", "boy": "child", "girl": "child",
            "men": "people", "women": "people"}


def analyse_image(image: DecodedImage, options) -> dict:
    body: dict = {"modelVersion": options.model_version,
                  "metadata": {"width": image.width, "height": image.height}}
    features = set(options.features)
    scene = standin.analyse(image.rgb, image.scale) if features - {"read"} else None
    if "caption" in features:
        text, confidence = standin.caption(scene)
        body["captionResult"] = {"text": _neutral(text, options), "confidence": confidence}
    if "denseCaptions" in features:
        body["denseCaptionsResult"] = {"values": [
            {"text": _neutral(text, options), "confidence": confidence, "boundingBox": box.to_dict()}
            for text, confidence, box in standin.dense_captions(scene)]}
    if "tags" in features:
        body["tagsResult"] = {"values": [{"name": name, "confidence": confidence}
                                         for name, confidence in standin.tags(scene, options.language)]}
    if "objects" in features:
        body["objectsResult"] = {"values": [
            {"boundingBox": r.box.to_dict(), "tags": [{"name": r.name, "confidence": r.confidence}]}
            for r in scene.objects]}
    if "read" in features:
        body["readResult"] = read_result(image)
    if "smartCrops" in features:
        body["smartCropsResult"] = {"values": [
            {"aspectRatio": ratio, "boundingBox": box.to_dict()}
            for ratio, box in standin.smart_crops(scene, options.aspect_ratios)]}
    if "people" in features:
        body["peopleResult"] = {"values": [{"boundingBox": p.box.to_dict(), "confidence": p.confidence}
                                           for p in scene.people]}
    return body


def read_result(image: DecodedImage) -> dict:
    from mocks.azure_vision import ocr

    lines = ocr.read(image.rgb)
    if not lines:
        return {"blocks": []}

    def points(polygon) -> list[dict]:
        return [{"x": round(x * image.scale), "y": round(y * image.scale)} for x, y in polygon]

    return {"blocks": [{"lines": [
        {"text": line.text, "boundingPolygon": points(line.polygon),
         "words": [{"text": w.text, "boundingPolygon": points(w.polygon), "confidence": w.confidence}
                   for w in line.words]}
        for line in lines]}]}


def _neutral(text: str, options) -> str:
    """gender-neutral-caption: the stand-in never says man/woman, but the rule is kept honest."""
    if not options.gender_neutral:
        return text
    return " ".join(GENDERED.get(word, word) for word in text.split(" "))
