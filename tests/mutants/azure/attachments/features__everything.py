# MUTANT features__everything: a plausible wrong features.py; the graded tests must fail on it.
# ruff: noqa
"""Which visual features to ask for: each one is billed, so ask only for what the lab uses.

Image Analysis 4.0 bills one transaction per requested feature per image: ``read`` + ``tags``
on 1,000 images is 2,000 transactions, and adding ``caption`` and ``objects`` doubles the bill
whether or not the answer is used. The lab's stages say what they need:

    fields   the text, line by line with positions          -> read
    type     the text, and what the picture is              -> read, tags
    caption  a sentence for a person skimming the queue     -> caption (not offered in every region)
    objects  boxes around shapes and things                 -> objects
    people   boxes around people (to blur them, say)        -> people
    crop     a thumbnail around what matters                -> smartCrops

Classifying from text and tags is enough on support attachments (see classify.py); the caption
mostly repeats the tags ("a screenshot of a computer screen with text"), so the run asks for
``read`` and ``tags`` only unless told otherwise (``--features``).
"""

from __future__ import annotations

from azure.ai.vision.imageanalysis.models import VisualFeatures

# What each use of the analysis needs, in the order the service documents the features.
NEEDS = {
    "fields": (VisualFeatures.READ,),
    "type": (VisualFeatures.READ, VisualFeatures.TAGS),
    "caption": (VisualFeatures.CAPTION,),
    "objects": (VisualFeatures.OBJECTS,),
    "people": (VisualFeatures.PEOPLE,),
    "crop": (VisualFeatures.SMART_CROPS,),
}
DEFAULT_USES = ("fields", "type")


def choose_features(uses) -> list[VisualFeatures]:
    """The features the given uses need, each once, in the order of ``VisualFeatures``.

    An unknown use raises ValueError naming the known ones; no use at all raises ValueError
    too (the service refuses a call without features, and it would be billed for nothing).
    """
    # BEGIN SOLUTION
    # HINT: union of NEEDS[use] (ValueError for an unknown use or none), sorted in VisualFeatures order.
    uses = list(uses)
    if not uses:
        raise ValueError(f"say what the analysis is for: one or more of {', '.join(NEEDS)}")
    unknown = [u for u in uses if u not in NEEDS]
    if unknown:
        raise ValueError(f"unknown use {unknown[0]!r}: known uses are {', '.join(NEEDS)}")
    wanted = set(VisualFeatures)  # BUG
    return [feature for feature in VisualFeatures if feature in wanted]
    # END SOLUTION


def feature_names(features) -> list[str]:
    """The wire names (``read``, ``tags``, ...), as the price table and the results use them."""
    return [str(getattr(f, "value", f)) for f in features]
