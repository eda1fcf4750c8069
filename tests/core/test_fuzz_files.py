"""A deterministic fuzz of the three file formats: 2,000 mutated files each, started from
the shipped examples and lessons and from comparisons made with core.compare, each read by
the public loader and each giving the format's one-sentence error or a valid object,
within a second (a minute for them all), the process's resident memory growing by less
than 1 GiB."""

from __future__ import annotations

import copy
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile import EXAMPLES, FORMATS, field_paths, get, object_paths, outcome

from vanishgui.core.compare import load_comparison
from vanishgui.core.experiment import load_experiment
from vanishgui.core.lesson import load_lesson

SEED = 20_240_517
FILES_PER_FORMAT = 2_000
SECONDS_PER_FILE = 1.0
SECONDS_IN_ALL = 60.0
MAX_BYTES = 8 * 1024 * 1024  # a file that grew past this (lists resized, again) is cut
MAX_RSS = 1024**3  # growth of the process's resident memory, checked after every file


def resident_bytes() -> int:
    """This process's resident memory now (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

# Raw JSON that json.dumps will not write: a placeholder string is swapped for it.
RAW = {
    "@@1e999@@": "1e999", "@@-1e999@@": "-1e999", "@@NaN@@": "NaN",
    "@@-Infinity@@": "-Infinity", "@@1e-400@@": "1e-400",
    "@@5000 digits@@": "1" + "0" * 5_000,  # over Python's 4,300-digit limit
    "@@4300 digits@@": "9" * 4_300,
    "@@deep 100000@@": "[" * 100_000 + "]" * 100_000,
    **{f"@@deep {n}@@": "[" * n + "1" + "]" * n for n in (50, 400, 900, 990)},
    **{f"@@deep object {n}@@": '{"a":' * n + "1" + "}" * n for n in (400, 990)},
}
SMALL_VALUES: list[Any] = [
    [], {}, "", "x", 0, -1, 1.5, -0.0, True, False, None, [1, 2], {"a": 1}, [[1.0]],
    "relu", "sigmoid", "adam", "normal", "depth", "start", "1:1", "backward:3", "play",
    "\n", "a\r\nb", "\x00", "\ud800", "é" * 3, 2**63, -(2**63), 1e308, -1e308, 5e-324,
    float("nan"), float("inf"), *RAW,
]
ODD_KEYS = ["a\nb", "\r", "\x00", "", " ", "k" * 5_000, "\u2028", "format", "name", "do",
            "network.layers", "seed", "change"]


def random_value(rng: random.Random) -> Any:
    """A fresh value (never one of SMALL_VALUES itself: a later mutation may change it)."""
    return copy.deepcopy(_random_value(rng))


def _random_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(SMALL_VALUES)
    if roll < 0.7:
        return rng.choice(["x", "\n", "é", "7"]) * rng.choice([100, 10_000, 200_000])
    if roll < 0.85:
        return rng.choice([rng.randint(-10**6, 10**6), rng.uniform(-1e6, 1e6),
                           rng.randint(-3, 300), 10**rng.randint(10, 4_000),
                           -(10**rng.randint(10, 4_000)), rng.uniform(-1, 1) * 1e300])
    return [rng.choice(SMALL_VALUES[:16]) for _ in range(rng.choice([1, 3, 100, 5_000]))]


# -- mutations of the decoded document -----------------------------------------------------


def delete_key(doc: Any, rng: random.Random) -> Any:
    paths = [p for p in object_paths(doc) if get(doc, p)]
    if paths:
        obj = get(doc, rng.choice(paths))
        del obj[rng.choice(list(obj))]
    return doc


def swap_value(doc: Any, rng: random.Random) -> Any:
    path = rng.choice(list(field_paths(doc)))
    if not path:
        return random_value(rng)
    get(doc, path[:-1])[path[-1]] = random_value(rng)
    return doc


def odd_key(doc: Any, rng: random.Random) -> Any:
    paths = list(object_paths(doc))
    if paths:
        obj = get(doc, rng.choice(paths))
        key = rng.choice(ODD_KEYS)
        if obj and rng.random() < 0.5:  # rename a key rather than add one
            old = rng.choice(list(obj))
            at = rng.randint(0, len(old))
            obj[old[:at] + key + old[at:]] = obj.pop(old)
        else:
            obj[key] = random_value(rng)
    return doc


def resize_list(doc: Any, rng: random.Random) -> Any:
    paths = [p for p in field_paths(doc) if isinstance(get(doc, p), list) and get(doc, p)]
    if paths:
        items = get(doc, rng.choice(paths))
        if rng.random() < 0.5:
            del items[rng.randrange(len(items))]
        else:
            items.extend(copy.deepcopy(rng.choice(items)) for _ in range(rng.choice([1, 300])))
    return doc


MUTATIONS: dict[str, Callable[[Any, random.Random], Any]] = {
    "delete a key": delete_key, "swap a value": swap_value, "odd key": odd_key,
    "resize a list": resize_list,
}


# -- mutations of the bytes ------------------------------------------------------------------


def encode(doc: Any, rng: random.Random) -> bytes:
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
    for placeholder, raw in RAW.items():
        text = text.replace(json.dumps(placeholder), raw)
    return text.encode("utf-8", "surrogatepass")


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randint(0, len(data))
    junk = rng.choice([b"\xef\xbb\xbf", b"\x00", b"\xff\xfe", b"\xc3", b"]", b"}", b",", b'"',
                       b"\\", b"\n", b"\xe2\x80\xa8", b"[" * 5_000])
    return data[:at] + junk + data[at:]


BYTE_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": truncate, "flip bytes": flip, "insert bytes": insert,
}


def mutated(doc: Any, rng: random.Random, tally: Counter[str]) -> bytes:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(list(MUTATIONS))
        tally[name] += 1
        doc = MUTATIONS[name](doc, rng)
    data = encode(doc, rng)
    if rng.random() < 0.3:
        name = rng.choice(list(BYTE_MUTATIONS))
        tally[name] += 1
        data = BYTE_MUTATIONS[name](data, rng)
    if len(data) > MAX_BYTES:
        tally["cut to 8 MB"] += 1
        data = data[:MAX_BYTES]
    return data


LOADERS: dict[str, Callable[[Path], object]] = {
    "experiment": load_experiment,
    "lesson": lambda path: load_lesson(path, EXAMPLES),
    "comparison": load_comparison,
}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_mutated_files_give_one_sentence_or_a_valid_object(tmp_path: Path, kind: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by a short relative name: the message's length is then the loader's doing, not
    # the temporary folder's.
    monkeypatch.chdir(tmp_path)
    error, _, docs = FORMATS[kind]
    starts = list(docs().values())
    load = LOADERS[kind]
    rng = random.Random(f"{SEED}-{kind}")
    tally: Counter[str] = Counter()
    path = Path(f"fuzzed.{kind}.json")
    slowest = 0.0
    baseline = peak = resident_bytes()
    # CPU time of this thread: what a file costs to read, whatever else the machine (the
    # other test worker, a busy CI host) is doing at the time
    started = time.thread_time()
    for i in range(FILES_PER_FORMAT):
        data = mutated(rng.choice(starts), rng, tally)
        path.write_bytes(data)
        t0 = time.thread_time()
        try:
            message = outcome(lambda: load(path), error)
        except BaseException as e:
            e.add_note(f"file {i} of {kind}, seed {SEED}: {data[:300]!r}")
            raise
        took = time.thread_time() - t0
        slowest = max(slowest, took)
        assert took <= SECONDS_PER_FILE, (i, took, data[:300])
        rss = resident_bytes()
        peak = max(peak, rss)
        # what the reading costs: the worker may hold earlier tests' memory already
        assert rss - baseline <= MAX_RSS, (i, rss, baseline, data[:300])
        tally["refused" if message is not None else "valid"] += 1
    took = time.thread_time() - started
    print(f"\n{kind}: {FILES_PER_FORMAT} files in {took:.1f} s of CPU "
          f"(slowest {slowest * 1000:.0f} ms, resident memory {baseline / 2**20:.0f} MiB "
          f"before, at most {peak / 2**20:.0f} MiB): "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    assert tally["valid"] + tally["refused"] == FILES_PER_FORMAT
    # a third of the minute each
    assert took <= SECONDS_IN_ALL / len(FORMATS), took
