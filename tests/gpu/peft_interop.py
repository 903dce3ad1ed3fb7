"""PEFT interop, both ways, on the tiny-llama fixture (float32, CPU), with PEFT itself:

1. PEFT writes a PROMPT_TUNING and a PREFIX_TUNING adapter (save_pretrained, 5 virtual tokens,
   PEFT's own random start) and its logits for a fixed input: the fixtures that
   tests/engine/test_adapters.cpp reads from tests/samples/peft/ (kvchain must load PEFT's files
   and give PEFT's logits).
2. PEFT reads kvchain's adapters back: kvchain trains a prompt and a prefix adapter (one epoch on
   four records), PEFT loads each file as its adapter_model.safetensors, and PEFT's greedy
   continuation must equal `kvchain generate --adapter`'s (and differ from the base alone's).

Usage: python3 tests/gpu/peft_interop.py TINY_LLAMA WORLD KVCHAIN OUT_DIR
Prints one "ok"/"FAIL" line per check; exits 1 on a failure.
"""
import json
import os
import shutil
import subprocess
import sys

import peft
import torch
import transformers
from peft import PeftModel, PrefixTuningConfig, PromptTuningConfig, TaskType, get_peft_model
from transformers import AutoModelForCausalLM

tiny, world, kvchain, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
work = os.path.join(out, "work")
os.makedirs(work, exist_ok=True)
ids = [451, 340, 497, 361, 133, 474, 136, 339]
new_tokens = 16
failed = False


def report(ok, text):
    global failed
    failed = failed or not ok
    print(("ok   " if ok else "FAIL ") + text, flush=True)


def base():
    return AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()


def greedy(model):
    with torch.no_grad():
        output = model.generate(input_ids=torch.tensor([ids]),
                                attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                max_new_tokens=new_tokens, do_sample=False)
    return output[0, -new_tokens:].tolist()


def kvchain_greedy(adapter=None):
    command = [kvchain, "generate", "--model", tiny, "--prompt-ids", ",".join(map(str, ids)),
               "--max-new-tokens", str(new_tokens), "--json"]
    if adapter:
        command += ["--adapter", adapter]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result["ids"][len(ids):]


reference = {"input_ids": ids, "peft": peft.__version__, "transformers": transformers.__version__}
kinds = {"prompt_tuning": ("prompt", PromptTuningConfig), "prefix_tuning": ("prefix", PrefixTuningConfig)}
for name, (kind, config_class) in kinds.items():
    torch.manual_seed(7)
    model = get_peft_model(base(), config_class(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=5))
    model.save_pretrained(os.path.join(out, name))
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0, -len(ids):]
        plain = base()(input_ids=torch.tensor([ids])).logits[0]
    reference[name] = {"logits": logits.tolist(),
                       "max_abs_change_from_base": float((logits - plain).abs().max())}
    report(float((logits - plain).abs().max()) > 1e-2,
           f"PEFT's {name} adapter moves the logits (max change "
           f"{float((logits - plain).abs().max()):.3f})")

    adapter = os.path.join(work, f"kvchain-{kind}.safetensors")
    subprocess.run([kvchain, "train", "--base", tiny, "--data", world, "--task", "compression_qa",
                    "--member", "compressor", "--kind", kind, "--virtual-tokens", "5",
                    "--limit", "4", "--epochs", "1", "--lr", "0.1", "--out", adapter],
                   check=True, capture_output=True)
    reads = os.path.join(work, f"peft-reads-kvchain-{kind}")
    shutil.rmtree(reads, ignore_errors=True)
    os.makedirs(reads)
    shutil.copy(os.path.join(out, name, "adapter_config.json"), reads)
    shutil.copy(adapter, os.path.join(reads, "adapter_model.safetensors"))
    peft_ids = greedy(PeftModel.from_pretrained(base(), reads).eval())
    kvchain_ids = kvchain_greedy(adapter)
    alone = kvchain_greedy()
    report(peft_ids == kvchain_ids and kvchain_ids != alone,
           f"PEFT reads kvchain's {kind} adapter: greedy ids {peft_ids} (kvchain {kvchain_ids}, "
           f"base alone {alone})")

with open(os.path.join(out, "reference.json"), "w") as f:
    json.dump(reference, f)
shutil.rmtree(work)
sys.exit(1 if failed else 0)
