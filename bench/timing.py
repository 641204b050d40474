"""Side-by-side timing shared by the CPU benchmarks (bench/attention.py, bench/contractions.py)."""
import time


def time_interleaved(impls, repeats, settle=0.0):
    """Seconds per call of each implementation: one warm-up call each, then `repeats`
    rounds that call every implementation once in turn, so that a change of machine
    load during the run touches all of them alike.

    settle > 0 (threaded runs): before each timed call, wait `settle` seconds and
    make one untimed call. The thread pools of the other implementations (OpenBLAS,
    PyTorch's OpenMP, libomp) keep spinning for up to about 0.2 s after their own
    call and would take the cores from this one; the untimed call wakes this
    implementation's own threads."""
    samples = {name: [] for name in impls}
    for fn in impls.values():
        fn()  # warm up
    for _ in range(repeats):
        for name, fn in impls.items():
            if settle > 0:
                time.sleep(settle)
                fn()
            t = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t)
    return samples
