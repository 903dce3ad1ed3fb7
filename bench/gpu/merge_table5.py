"""Puts kvchain's Table 5 (the Google Benchmark JSON of bench/kvchain_bench_chain) next to the
HF transformers peers measured in the same call (the JSON lines of hf_chain_peer.py), with
kvchain's time as a ratio of the best peer's. Prints markdown. A reference tool of
bench/gpu/run_chain_bench.sh, never part of the product."""
import json
import re
import sys


def kvchain_medians(path):
    medians = {}
    for entry in json.load(open(path))["benchmarks"]:
        if entry.get("aggregate_name") != "median":
            continue
        match = re.match(r"BM_(\w+)/shared:(\d)/(intermediate|members):(\d+)", entry["name"])
        if match:
            kind, shared, _, n = match.groups()
            medians[(kind, "shared" if shared == "1" else "text", int(n))] = entry
    return medians


def main():
    ours = kvchain_medians(sys.argv[1])
    peers = {}
    for line in open(sys.argv[2]):
        row = json.loads(line)
        if "mode" in row:
            peers[(row["peer"], row["mode"], row["intermediate"])] = row["median_s"] * 1e3
        else:
            print(f"{row['peer']}: first call (torch.compile) {row['first_call_s']:.1f} s\n")
    lengths = sorted({n for kind, _, n in ours if kind == "MemberB"})
    names = sorted({peer for peer, _, _ in peers})
    print("| intermediate | mode | kvchain ms | floor ms | x floor | "
          + " | ".join(f"{p} ms" for p in names) + " | kvchain / best peer |")
    print("|---" * (6 + len(names)) + "|")
    for n in lengths:
        for mode in ("text", "shared"):
            entry = ours.get(("MemberB", mode, n))
            if entry is None:
                continue
            time = entry["real_time"]
            theirs = [peers.get((p, mode, n)) for p in names]
            best = min((t for t in theirs if t is not None), default=None)
            cells = " | ".join(f"{t:.1f}" if t is not None else "-" for t in theirs)
            ratio = f"{time / best:.2f}" if best else "-"
            print(f"| {n} | {mode} | {time:.1f} | {entry['floor_ms']:.1f} | "
                  f"{time / entry['floor_ms']:.2f} | {cells} | {ratio} |")
    print("\n| members | text: KV MiB held (formula) | FTHSS: slots / allocated MiB (formula) |")
    print("|---|---|---|")
    for m in sorted({n for kind, _, n in ours if kind == "KvMemory"}):
        text, shared = ours.get(("KvMemory", "text", m)), ours.get(("KvMemory", "shared", m))
        if text and shared:
            print(f"| {m} | {text['kv_MB_allocated']:.1f} ({text['kv_MB_formula_1000_tokens']:.1f}) | "
                  f"{shared['kv_MB_slots']:.1f} / {shared['kv_MB_allocated']:.1f} "
                  f"({shared['kv_MB_formula_1000_tokens']:.1f}) |")


if __name__ == "__main__":
    main()
