"""Side-by-side timing shared by the CPU benchmarks (bench/attention.py, bench/contractions.py)."""
import time


def time_interleaved(impls, repeats):
    """Seconds per call of each implementation: one warm-up call each, then `repeats`
    rounds that call every implementation once in turn, so that a change of machine
    load during the run touches all of them alike."""
    samples = {name: [] for name in impls}
    for fn in impls.values():
        fn()  # warm up
    for _ in range(repeats):
        for name, fn in impls.items():
            t = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t)
    return samples
