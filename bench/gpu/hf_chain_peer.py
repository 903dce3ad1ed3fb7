"""The peer of bench/chain_bench.cpp's BM_MemberB in HF transformers (SDPA, bf16, random
weights, the same Llama-3-8B shape): member B of A -> B answers in 16 tokens after an
intermediate result of N tokens, either re-prefilling it as text (the text chain) or continuing
from A's cache (shared). Two peers: the forward loop over a dynamic cache, and `generate` with
a static cache, which transformers compiles with torch.compile (its best decode; the first
call's time, the compile, is printed apart). Prints one JSON line per (peer, mode, N) with the
median and the spread of 5 runs; only B's work is timed. A reference run by
bench/gpu/run_chain_bench.sh, never part of the product."""
import copy
import json
import statistics
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM, StaticCache

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

    def report(peer, mode, n, times):
        print(json.dumps({"peer": peer, "mode": mode, "intermediate": n,
                          "median_s": statistics.median(times), "min_s": min(times),
                          "max_s": max(times)}), flush=True)

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
                report("hf-sdpa-dynamic", mode, n, times)

    # One static cache sized for the longest run, reset between runs, so that every decode step
    # has one shape and torch.compile compiles once.
    longest = QUESTION + 2 * (PROMPT + INPUT) + max(lengths) + OUTPUT
    cache = StaticCache(config=model.config, max_cache_len=longest)
    first = True
    for n in lengths:
        a_output = ids(n)
        a_ids = torch.cat([question, prompt_a, a_input, a_output], 1)
        for mode in ("text", "shared"):
            times = []
            for run in range(6):
                cache.reset()
                if mode == "shared":
                    with torch.no_grad():
                        model(input_ids=a_ids, past_key_values=cache, use_cache=True,
                              cache_position=torch.arange(a_ids.shape[1], device="cuda"))
                    b_ids = torch.cat([a_ids, prompt_b, b_input], 1)
                else:
                    b_ids = torch.cat([question, prompt_b, a_output, b_input], 1)
                torch.cuda.synchronize()
                start = time.perf_counter()
                out = model.generate(b_ids, past_key_values=cache, max_new_tokens=OUTPUT,
                                     min_new_tokens=OUTPUT, do_sample=False, pad_token_id=0)
                torch.cuda.synchronize()
                elapsed = time.perf_counter() - start
                assert out.shape[1] == b_ids.shape[1] + OUTPUT
                if first:
                    print(json.dumps({"peer": "hf-static-compiled", "first_call_s": elapsed}),
                          flush=True)
                    first = False
                elif run > 0:
                    times.append(elapsed)
            report("hf-static-compiled", mode, n, times)


if __name__ == "__main__":
    main()
