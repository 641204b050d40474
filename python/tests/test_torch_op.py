"""vibee.torch.op: kernels as torch.library custom ops, eagerly, under
torch.library.opcheck and inside torch.compile (CPU)."""

import numpy as np
import pytest
import torch

import vibee
import vibee.torch
from conftest import lion64, rmsnorm64, spec


@pytest.fixture(scope="module")
def rmsnorm():
    return vibee.compile(spec("nn/rmsnorm.vibee")).rmsnorm_f32


@pytest.fixture(scope="module")
def rmsnorm_op(rmsnorm):
    return vibee.torch.op(rmsnorm)


@pytest.fixture(scope="module")
def lion_op():
    return vibee.torch.op(vibee.compile(spec("optim/lion.vibee")).step)


def randn(rng, *shape):
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32))


def test_schema_from_the_signature(rmsnorm, lion_op):
    assert vibee.torch.schema(rmsnorm) == "(Tensor x, Tensor w, float eps=1e-06) -> Tensor"
    lion = vibee.compile(spec("optim/lion.vibee")).step
    assert vibee.torch.schema(lion) == (
        "(Tensor(a!) param, Tensor grad, Tensor(b!) m, float lr, float wd) -> ()"
    )
    assert torch.ops.vibee.lion_step is not None


def test_op_eager_and_opcheck(rmsnorm_op, rng):
    x, w = randn(rng, 5, 16), randn(rng, 16)
    np.testing.assert_allclose(
        rmsnorm_op(x, w).numpy(), rmsnorm64(x.numpy(), w.numpy()), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        torch.ops.vibee.rmsnorm_rmsnorm_f32(x, w, eps=0.5).numpy(),
        rmsnorm64(x.numpy(), w.numpy(), eps=0.5),
        rtol=1e-5,
        atol=1e-6,
    )
    torch.library.opcheck(rmsnorm_op, (x, w))


def test_inout_op_opcheck(lion_op, rng):
    p, g, m = randn(rng, 64), randn(rng, 64), randn(rng, 64)
    torch.library.opcheck(lion_op, (p.clone(), g, m.clone(), 0.01, 0.1))


def test_torch_compile_fullgraph(rmsnorm, rmsnorm_op, rng, monkeypatch):
    seen = []  # the size types the fake implementation saw
    fake_result_shapes = rmsnorm.fake_result_shapes

    def spy(values):
        seen.extend(type(s).__name__ for v in values if isinstance(v, torch.Tensor) for s in v.shape)
        return fake_result_shapes(values)

    monkeypatch.setattr(rmsnorm, "fake_result_shapes", spy)
    f = torch.compile(lambda x, w: rmsnorm_op(x * 2, w) + 1, fullgraph=True)
    for rows in (4, 7, 9):  # the second shape recompiles with a dynamic row count
        x, w = randn(rng, rows, 24), randn(rng, 24)
        ref = rmsnorm64(2 * x.numpy(), w.numpy()) + 1
        np.testing.assert_allclose(f(x, w).numpy(), ref, rtol=1e-5, atol=1e-5)
    assert "int" in seen and "SymInt" in seen, seen


def test_torch_compile_dynamic_shapes_and_inout(lion_op, rng):
    @torch.compile(fullgraph=True, dynamic=True)
    def step(p, g, m):
        lion_op(p, g * 0.5, m, 0.01, 0.1)
        return p.sum()

    for n in (33, 50):
        p, g, m = randn(rng, n), randn(rng, n), randn(rng, n)
        ref_p, ref_m = lion64(p.numpy(), 0.5 * g.numpy(), m.numpy(), lr=0.01, wd=0.1)
        total = step(p, g, m)
        np.testing.assert_allclose(p.numpy(), ref_p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m.numpy(), ref_m, rtol=1e-5, atol=1e-6)
        assert total.item() == pytest.approx(ref_p.sum(), rel=1e-4, abs=1e-4)


def test_fake_impl_checks_like_a_call(rmsnorm_op):
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode():
        x, w = torch.empty(3, 8), torch.empty(8)
        assert rmsnorm_op(x, w).shape == (3, 8)
        with pytest.raises(vibee.CallError, match=r"argument 'w': expected f32\[C\] with C = 8"):
            rmsnorm_op(x, torch.empty(9))


def test_registering_again(rmsnorm, rmsnorm_op):
    assert vibee.torch.op(rmsnorm) is rmsnorm_op
    other = vibee.compile(spec("nn/softmax.vibee")).softmax
    with pytest.raises(ValueError, match="already registered for another kernel"):
        vibee.torch.op(other, name="rmsnorm_rmsnorm_f32")
    with pytest.raises(TypeError, match="takes a vibee.Kernel"):
        vibee.torch.op(lambda x: x)
