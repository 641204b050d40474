"""The one GPU timer of bench_gpu.py and rmsnorm_repeats.py: CUDA events on torch's
current stream around each call, rotating among buffer sets (so no call finds its
operands in L2 from the previous one), median in ms."""
import statistics

import torch


def median_ms(fn, sets, warmup=3, reps=20):
    for i in range(warmup):
        fn(sets[i % len(sets)])
    torch.cuda.synchronize()
    times = []
    for i in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(sets[i % len(sets)]); e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return statistics.median(times)
