"""The peer of bench/chain_bench.cpp's BM_MemberB in HF transformers (SDPA, bf16, random
weights, the same Llama-3-8B shape): member B of A -> B answers in 16 tokens after an
intermediate result of N tokens, either re-prefilling it as text (the text chain) or continuing
from A's past_key_values (shared). Prints one JSON line per (mode, N) with the median and the
spread of 5 runs; only B's work is timed. A reference run by tests/gpu/run_chain_bench.sh,
never part of the product."""
import copy
import json
import statistics
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

PROMPT, QUESTION, INPUT, OUTPUT = 100, 32, 8, 16


def main():
    lengths = [int(x) for x in sys.argv[1].split(",")] if len(sys.argv) > 1 else [250, 1000, 3000]
    config = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                         num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                         max_position_embeddings=16384, rope_theta=500000.0,
                         attn_implementation="sdpa", torch_dtype=torch.bfloat16)
    torch.manual_seed(1)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    ids = lambda n: torch.randint(3, config.vocab_size, (1, n), device="cuda")
    prompt_a, prompt_b, question = ids(PROMPT), ids(PROMPT), ids(QUESTION)
    a_input, b_input = ids(INPUT), ids(INPUT)

    def decode(past, next_ids):
        out = model(input_ids=next_ids, past_key_values=past, use_cache=True)
        for _ in range(OUTPUT - 1):
            token = out.logits[:, -1:].argmax(-1)
            out = model(input_ids=token, past_key_values=out.past_key_values, use_cache=True)
        return out

    for n in lengths:
        a_output = ids(n)
        with torch.no_grad():
            a_cache = model(input_ids=torch.cat([question, prompt_a, a_input, a_output], 1),
                            use_cache=True).past_key_values
            for mode in ("text", "shared"):
                times = []
                for run in range(6):
                    past = copy.deepcopy(a_cache) if mode == "shared" else None
                    b_ids = (torch.cat([prompt_b, b_input], 1) if mode == "shared" else
                             torch.cat([question, prompt_b, a_output, b_input], 1))
                    torch.cuda.synchronize()
                    start = time.perf_counter()
                    decode(past, b_ids)
                    torch.cuda.synchronize()
                    if run > 0:  # the first run warms up
                        times.append(time.perf_counter() - start)
                print(json.dumps({"peer": "hf-transformers-sdpa-dynamic", "mode": mode,
                                  "intermediate": n, "median_s": statistics.median(times),
                                  "min_s": min(times), "max_s": max(times)}), flush=True)


if __name__ == "__main__":
    main()
