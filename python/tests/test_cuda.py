"""Target cuda from Python: kernels on CUDA tensors, launched on PyTorch's
current stream, and as custom ops inside torch.compile. Skipped without a GPU
(python/tests/run_gpu.sh runs them on one); without one, compiling for cuda
fails with the runtime's reason."""

import numpy as np
import pytest
import torch

import vibee
import vibee.torch
from conftest import lion64, rmsnorm64, softmax64, spec

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_target_without_a_gpu_says_why():
    with pytest.raises(vibee.CompileError, match="target cuda: "):
        vibee.compile(spec("nn/softmax.vibee"), target="cuda")


@pytest.fixture(scope="module")
def cuda_specs():
    return {
        name: vibee.compile(spec(path), target="cuda")
        for name, path in [
            ("softmax", "nn/softmax.vibee"),
            ("matmul", "linalg/matmul.vibee"),
            ("rmsnorm", "nn/rmsnorm.vibee"),
            ("lion", "optim/lion.vibee"),
        ]
    }


def cuda_randn(rng, *shape, scale=1.0):
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32) * scale).cuda()


@gpu
def test_softmax_and_matmul_on_cuda_tensors(cuda_specs, rng):
    x = cuda_randn(rng, 64, 1000, scale=4.0)
    y = cuda_specs["softmax"].softmax(x)
    assert y.device == x.device and y.dtype == torch.float32
    np.testing.assert_allclose(y.cpu().numpy(), softmax64(x.cpu().numpy()), rtol=1e-5, atol=1e-7)
    a, b = cuda_randn(rng, 300, 257), cuda_randn(rng, 257, 129)
    c = cuda_specs["matmul"].matmul(a, b)
    ref = a.cpu().double().numpy() @ b.cpu().double().numpy()
    assert np.linalg.norm(c.cpu().numpy() - ref) / np.linalg.norm(ref) < 1e-5


@gpu
def test_bf16_rmsnorm_and_inout_lion_on_cuda(cuda_specs, rng):
    x, w = cuda_randn(rng, 128, 512).bfloat16(), cuda_randn(rng, 512).bfloat16()
    y = cuda_specs["rmsnorm"].rmsnorm(x, w)
    ref = rmsnorm64(x.float().cpu().numpy(), w.float().cpu().numpy())
    np.testing.assert_allclose(y.float().cpu().numpy(), ref, rtol=2e-2, atol=2e-2)
    p, g, m = cuda_randn(rng, 100_000), cuda_randn(rng, 100_000), cuda_randn(rng, 100_000)
    ref_p, ref_m = lion64(p.cpu().numpy(), g.cpu().numpy(), m.cpu().numpy(), lr=0.01, wd=0.1)
    cuda_specs["lion"].step(p, g, m, lr=0.01, wd=0.1)
    np.testing.assert_allclose(p.cpu().numpy(), ref_p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.cpu().numpy(), ref_m, rtol=1e-5, atol=1e-6)


@gpu
def test_launches_go_to_the_current_stream(cuda_specs, rng):
    # On a side stream: a long GPU sleep, then a copy that fills `a`, then the
    # kernel. Launched on any other stream, the kernel would read the zeros that
    # `a` holds before the copy.
    matmul = cuda_specs["matmul"].matmul
    src, b = cuda_randn(rng, 256, 256), cuda_randn(rng, 256, 256)
    a = torch.zeros(256, 256, device="cuda")
    torch.cuda.synchronize()
    side = torch.cuda.Stream()
    before = vibee._vibee.get_cuda_stream()
    with torch.cuda.stream(side):
        torch.cuda._sleep(200_000_000)  # about 0.1 s of GPU clock cycles
        a.copy_(src)
        c = matmul(a, b)
    assert vibee._vibee.get_cuda_stream() == before  # restored after the call
    side.synchronize()
    ref = src.cpu().double().numpy() @ b.cpu().double().numpy()
    assert np.linalg.norm(c.cpu().numpy() - ref) / np.linalg.norm(ref) < 1e-5


@gpu
def test_cuda_op_under_torch_compile(cuda_specs, rng):
    op = vibee.torch.op(cuda_specs["rmsnorm"].rmsnorm_f32, name="cuda_rmsnorm_f32")
    f = torch.compile(lambda x, w: op(x * 2, w) + 1, fullgraph=True)
    for rows in (8, 24):
        x, w = cuda_randn(rng, rows, 256), cuda_randn(rng, 256)
        ref = rmsnorm64(2 * x.cpu().numpy(), w.cpu().numpy()) + 1
        np.testing.assert_allclose(f(x, w).cpu().numpy(), ref, rtol=1e-5, atol=1e-5)
    torch.library.opcheck(op, (x, w))


@gpu
def test_cuda_kernel_rejects_cpu_tensors(cuda_specs):
    with pytest.raises(vibee.CallError, match=r"argument 'x': expected a tensor on cuda:0 .* on cpu"):
        cuda_specs["softmax"].softmax(torch.zeros(2, 3))
    with pytest.raises(vibee.CallError, match=r"expected f32\[R, C\] but got f64\[2, 3\]"):
        cuda_specs["softmax"].softmax(torch.zeros(2, 3, dtype=torch.float64, device="cuda"))
