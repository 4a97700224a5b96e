"""The ticket dataset: deterministic, varied, and drifting the way each scenario says."""

import statistics
from collections import Counter

import pytest

from shared.datasets.tickets import (
    CATEGORIES,
    DRIFT_START,
    PRIORITIES,
    SCENARIOS,
    STREAM_FIELDS,
    WINDOW_SIZE,
    WINDOWS,
    generate,
    read_jsonl,
    ticket_text,
    write_dataset,
)
from shared.tokens import count_tokens


@pytest.fixture(scope="module")
def ds():
    return generate(seed=0)


def _before_after(ds, scenario):
    windows = ds.stream_windows(scenario)
    before = [t for w in windows[:DRIFT_START] for t in w]
    after = [t for w in windows[DRIFT_START:] for t in w]
    return before, after


def test_same_seed_gives_identical_bytes(tmp_path):
    a = write_dataset(generate(seed=7), tmp_path / "a")
    b = write_dataset(generate(seed=7), tmp_path / "b")
    for name in a:
        assert a[name][0].read_bytes() == b[name][0].read_bytes(), name


def test_a_drawn_dataset_is_kept_on_disk_and_a_broken_copy_is_drawn_again(tmp_path, monkeypatch):
    from dataclasses import asdict

    from shared.datasets import tickets

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tickets._drawn.cache_clear()  # this process's copy, so the folder above is used
    try:
        drawn = asdict(tickets._draw(0, "standard"))
        assert asdict(generate(seed=0)) == drawn
        kept = tickets.cache_file(0, "standard")
        assert kept.is_relative_to(tmp_path) and kept.is_file(), "the dataset is kept for the next process"
        tickets._drawn.cache_clear()
        assert asdict(generate(seed=0)) == drawn, "read back from disk, it is the same dataset"
        kept.write_text('{"seed": 0, "train": [', encoding="utf-8")  # cut off mid-write
        tickets._drawn.cache_clear()
        assert asdict(generate(seed=0)) == drawn and kept.stat().st_size > 1_000_000, "drawn and kept again"
    finally:
        tickets._drawn.cache_clear()


def test_different_seeds_differ(tmp_path):
    a = write_dataset(generate(seed=1), tmp_path / "a")
    b = write_dataset(generate(seed=2), tmp_path / "b")
    assert all(a[n][0].read_bytes() != b[n][0].read_bytes() for n in a)


def test_sizes_and_schema(ds):
    assert (len(ds.train), len(ds.validation), len(ds.test)) == (5000, 1000, 2000)
    assert len(ds.stream) == len(SCENARIOS) * WINDOWS * WINDOW_SIZE
    ids = [t["id"] for split in ds.splits().values() for t in split]
    assert len(ids) == len(set(ids)), "ids are unique across splits"
    for t in ds.stream[:50]:
        assert set(t) == set(STREAM_FIELDS)
        assert t["category"] in CATEGORIES and t["priority"] in PRIORITIES


def test_every_category_and_priority_appears_in_every_split(ds):
    for split in (ds.train, ds.validation, ds.test):
        assert set(Counter(t["category"] for t in split)) == set(CATEGORIES)
        assert set(Counter(t["priority"] for t in split)) == set(PRIORITIES)


def test_variety_long_tickets_logs_and_threads(ds):
    lengths = [count_tokens(ticket_text(t)) for t in ds.train]
    assert max(lengths) > 2000, "some tickets run to thousands of tokens"
    assert statistics.median(lengths) < 200, "most tickets are short"
    bodies = [t["body"] for t in ds.train]
    assert sum("Traceback" in b for b in bodies) > 20
    assert sum("wrote:" in b for b in bodies) > 100
    assert sum("CONFIDENTIALITY" in b for b in bodies) > 50
    assert len({t["product"] for t in ds.train}) >= 5


def test_ambiguous_two_topic_tickets_exist(ds):
    also = sum("Also, " in t["body"] for t in ds.train)
    assert 100 < also < 600, "about 5% of tickets carry a second topic"


def test_timestamps_are_ordered_by_window(ds):
    windows = ds.stream_windows("none")
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert max(t["created_at"] for t in earlier) < min(t["created_at"] for t in later)


def test_none_scenario_does_not_shift(ds):
    before, after = _before_after(ds, "none")
    mean = lambda ts: statistics.mean(count_tokens(ticket_text(t)) for t in ts)  # noqa: E731
    assert 0.6 < mean(after) / mean(before) < 1.6
    assert {t["language"] for t in after} == {"en"}


def test_long_tickets_shift_length(ds):
    before, after = _before_after(ds, "long_tickets")
    mean = lambda ts: statistics.mean(count_tokens(ticket_text(t)) for t in ts)  # noqa: E731
    assert mean(after) > 5 * mean(before)


def test_new_product_brings_unseen_vocabulary(ds):
    before, after = _before_after(ds, "new_product")
    train_products = {t["product"] for t in ds.train}
    unseen = [t for t in after if t["product"] not in train_products]
    assert len(unseen) > 0.5 * len(after)
    assert all(t["product"] in train_products for t in before)
    train_text = " ".join(ticket_text(t) for t in ds.train[:2000]).lower()
    assert "nimbusedge" not in train_text


def test_category_mix_shifts_priors(ds):
    before, after = _before_after(ds, "category_mix")
    share = lambda ts, c: sum(t["category"] == c for t in ts) / len(ts)  # noqa: E731
    incidents = lambda ts: share(ts, "outage") + share(ts, "security")  # noqa: E731
    assert incidents(after) > 2 * incidents(before)


def test_language_scenario_brings_other_languages(ds):
    before, after = _before_after(ds, "language")
    assert all(t["language"] == "en" for t in before)
    foreign = [t for t in after if t["language"] != "en"]
    assert len(foreign) > 0.4 * len(after)
    assert {t["language"] for t in foreign} == {"es", "de"}


def test_unknown_scenario_is_a_clear_error(ds):
    with pytest.raises(ValueError, match="long_tickets"):
        ds.stream_windows("weather")


def test_jsonl_round_trip_and_csv(tmp_path, ds):
    paths = write_dataset(ds, tmp_path, fmt="jsonl")
    assert read_jsonl(paths["test"][0]) == ds.test
    csv_paths = write_dataset(ds, tmp_path / "csv", fmt="csv")
    header = csv_paths["stream"][0].read_text().splitlines()[0]
    assert header.split(",") == list(STREAM_FIELDS)


def test_malformed_jsonl_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n{broken\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_jsonl(bad)
