"""The embedding gradient at three numbers of scatter ranges (docs/performance.md,
session 23). Variants: build libvibee_embedding_t13_cuda.so / _t17_ with
`kThreads = 1 << 13` / `1 << 17` in transforms/LowerScatters.cpp (the default, 1 << 15,
is libvibee_embedding_cuda.so), into gpu-artifacts/lib, then on the device:
    LD_LIBRARY_PATH=$PWD/gpu-artifacts/lib python3 bench/gpu/scatter_ranges_sweep.py
"""
import ctypes, os, sys, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cuda_timing import median_ms
art = "gpu-artifacts"
rt = ctypes.CDLL(os.path.join(art, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
P, I64 = ctypes.c_void_p, ctypes.c_int64
dev = torch.device("cuda")
for (V, D, S) in [(32000, 1024, 8192), (32000, 4096, 8192), (128256, 256, 16384)]:
    sets = [(torch.randint(0, V, (S,), device=dev, dtype=torch.int32), torch.randn(S, D, device=dev),
             torch.zeros(V, D, device=dev)) for _ in range(2)]
    ref = torch.zeros(V, D, device=dev).index_add_(0, sets[0][0].long(), sets[0][1])
    line = f"V {V} D {D} S {S}:"
    for variant in ["_t13", "", "_t17"]:
        lib = ctypes.CDLL(os.path.join(art, "lib", f"libvibee_embedding{variant}_cuda.so"))
        f = lib.vibee_embedding_embed_grad
        f.argtypes = [P, P, P, I64, I64, I64]
        s = sets[0]; s[2].zero_(); f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), S, D, V); torch.cuda.synchronize()
        err = ((s[2] - ref).abs().max() / ref.abs().max()).item()
        ms = median_ms(lambda s: f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), S, D, V), sets)
        line += f"  {variant or '_t15'} {ms:.3f} ms (err {err:.1e})"
    ms = median_ms(lambda s: s[2].index_add_(0, s[0].long(), s[1]), sets)
    print(line + f"  index_add_ {ms:.3f} ms", flush=True)
