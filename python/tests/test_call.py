"""vibee.compile and kernel calls on PyTorch tensors, NumPy arrays and DLPack
objects: numerics against float64 references on random inputs, and the call
checks, whose messages are the C++ runtime's (tests/unit/runtime)."""

import numpy as np
import pytest
import torch

import vibee
from conftest import lion64, rmsnorm64, softmax64, spec


@pytest.fixture(scope="module")
def softmax():
    return vibee.compile(spec("nn/softmax.vibee"))


@pytest.fixture(scope="module")
def matmul():
    return vibee.compile(spec("linalg/matmul.vibee")).matmul


@pytest.fixture(scope="module")
def lion():
    return vibee.compile(spec("optim/lion.vibee")).step


def test_softmax_on_torch_matches_float64(softmax, rng):
    x = torch.from_numpy(rng.standard_normal((33, 70)).astype(np.float32) * 4)
    y = softmax.softmax(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == (33, 70)
    np.testing.assert_allclose(y.numpy(), softmax64(x.numpy()), rtol=1e-5, atol=1e-7)


def test_matmul_on_numpy_matches_float64(matmul, rng):
    a = rng.standard_normal((17, 40)).astype(np.float32)
    b = rng.standard_normal((40, 9)).astype(np.float32)
    c = matmul(a, b)
    assert isinstance(c, np.ndarray) and c.dtype == np.float32 and c.shape == (17, 9)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    assert np.linalg.norm(c - ref) / np.linalg.norm(ref) < 1e-6


def test_bf16_rmsnorm_with_default_and_named_eps(rng):
    m = vibee.compile(spec("nn/rmsnorm.vibee"))
    x = torch.from_numpy(rng.standard_normal((6, 32)).astype(np.float32)).bfloat16()
    w = torch.from_numpy(rng.standard_normal(32).astype(np.float32)).bfloat16()
    y = m.rmsnorm(x, w)
    assert y.dtype == torch.bfloat16
    ref = rmsnorm64(x.float().numpy(), w.float().numpy())
    np.testing.assert_allclose(y.float().numpy(), ref, rtol=2e-2, atol=2e-2)
    y_eps = m.rmsnorm(x, w, eps=4.0)  # a large eps changes every row
    ref_eps = rmsnorm64(x.float().numpy(), w.float().numpy(), eps=4.0)
    np.testing.assert_allclose(y_eps.float().numpy(), ref_eps, rtol=2e-2, atol=2e-2)


def test_inout_parameters_update_in_place(lion, rng):
    param = torch.from_numpy(rng.standard_normal(1000).astype(np.float32))
    grad = torch.from_numpy(rng.standard_normal(1000).astype(np.float32))
    m = torch.from_numpy(rng.standard_normal(1000).astype(np.float32))
    ref_param, ref_m = lion64(param.numpy(), grad.numpy(), m.numpy(), lr=0.01, wd=0.1)
    assert lion(param, grad, m, lr=0.01, wd=0.1) is None  # no results
    np.testing.assert_allclose(param.numpy(), ref_param, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(m.numpy(), ref_m, rtol=1e-6, atol=1e-7)


def test_dlpack_objects_are_accepted(matmul, rng):
    class Capsule:  # only the DLPack protocol, as another library's array offers it
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, **kwargs):
            return self.a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    c = matmul(Capsule(a), Capsule(b))
    np.testing.assert_allclose(np.asarray(c), a.astype(np.float64) @ b, rtol=1e-5)


def test_non_contiguous_input_is_copied(softmax, rng):
    x = torch.from_numpy(rng.standard_normal((8, 5)).astype(np.float32))
    y = softmax.softmax(x.t())  # a transposed view: read through a contiguous copy
    np.testing.assert_allclose(y.numpy(), softmax64(x.t().numpy()), rtol=1e-5, atol=1e-7)
    xs = rng.standard_normal((6, 10)).astype(np.float32)[:, ::2]
    np.testing.assert_allclose(softmax.softmax(xs), softmax64(xs), rtol=1e-5, atol=1e-7)


def test_non_contiguous_inout_is_rejected(lion):
    param = torch.ones(8)[::2]  # the kernel would write into a copy: refused
    g, m = torch.ones(4), torch.zeros(4)
    with pytest.raises(vibee.CallError) as e:
        lion(param, g, m, lr=0.1, wd=0.0)
    assert str(e.value) == (
        "kernel 'step': argument 'param': expected a contiguous row-major tensor f32[N]"
    )
    assert torch.equal(param, torch.ones(4))


def test_messages_are_the_runtimes(matmul):
    with pytest.raises(vibee.CallError) as e:
        matmul(torch.zeros(2, 3), torch.zeros(4, 5))
    assert str(e.value) == (
        "kernel 'matmul': argument 'b': expected f32[K, N] with K = 3 (from argument 'a') "
        "but got f32[4, 5]"
    )
    with pytest.raises(vibee.CallError, match=r"argument 'a': expected f32\[M, K\] but got f64\[2, 3\]"):
        matmul(torch.zeros(2, 3, dtype=torch.float64), torch.zeros(3, 2))
    with pytest.raises(vibee.CallError, match=r"argument 'a': expected f32\[M, K\] but got f32\[6\]"):
        matmul(np.zeros(6, np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(vibee.CallError, match=r"^kernel 'matmul': expected 2 parameters but got 3$"):
        matmul(torch.zeros(2, 3), torch.zeros(3, 2), torch.zeros(2, 2))
    with pytest.raises(vibee.CallError, match=r"argument 'b': expected a tensor f32\[K, N\]$"):
        matmul(torch.zeros(2, 3))
    assert issubclass(vibee.CallError, ValueError)


def test_python_only_checks(matmul, lion):
    with pytest.raises(vibee.CallError, match=r"argument 'a': expected f32\[M, K\] but got a torch.int16"):
        matmul(torch.zeros(2, 3, dtype=torch.int16), torch.zeros(3, 2))
    with pytest.raises(vibee.CallError, match=r"expected a CPU tensor .* but got one on meta"):
        matmul(torch.zeros(2, 3, device="meta"), torch.zeros(3, 2, device="meta"))
    with pytest.raises(vibee.CallError, match=r"argument 'lr': expected f32 but got a str"):
        lion(torch.zeros(2), torch.zeros(2), torch.zeros(2), "0.1", 0.0)
    with pytest.raises(vibee.CallError, match=r"argument 'wd': expected a scalar f32 but got no value"):
        lion(torch.zeros(2), torch.zeros(2), torch.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match=r"kernel 'step' has no parameter 'beta'"):
        lion(torch.zeros(2), torch.zeros(2), torch.zeros(2), lr=0.1, wd=0.0, beta=1.0)
    readonly = np.zeros(2, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(vibee.CallError, match=r"argument 'param': the kernel writes it"):
        lion(readonly, np.zeros(2, np.float32), np.zeros(2, np.float32), 0.1, 0.0)


def test_out_and_its_overlap_check(matmul, rng):
    a = torch.from_numpy(rng.standard_normal((4, 4)).astype(np.float32))
    out = torch.full((4, 4), float("nan"))
    assert matmul(a, a, out=out) is out
    np.testing.assert_allclose(out.numpy(), a.double().numpy() @ a.double().numpy(), rtol=1e-5)
    with pytest.raises(vibee.CallError) as e:
        matmul(a, a, out=a)
    assert str(e.value) == (
        "kernel 'matmul': result 'c' overlaps argument 'a': an output must not share memory "
        "with another argument (use an inout parameter to update a tensor in place)"
    )


def test_empty_tensors_and_result_shapes(matmul):
    assert matmul(torch.zeros(0, 3), torch.zeros(3, 5)).shape == (0, 5)
    assert matmul.result_shapes(torch.zeros(2, 3), torch.zeros(3, 7)) == [(2, 7)]


def test_compile_text_errors_and_cache():
    text = 'spec twice 1.0.0 "doubles";\nkernel twice(x: f32[N]) -> y: f32[N] {\n  y[i] = 2 * x[i];\n}\n'
    m = vibee.compile(text)
    assert m.spec_name == "twice" and m.kernel_names() == ["twice"]
    x = torch.arange(5, dtype=torch.float32)
    assert torch.equal(m.twice(x), 2 * x)
    assert vibee.compile(text).key == m.key  # same text and options: the cached module
    bad = text.replace("2 * x[i]", "2 * z[i]")
    with pytest.raises(vibee.CompileError) as e:
        vibee.compile(bad, name="bad.vibee")
    assert "bad.vibee:3:" in str(e.value) and "error:" in str(e.value) and "^" in str(e.value)
    with pytest.raises(vibee.CompileError, match="no/such.vibee: error: cannot read file"):
        vibee.compile("no/such.vibee")
    with pytest.raises(ValueError, match="target must be one of"):
        vibee.compile(text, target="tpu")
    with pytest.raises(AttributeError, match="spec 'twice' has no kernel 'thrice'"):
        m.thrice
