"""Checks that Hugging Face transformers and tokenizers open what kvchain writes.

usage: hf_interop.py FIXTURE_DIR WORK_DIR KVCHAIN_BINARY
WORK_DIR holds f32-sharded/ and bf16/ (from `kvchain convert`) and tokenizer.json (from
`kvchain train-tokenizer`). Exits non-zero on any mismatch.
"""
import json
import subprocess
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

fixture, work, kvchain = sys.argv[1:4]
reference = json.load(open(f"{fixture}/reference.json"))
cases = json.load(open(f"{fixture}/tokenizer_cases.json"))
failures = []


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


ids = torch.tensor(reference["input_ids"])
expected = torch.tensor(reference["logits"])
# bf16: measured 9.0e-3 on logits within +-1.2 (H100, 2026-11-23 and 2026-12-06); the bound is
# 2.8x that, where a misplaced or unconverted weight moves the logits by tenths or more.
for sub, tolerance in (("f32-sharded", 1e-4), ("bf16", 0.025)):
    model = AutoModelForCausalLM.from_pretrained(f"{work}/{sub}", dtype=torch.float32)
    with torch.no_grad():
        err = (model(ids).logits - expected).abs().max().item()
    check(f"transformers loads kvchain's {sub} checkpoint", err < tolerance, f"max |logit err| {err:.2e}")

model = AutoModelForCausalLM.from_pretrained(f"{work}/f32-sharded", dtype=torch.float32)
prompt = reference["greedy_prompt"][0]
hf_ids = model.generate(torch.tensor([prompt]), max_new_tokens=12, do_sample=False)[0].tolist()
kv = json.loads(subprocess.check_output(
    [kvchain, "generate", "--model", f"{work}/f32-sharded", "--prompt-ids",
     ",".join(map(str, prompt)), "--max-new-tokens", "12", "--json"]))
check("greedy ids equal (transformers vs kvchain)", hf_ids == kv["ids"], f"{len(hf_ids)} ids")

resaved = Tokenizer.from_file(f"{work}/f32-sharded/tokenizer.json")
bad = [c["text"] for c in cases if resaved.encode(c["text"], add_special_tokens=False).ids != c["ids"]]
check("tokenizers reads kvchain's re-saved tokenizer.json", not bad, f"{len(cases)} cases, mismatches {bad}")

trained = Tokenizer.from_file(f"{work}/tokenizer.json")
texts = [c["text"] for c in cases] + [open(f"{fixture}/README.md").read()]
mismatch = []
for text in texts:
    ours = json.loads(subprocess.check_output([kvchain, "tokenize", "--tokenizer", f"{work}/tokenizer.json", "--text", text]))
    theirs = trained.encode(text, add_special_tokens=False).ids
    if ours != theirs or trained.decode(theirs, skip_special_tokens=False) != text:
        mismatch.append(text[:30])
check("tokenizers encodes like kvchain with a kvchain-trained vocabulary", not mismatch,
      f"vocab {trained.get_vocab_size()}, {len(texts)} texts, mismatches {mismatch}")
sys.exit(1 if failures else 0)
