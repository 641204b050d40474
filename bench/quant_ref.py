"""Issue 13's quantized weights in PyTorch: random codes and scales in the layouts of
specs/quant/w8a16.vibee, w4a16_group.vibee and nf4.vibee, and their dequantization
(any dtype, float64 for the references). Shared by bench/gpu/bench_gpu.py (the
`quant_*` cases) and bench/quant_cpu.py."""
import torch

# QLoRA's NF4 table (specs/quant/nf4.vibee, bench/gpu/specs/quant_bench.vibee)
NF4 = [-1.0, -0.696192801, -0.525073051, -0.394917488, -0.284441382, -0.18477343,
       -0.0910500363, 0.0, 0.0795802996, 0.160930201, 0.246112302,
       0.337915242, 0.440709829, 0.562617004, 0.722956836, 1.0]
GROUP = 128      # w4a16_group's scale/zero group along k
NF4_BLOCK = 64   # nf4's absmax block along k
NF4_C1 = 256     # blocks per f32 scale of the double quantization (c1[n, k / 16384])


def unpack_nibbles(w):
    """int8 [N, K/2] -> codes [N, K] in 0..15, k even in the low nibble (the specs' layout)."""
    return torch.stack((w & 15, (w >> 4) & 15), -1).reshape(w.shape[0], 2 * w.shape[1])


def deq_w4(w, scale, zero, dtype=torch.float32):
    """specs/quant/w4a16_group.vibee: (code - zero[n, k/128]) * scale[n, k/128]; K % 128 == 0."""
    n, k = w.shape[0], 2 * w.shape[1]
    c = unpack_nibbles(w).to(dtype).view(n, k // GROUP, GROUP)
    return ((c - zero.to(dtype)[:, :, None]) * scale.to(dtype)[:, :, None]).reshape(n, k)


def deq_nf4(w, q2, c1, offset, dtype=torch.float32):
    """specs/quant/nf4.vibee: nf4[code] * (q2[n, k/64] * c1[n, k/16384] + offset); K % 64 == 0."""
    n, k, nb = w.shape[0], 2 * w.shape[1], q2.shape[1]
    table = torch.tensor(NF4, dtype=torch.float32, device=w.device).to(dtype)
    cidx = torch.arange(nb, device=w.device) // NF4_C1
    a = q2.to(dtype) * c1.to(dtype)[:, cidx] + offset
    return (table[unpack_nibbles(w).long()].view(n, nb, NF4_BLOCK) * a[:, :, None]).reshape(n, k)


def quant_gen(kind, n, k, device):
    """Random quantized weights of `kind` (w8a16, w4a16, nf4) for an [n, k] layer, as a
    dict of the spec's argument names (and `offset`, a float, for nf4)."""
    if kind == "w8a16":
        return dict(w=torch.randint(-127, 128, (n, k), device=device, dtype=torch.int8),
                    s=torch.rand(n, device=device) / 64 + 1e-3)
    w = torch.randint(-128, 128, (n, k // 2), device=device, dtype=torch.int8)
    if kind in ("w4a16", "w4a16_bf16"):
        # w4a16_bf16 (bench/gpu/specs/quant_bench.vibee): the same, scales and zero
        # points stored in bf16
        dtype = torch.bfloat16 if kind == "w4a16_bf16" else torch.float32
        return dict(w=w, scale=(torch.rand(n, k // GROUP, device=device) / 64 + 1e-3).to(dtype),
                    zero=torch.randint(0, 16, (n, k // GROUP), device=device).to(dtype))
    # nf4: block absmaxes 0.05 +- 0.02, double-quantized around their mean as QLoRA does
    nb, nc = k // NF4_BLOCK, -(-k // (NF4_BLOCK * NF4_C1))
    return dict(w=w, q2=((torch.rand(n, nb, device=device) * 2 - 1) * 448).to(torch.float8_e4m3fn),
                c1=torch.full((n, nc), 0.02 / 448, device=device), offset=0.05)


def quant_deq(kind, q, dtype=torch.float32):
    """The [N, K] weights that `q` (quant_gen's dict) stands for."""
    if kind == "w8a16":
        return q["w"].to(dtype) * q["s"].to(dtype)[:, None]
    if kind in ("w4a16", "w4a16_bf16"):
        return deq_w4(q["w"], q["scale"], q["zero"], dtype)
    return deq_nf4(q["w"], q["q2"], q["c1"], q["offset"], dtype)


def quant_bytes(kind, m, n, k, lora_rank=0):
    """Bytes a fused kernel reads and writes for y = x deq(W)^T: the quantized weights,
    their scales, the activations (bf16; f32 for w4a16_group, whose x is f32) and the
    f32 result (and a rank-r LoRA adapter's bf16 A [r, k] and B [n, r])."""
    if kind == "w8a16":
        b = n * k + 4 * n + 2 * m * k
    elif kind == "w4a16":
        b = n * k // 2 + 2 * 4 * n * (k // GROUP) + 4 * m * k
    elif kind == "w4a16_bf16":
        b = n * k // 2 + 2 * 2 * n * (k // GROUP) + 2 * m * k
    else:
        b = n * k // 2 + n * (k // NF4_BLOCK) + 4 * n * -(-k // (NF4_BLOCK * NF4_C1)) + 2 * m * k
    return b + 2 * lora_rank * (k + n) + 4 * m * n
