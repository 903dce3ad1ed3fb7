"""Summarises an Nsight Compute CSV of kvchain_bench_chain (profile_decode.sh): each kernel's
own GPU time, CUDA-graph nodes profiled one by one.

Argmax (a step's next token: libtorch's, or kvchain's second argmax kernel) and max (the benchmark's wait for A's replayed output) end the
segments the kernels are split into. The commonest kernel count among segments of over 100
kernels is a decode step's; the longest other segment that ends in an argmax is B's prefill.
For the median decode step and for that prefill it prints each kernel's count and time. Nsight
Compute runs kernels one at a time, so a step's kernels' sum, set against the step's measured
time, leaves what the GPU spends between kernels and the host between steps.
"""

import collections
import csv
import re
import statistics
import sys

UNITS = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6, "nsecond": 1e-3, "usecond": 1.0,
         "msecond": 1e3}


def short(name):
    name = re.sub(r"\(.*$", "", name).replace("void ", "")
    for noise in ("at::native::", "(anonymous namespace)::", "kvchain::kernels::", "c10::"):
        name = name.replace(noise, "")
    return name[:100]


def read(path):
    kernels = []
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]
    for row in csv.DictReader(lines):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        kernels.append((row["Kernel Name"], value * UNITS[row["Metric Unit"]]))
    return kernels


def segments(kernels):
    done, current = [], []
    for name, us in kernels:
        current.append((name, us))
        if any(end in name for end in ("MaxOps", "MaxNanFunctor", "argmax_final")):
            done.append(current)
            current = []
    return done


def table(step, rows=None):
    by_name = collections.OrderedDict()
    for name, us in step:
        entry = by_name.setdefault(short(name), [0, 0.0, []])
        entry[0] += 1
        entry[1] += us
        entry[2].append(us)
    print("| kernel | count | total us | median us |")
    print("| --- | --- | --- | --- |")
    ordered = sorted(by_name.items(), key=lambda x: -x[1][1])
    for name, (count, total, each) in ordered[:rows]:
        print(f"| {name} | {count} | {total:.1f} | {statistics.median(each):.2f} |")
    print()


def main(path, step_ms):
    kernels = read(path)
    parts = segments(kernels)
    counts = collections.Counter(len(s) for s in parts if len(s) > 100)
    if not counts:
        print(f"no decode step among {len(kernels)} kernels profiled")
        return
    size = counts.most_common(1)[0][0]
    decode = sorted((sum(us for _, us in s), s) for s in parts if len(s) == size)
    busy, step = decode[len(decode) // 2]
    print(f"{len(kernels)} kernels profiled; {len(decode)} decode steps of {size} kernels; "
          f"the median step's kernels take {busy:.1f} us one at a time, against "
          f"{step_ms * 1e3:.1f} us a step measured by the benchmark: "
          f"{step_ms * 1e3 - busy:.1f} us between kernels and steps")
    print()
    table(step)
    print("The decode step's first 40 kernels in order:")
    print()
    for name, us in step[:40]:
        print(f"- {us:7.2f} us  {short(name)}")
    print()
#A recording 's first replay carries check_replay' s norms : not a prefill's own kernels.
    prefills = [s for s in parts if len(s) != size and ("ArgMax" in s[-1][0] or "argmax" in s[-1][0]) and
                not any("NormTwoOps" in name for name, _ in s)]
    if prefills:
        prefill = max(prefills, key=lambda s: sum(us for _, us in s))
        print(f"B's prefill: {len(prefill)} kernels, "
              f"{sum(us for _, us in prefill) / 1e3:.2f} ms one at a time; its 20 largest:")
        print()
        table(prefill, 20)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
