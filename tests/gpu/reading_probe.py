"""Reading probe for tests/gpu/copy_reading_probe.sh. Each held-out reading line ends by
restating one of its facts; the probe cuts the line before the restated object and counts how
often greedy decoding (kvchain generate, on the CPU) starts with that object.
Usage: reading_probe.py KVCHAIN MODEL_DIR READING_TXT N"""
import json
import subprocess
import sys

kvchain, model, text, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
CONNECTORS = [" is a native of ", " was born in the city of ", " was born in ", " is ", " by ",
              " in ", " as a ", " for ", " of "]
lines = open(text, encoding="utf-8").read().splitlines()[:n]
copied = 0
for line in lines:
    body, last = line.rsplit(". ", 1)
    last = last.rstrip(".")
    found = [(last.rfind(c), c) for c in CONNECTORS if last.rfind(c) >= 0]
    if not found:
        continue  # counted as not copied
    cut, connector = found[0]
    prompt = body + ". " + last[:cut + len(connector)].rstrip()
    gold = last[cut + len(connector):]
    out = subprocess.run([kvchain, "generate", "--model", model, "--device", "cpu",
                          "--max-new-tokens", "8", "--json", "--prompt", prompt],
                         capture_output=True, text=True, check=True)
    generated = json.loads(out.stdout)["text"].strip()
    copied += generated.startswith(gold.strip())
    print(("OK " if generated.startswith(gold.strip()) else "-- ") + repr(gold) + " -> " +
          repr(generated[:40]))
print(f"copied {copied}/{len(lines)}")
