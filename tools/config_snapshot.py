"""Dump what every figure's Config does with many good and bad inputs, or compare two dumps.

    PYTHONPATH=src python tools/config_snapshot.py dump before.json      # on the old code
    PYTHONPATH=src python tools/config_snapshot.py dump after.json       # on the new code
    python tools/config_snapshot.py compare before.json after.json       # exit 1 on any difference

Each figure gets the defaults, every parameter alone with each value of a pool (garbage and plausible values,
as Python objects and as CLI strings), every pair of parameters both bad (which one is reported first), and
random combinations (seeded). An outcome is the coerced parameters or the exact ParameterError line, so a
refactoring of the validation that keeps every message and the order of the checks leaves the dump unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sys

POOL = [
    None,
    True,
    False,
    0,
    1,
    2,
    3,
    -1,
    5,
    7,
    12,
    20,
    100,
    10**6,
    0.0,
    -0.0,
    0.5,
    1.5,
    1e-8,
    1e-3,
    1e-2,
    0.1,
    1e-12,
    1e-20,
    1e3,
    1e9,
    1e12,
    1e13,
    math.nan,
    math.inf,
    "",
    " ",
    "x",
    "nan",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1e-8",
    "1e-4",
    "0.5",
    "1,2",
    "1,2,3",
    "3,2,1",
    "1,1",
    "1e-2,1e-4",
    "1e-4,1e-2",
    "1e-2,1e-2",
    "2 3 4",
    "even",
    "gaussian",
    "tanh",
    "rational",
    "even,gaussian",
    "no_bias",
    "bias",
    "positive",
    "true",
    "no",
    [],
    [1],
    [1, 2],
    [2, 1],
    [1, 1],
    (1e-3, 1e-5),
    (1e-5, 1e-3),
    (1e-16, 1e-10),
    (1e6, 1e7),
    (1e6, 1e12),
    [1e-2, 1e-2, 1e-4],
    ["a"],
    [math.nan, 1],
    (0, 1, 2),
    (2, 3, 4, 5),
    1e-6,
    2e-9,
    4e-9,
    3e-9,
    1e-9,
    1e5,
    1e7,
    1e8,
    1e10,
    "1e-9",
    "3e-9",
    0.3,
    0.01,
    "1.5",
    1e-16,
    1e-10,
    1e6,
    4.0,
    6,
    8,
    10,
    50,
    200,
    1000,
    2**31,
    "2000",
    b"x",
    {"a": 1},
]


def _outcome(cls: type, kw: dict) -> list:
    from recovery.config import ParameterError

    try:
        return ["ok", json.loads(json.dumps(cls.from_user(**kw).params(), default=repr))]
    except ParameterError as e:
        return ["err", str(e), e.name]
    except Exception as e:
        return ["exc", type(e).__name__, str(e)]


def dump(path: str, random_cases: int = 3000) -> None:
    from recovery.figures import available, get

    out = {}
    for name in available():
        cls = get(name).Config
        rng = random.Random(12345)
        names = [f.name for f in dataclasses.fields(cls)]
        rows = [_outcome(cls, {})]
        rows += [_outcome(cls, {n: v}) for n in names for v in POOL]
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                rows += [_outcome(cls, {a: "x", b: "x"}), _outcome(cls, {b: 0, a: -1})]
        for _ in range(random_cases):
            chosen = rng.sample(names, min(rng.choice([1, 2, 2, 3, 4]), len(names)))
            rows.append(_outcome(cls, {n: rng.choice(POOL) for n in chosen}))
        out[name] = {"fields": names, "rows": rows}
    with open(path, "w") as fh:
        json.dump(out, fh)
    print(f"{path}: " + ", ".join(f"{k} {len(v['rows'])}" for k, v in out.items()))


def compare(before: str, after: str) -> int:
    with open(before) as fh:
        a = json.load(fh)
    with open(after) as fh:
        b = json.load(fh)
    bad = 0
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b or a[name]["fields"] != b[name]["fields"]:
            print(f"{name}: figure or its fields differ (added parameters make the dumps incomparable)")
            bad += 1
            continue
        diffs = [(i, x, y) for i, (x, y) in enumerate(zip(a[name]["rows"], b[name]["rows"])) if x != y]
        print(f"{name}: {len(a[name]['rows'])} cases, {len(diffs)} differ")
        for i, x, y in diffs[:3]:
            print(f"    case {i}: {x} -> {y}")
        bad += len(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        raise SystemExit(compare(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit(__doc__)
