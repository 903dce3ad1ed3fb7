"""Completion probe: does a base complete a fact from the words before it?
Each line of TEXT ends with a fact ("... The birthplace of Yara Fonous is Veigrad Falls."). The
probe cuts the last sentence before its object and counts how often greedy decoding (kvchain
generate, on the CPU) starts with that object. On a world's pretrain.txt (one fact per line) it
measures recall of memorised facts; on the reading.txt of a held-out world (the fact's passage, a
distractor passage, then the fact restated) it measures reading from the context.
Usage: completion_probe.py KVCHAIN MODEL_DIR TEXT N"""
import json
import subprocess
import sys

kvchain, model, text, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
CONNECTORS = [" is a native of ", " was born in the city of ", " was born in the year ",
              " was born in ", " are in ", " works as a ", " is employed by ", " works for ",
              " is ", " by ", " in ", " as a ", " for ", " of "]
completed = probed = 0
for line in open(text, encoding="utf-8").read().splitlines()[:n]:
    body, _, last = line.rstrip(".").rpartition(". ")
    found = [(last.rfind(c), c) for c in CONNECTORS if last.rfind(c) > 0]
    if not found:
        continue
    cut, connector = max(found)
    prompt = (body + ". " if body else "") + last[:cut + len(connector)].rstrip()
    gold = last[cut + len(connector):].strip()
    out = subprocess.run([kvchain, "generate", "--model", model, "--device", "cpu",
                          "--max-new-tokens", "8", "--json", "--prompt", prompt],
                         capture_output=True, text=True, check=True)
    generated = json.loads(out.stdout)["text"].strip()
    probed += 1
    completed += generated.startswith(gold)
    print(("OK " if generated.startswith(gold) else "-- ") + repr(gold) + " -> " +
          repr(generated[:40]))
print(f"completed {completed}/{probed}")
