"""Shared by the Python package's tests: where the specs are, float64 references."""

import os
import pathlib

import numpy as np
import pytest

SOURCE_DIR = pathlib.Path(
    os.environ.get("VIBEE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2])
)
SPECS = SOURCE_DIR / "specs"


def spec(path):
    return str(SPECS / path)


def softmax64(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rmsnorm64(x, w, eps=1e-6):
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * np.asarray(w, np.float64)


def lion64(param, grad, m, lr, wd, beta1=0.9, beta2=0.99):
    """Lion (Chen et al. 2023, Algorithm 2) in float64: (param, m) after one step."""
    param, grad, m = (np.asarray(a, np.float64) for a in (param, grad, m))
    c = beta1 * m + (1 - beta1) * grad
    return param - lr * (np.sign(c) + wd * param), beta2 * m + (1 - beta2) * grad


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261202)
