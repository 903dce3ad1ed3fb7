"""Prediction breakdown: where a suite's chains lose their points.
For one task of a finished suite, joins each method's predictions (RUN/predictions/TASK-METHOD-s0.jsonl)
to the test records of the world it ran on (WORLD/TASK/test.jsonl) by id, and prints, per
method, the mean of each record's scores by the records' "type" (Rewrite&QA: bridge against
comparison; Active RAG: claim against bridge). For a chain it also prints how often the first
member's output holds a gold answer, and the last member's EM on those records and on the rest
(Compression&QA: is the compressor or the reader the bottleneck?); with --claims, for Active
RAG's claim records, the answers given after the marker, and on the false claims how often the
last member first wrote the passage's own statement of the fact (its gold answer step's text
before the marker): whether it found the evidence, whatever its verdict.
Usage: prediction_breakdown.py RUN WORLD TASK [METHOD ...] [--claims]"""
import collections
import json
import sys

args = [a for a in sys.argv[1:] if a != "--claims"]
run, world, task = args[:3]
methods = args[3:] or ["single", "text", "distill", "shared"]
records = {}
with open(f"{world}/{task}/test.jsonl") as f:
    for line in f:
        r = json.loads(line)
        records[r["id"]] = r


def mean(values):
    return sum(values) / len(values) if values else float("nan")


for method in methods:
    with open(f"{run}/predictions/{task}-{method}-s0.jsonl") as f:
        predictions = [json.loads(line) for line in f]
    by_type = collections.defaultdict(list)
    for p in predictions:
        metric = p["metrics"][0]
        by_type[records[p["id"]].get("type", "-")].append(p[metric])
    print(method, {k: (len(v), round(mean(v), 1)) for k, v in sorted(by_type.items())})
    turns = [p for p in predictions if len(p.get("turns", [])) > 1]
    if turns:
        held = [p for p in turns
                if any(g.lower() in p["turns"][0]["text"].lower() for g in p["golden_answers"])]
        rest = [p for p in turns if p not in held]
        print(f"  first member's output holds a gold answer: {len(held)} of {len(turns)}; "
              f"EM given it {mean([p['em'] for p in held]):.1f}, "
              f"without it {mean([p['em'] for p in rest]):.1f}")
    if "--claims" in sys.argv:
        claims = [p for p in predictions if records[p["id"]].get("type") == "claim"]
        answers = collections.Counter(p["prediction"].strip()[:12] for p in claims)
        print(f"  {len(claims)} claims, answers: {answers.most_common(5)}")
        marker = " [The answer is]"
        false = [p for p in claims if p["golden_answers"] == ["false"]]
        stated = [p for p in false if p["turns"] and
                  p["turns"][-1]["text"].split(marker)[0].strip() ==
                  records[p["id"]]["steps"][-1]["text"].split(marker)[0].strip()]
        if any(p["turns"] for p in false):
            print(f"  false claims where it wrote the passage's statement first: "
                  f"{len(stated)} of {len(false)}")
