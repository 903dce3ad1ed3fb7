# Decode-shape projections in a CUDA graph, libtorch's (addmm_ / mm) against a K-split bmm with
# float32 parts (whose sum kernels::add_linear_rms_norm fuses into the next kernel): microseconds a
# layer, Llama-3-8B shapes, 32 distinct weights so that none stays in L2. Usage: python3 dev/split_product_probe.py
import torch
torch.manual_seed(0)
dev, dt, L = "cuda", torch.bfloat16, 32

def per_layer_us(fn, reps=30):
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3): fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g): fn()
    g.replay(); torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); b.synchronize(); ts.append(a.elapsed_time(b))
    ts.sort(); return ts[len(ts) // 2] * 1000 / L

x0 = torch.empty(1 << 28, device=dev, dtype=torch.uint8)
t0 = torch.cuda.Event(enable_timing=True); t1 = torch.cuda.Event(enable_timing=True)
y0 = torch.empty_like(x0); y0.copy_(x0); t0.record(); [y0.copy_(x0) for _ in range(10)]; t1.record(); t1.synchronize()
bw = 2 * 10 * x0.numel() / (t0.elapsed_time(t1) * 1e-3) / 1e9
print(f"copy bandwidth {bw:.0f} GB/s")
print()
print("| shape | M | floor us | " + " | ".join(["addmm_", "mm"] + [f"bmm S={s}" for s in (2, 3, 4, 6, 7, 8)]) + " |")
print("|" + "---|" * 11)
for N, K, name in [(6144, 4096, "qkv"), (4096, 4096, "o"), (28672, 4096, "gate_up"), (4096, 14336, "down")]:
    Ws = [torch.randn(N, K, device=dev, dtype=dt) * 0.02 for _ in range(L)]
    for M in (1, 8):
        x = torch.randn(M, K, device=dev, dtype=dt); r = torch.randn(M, N, device=dev, dtype=dt)
        def addmm():
            for W in Ws: r.addmm_(x, W.t())
        def mm():
            for W in Ws: torch.mm(x, W.t())
        cells = [per_layer_us(addmm), per_layer_us(mm)]
        for S in (2, 3, 4, 6, 7, 8):
            if K % S: cells.append(float("nan")); continue
            Kc = K // S
            xs = x.view(M, S, Kc).permute(1, 0, 2)
            Wv = [W.view(N, S, Kc).permute(1, 2, 0) for W in Ws]
            def bmm():
                for w in Wv: torch.bmm(xs, w, out_dtype=torch.float32)
            ref = torch.mm(x.float(), Ws[0].float().t())
            got = torch.bmm(xs, Wv[0], out_dtype=torch.float32).sum(0)
            assert torch.allclose(got, ref, atol=1e-2, rtol=1e-2), (name, S, (got - ref).abs().max())
            cells.append(per_layer_us(bmm))
        floor = N * K * 2 / (bw * 1e3)
        print(f"| {name} {N}x{K} | {M} | {floor:.1f} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    del Ws
