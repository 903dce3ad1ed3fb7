#!/usr/bin/env python3
"""Can the base learn to compare? Writes a small pilot's data into OUT_DIR.

train.jsonl: documents of comparison questions, several per document, in the cue pairs the base
read (Q:/A:, Query:/Result:, ...): bare year pairs ("Which year is earlier, 1901 or 1966?") and
two-sentence contexts ("X was born in 1861. Y was born in 1823." then "Who was born earlier, X or
Y?"), answered by the earlier year or the earlier-born name.
probe.jsonl: 200 held-out pairs (year sums divisible by 10, which no training pair has) in each
form, for `kvchain probe --items`, the bare ones under the layout name "list" and the contexts
under "comparison".

Usage: dev/comparison_pilot.py OUT_DIR [DOCUMENTS]  (data/base/README.md, run 14, gives the
pretrain and probe commands that read them)
"""
import json
import os
import random
import sys

FIRST = ["Edrin", "Ansel", "Kaela", "Soren", "Delia", "Quill", "Xavi", "Ilse", "Bettan", "Aldo",
         "Ulric", "Zeno", "Mira", "Taro", "Lena", "Oskar"]
LAST = ["Legos", "Thouli", "Drothum", "Numom", "Peitheil", "Rulom", "Deipem", "Nivai", "Zasto",
        "Stubo", "Braikeis", "Toureil"]
CUES = [("Q:", "A:"), ("Question:", "Answer:"), ("Query:", "Result:"), ("Ask:", "Reply:")]


def held_out(y1, y2):
    return (y1 + y2) % 10 == 0


def two_names(rng):
    while True:
        a = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        b = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if a != b:
            return a, b


def document(rng):
    q, a = rng.choice(CUES)
    lines = []
    for _ in range(rng.randint(4, 8)):
        y1, y2 = rng.sample(range(1800, 2000), 2)
        if held_out(y1, y2):
            continue
        kind = rng.random()
        if kind < 0.35:
            lines.append(f"{q} Which year is earlier, {y1} or {y2}?\n{a} {min(y1, y2)}")
        elif kind < 0.5:
            lines.append(f"{q} Which year is later, {y1} or {y2}?\n{a} {max(y1, y2)}")
        else:
            n1, n2 = two_names(rng)
            facts = [f"{n1} was born in {y1}.", f"{n2} was born in {y2}."]
            rng.shuffle(facts)
            winner = n1 if y1 < y2 else n2
            lines.append(f"{' '.join(facts)}\n{q} Who was born earlier, {n1} or {n2}?\n{a} {winner}")
    return "\n".join(lines)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: dev/comparison_pilot.py OUT_DIR [DOCUMENTS]")
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 6000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(7)
    with open(os.path.join(out, "train.jsonl"), "w") as f:
        for _ in range(count):
            text = document(rng)
            if text:
                f.write(json.dumps({"text": text}) + "\n")
    bare, context = [], []
    while len(bare) < 200:
        y1, y2 = rng.sample(range(1800, 2000), 2)
        if not held_out(y1, y2):
            continue
        n1, n2 = two_names(rng)
        bare.append({"layout": "list", "prompt": f"Q: Which year is earlier, {y1} or {y2}?\nA:",
                     "answers": [str(min(y1, y2))]})
        context.append({"layout": "comparison",
                        "prompt": f"{n1} was born in {y1}. {n2} was born in {y2}.\n"
                                  f"Q: Who was born earlier, {n1} or {n2}?\nA:",
                        "answers": [n1 if y1 < y2 else n2]})
    with open(os.path.join(out, "probe.jsonl"), "w") as f:
        for item in bare + context:
            f.write(json.dumps(item) + "\n")


if __name__ == "__main__":
    main()
