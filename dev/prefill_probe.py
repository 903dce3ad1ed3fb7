"""Where a long prefill's time goes, kernel by kernel, on the Llama-3-8B shape (bf16, random
weights): the operators kvchain's prefill of N new tokens behind a cache of P slots runs per
layer, each timed alone with CUDA events (median of 10), times 32 layers. Next to them, the
attention kernel a from-scratch prefill of P + N tokens gets (HF's text chain). A reference
probe run by bench/gpu/run_chain_bench.sh, never part of the product.
Usage: prefill_probe.py N P"""
import statistics
import sys

import torch
import torch.nn.functional as F

HIDDEN, HEADS, KV_HEADS, DIM, MLP, LAYERS = 4096, 32, 8, 128, 14336, 32


def timed(fn, repeats=10):
    fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    n, past = int(sys.argv[1]), int(sys.argv[2])
    dev, bf = "cuda", torch.bfloat16
    w = lambda o, i: torch.randn(o, i, device=dev, dtype=bf) * 0.02
    x = torch.randn(1, n, HIDDEN, device=dev, dtype=bf)
    norm_w = torch.ones(HIDDEN, device=dev, dtype=bf)
    qkv, o, gate_up, down = w(6144, HIDDEN), w(HIDDEN, 4096), w(2 * MLP, HIDDEN), w(HIDDEN, MLP)
    q = torch.randn(1, n, HEADS + KV_HEADS, DIM, device=dev, dtype=bf)
    cos = torch.randn(1, n, 1, DIM, device=dev, dtype=bf)
    k = torch.randn(1, KV_HEADS, past + n, DIM, device=dev, dtype=bf)
    v = torch.randn_like(k)
    qh = q[:, :, :HEADS].transpose(1, 2)
    gu = torch.randn(1, n, 2 * MLP, device=dev, dtype=bf)
    flash = torch.ops.aten._scaled_dot_product_flash_attention

    def rope():
        half = DIM // 2
        swapped = torch.cat((q[..., half:], q[..., :half]), -1)
        return torch.addcmul(q * cos, swapped, cos)

    flash_ms = timed(lambda: flash(qh, k, v, 0.0, True, False))
    rows = {
        "rms_norm x2": 2 * timed(lambda: F.rms_norm(x, (HIDDEN,), norm_w, 1e-5)),
        "qkv matmul": timed(lambda: F.linear(x, qkv)),
        "rope (formula)": timed(rope),
        "attention: SDPA causal, blank rows in front": timed(lambda: F.scaled_dot_product_attention(
            torch.cat((qh.new_zeros(1, HEADS, past, DIM), qh), 2), k, v, is_causal=True,
            enable_gqa=True)[:, :, past:]),
        "o matmul + residual": timed(lambda: x.view(-1, HIDDEN).addmm_(x.view(-1, HIDDEN), o.t())),
        "gate_up matmul": timed(lambda: F.linear(x, gate_up)),
        "silu * up": timed(lambda: F.silu(gu[..., :MLP]) * gu[..., MLP:]),
        "down matmul + residual": timed(
            lambda: x.view(-1, HIDDEN).addmm_(gu[..., MLP:].reshape(-1, MLP), down.t())),
    }
    total = 0.0
    print(f"| op (x{LAYERS} layers), N={n} behind P={past} | ms |")
    print("|---|---|")
    for name, ms in rows.items():
        total += LAYERS * ms
        print(f"| {name} | {LAYERS * ms:.1f} |")
    print(f"| sum | {total:.1f} |")
    kf = torch.randn(1, KV_HEADS, past + n, DIM, device=dev, dtype=bf)
    qf = torch.randn(1, HEADS, past + n, DIM, device=dev, dtype=bf)
    sdpa = lambda: F.scaled_dot_product_attention(qf, kf, kf, is_causal=True, enable_gqa=True)
    print(f"| instead: flash kernel, causal from the bottom-right | {LAYERS * flash_ms:.1f} |")
    print(f"| from scratch ({past + n} tokens): SDPA causal, enable_gqa | {LAYERS * timed(sdpa):.1f} |")


main()
