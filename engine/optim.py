"""Optimizers: SGD, then momentum, then Adam, a few lines each.

``step(params, grads)`` updates every array in ``params`` **in place** (they are the layers' own
arrays) from the gradient under the same name in ``grads``. State (velocities, moments) is kept per
parameter name (``"conv1.W"``), so two parameters never share it. ``lr`` may be changed between
steps. Updates reuse one scratch buffer per parameter instead of allocating temporaries.

Momentum follows PyTorch's convention, so that numbers compare with ``torch.optim.SGD``:
    v = mu*v + g;  p -= lr*v                  (nesterov: p -= lr*(g + mu*v))
Adam (Kingma and Ba) with bias correction, as ``torch.optim.Adam``:
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  p -= lr * m_hat / (sqrt(v_hat) + eps)
"""

import math

import numpy as np

from .errors import EngineError


def _positive(what: str, value, upper: float | None = None, allow_zero: bool = False) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(value)
        and (value >= 0 if allow_zero else value > 0)
        and (upper is None or value < upper)
    )
    if not ok:
        low = ">= 0" if allow_zero else "> 0"
        high = f" and < {upper:g}" if upper is not None else ""
        raise EngineError(
            "bad_optimizer_param",
            f"the {what} must be a number {low}{high}, got {value!r}",
            param=what,
            value=repr(value),
        )
    return float(value)


class Optimizer:
    """Base: holds ``lr`` (validated on every change) and the per-name ``state``."""

    type = "optimizer"

    def __init__(self, lr: float):
        self.lr = lr
        self.state: dict[str, dict] = {}
        self._scratch: dict[str, np.ndarray] = {}

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _positive("learning rate", value)

    def _buffer(self, name: str, like: np.ndarray) -> np.ndarray:
        buf = self._scratch.get(name)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._scratch[name] = np.empty_like(like)
        return buf

    def step(self, params: dict, grads: dict) -> None:
        for name, p in params.items():
            self.update(name, p, grads[name])

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def hyperparameters(self) -> dict:
        return {"lr": self.lr}

    def state_dict(self) -> dict:
        """``{"type", hyperparameters..., "state": {name: {key: array copy or number}}}``."""
        return {
            "type": self.type,
            **self.hyperparameters(),
            "state": {
                name: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
                for name, s in self.state.items()
            },
        }

    def load_state_dict(self, saved: dict) -> None:
        if saved.get("type") != self.type:
            raise EngineError(
                "optimizer_mismatch",
                f"saved state is for a {saved.get('type')!r} optimizer, not {self.type!r}",
                saved=str(saved.get("type")),
                expected=self.type,
            )
        self.lr = saved["lr"]
        self.state = {
            name: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for name, s in saved["state"].items()
        }


class SGD(Optimizer):
    """p -= lr * g."""

    type = "sgd"

    def update(self, name, p, g):
        buf = self._buffer(name, p)
        np.multiply(g, self.lr, out=buf)
        p -= buf


class Momentum(Optimizer):
    """v = mu*v + g; p -= lr*v. With ``nesterov``: p -= lr*(g + mu*v) (PyTorch's form)."""

    type = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(lr)
        self.momentum = _positive("momentum", momentum, upper=1.0, allow_zero=True)
        self.nesterov = bool(nesterov)
        if self.nesterov:
            self.type = "nesterov"

    def hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}

    def update(self, name, p, g):
        s = self.state.get(name)
        if s is None:
            s = self.state[name] = {"v": np.zeros_like(p)}
        v, buf = s["v"], self._buffer(name, p)
        v *= self.momentum
        v += g
        if self.nesterov:
            np.multiply(v, self.momentum, out=buf)
            buf += g
            buf *= self.lr
        else:
            np.multiply(v, self.lr, out=buf)
        p -= buf


class Adam(Optimizer):
    """Adam with bias correction; a step count per parameter name."""

    type = "adam"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = _positive("beta1", beta1, upper=1.0, allow_zero=True)
        self.beta2 = _positive("beta2", beta2, upper=1.0, allow_zero=True)
        self.eps = _positive("epsilon", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def update(self, name, p, g):
        s = self.state.get(name)
        if s is None:
            s = self.state[name] = {"t": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)}
        s["t"] += 1
        m, v, buf = s["m"], s["v"], self._buffer(name, p)
        b1, b2 = self.beta1, self.beta2
        m *= b1  # m = b1*m + (1-b1)*g
        np.multiply(g, 1 - b1, out=buf)
        m += buf
        v *= b2  # v = b2*v + (1-b2)*g^2
        np.multiply(g, g, out=buf)
        buf *= 1 - b2
        v += buf
        correction1 = 1 - b1 ** s["t"]
        correction2 = 1 - b2 ** s["t"]
        np.sqrt(v, out=buf)  # buf = sqrt(v_hat) + eps
        buf /= math.sqrt(correction2)
        buf += self.eps
        np.divide(m, buf, out=buf)  # buf = lr * m_hat / (sqrt(v_hat) + eps)
        buf *= self.lr / correction1
        p -= buf


OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
#: the settings each optimizer takes besides the learning rate
OPTIMIZER_SETTINGS = {
    "sgd": (),
    "momentum": ("momentum",),
    "nesterov": ("momentum",),
    "adam": ("beta1", "beta2", "eps"),
}


def make_optimizer(name: str, lr: float, **kw) -> Optimizer:
    """``"sgd"``, ``"momentum"`` / ``"nesterov"`` (``momentum=0.9``), ``"adam"`` (``beta1``, ``beta2``, ``eps``)."""
    _positive("learning rate", lr)
    allowed = OPTIMIZER_SETTINGS.get(name) if isinstance(name, str) else None
    if allowed is not None and set(kw) - set(allowed):
        unknown = sorted(str(k)[:40] for k in set(kw) - set(allowed))
        if not allowed:
            raise EngineError(
                "optimizer_takes_no_settings",
                f"{name}: unknown setting(s) {', '.join(unknown)}; it takes only the learning rate",
                optimizer=name,
                unknown=unknown,
            )
        raise EngineError(
            "unknown_optimizer_setting",
            f"{name}: unknown setting(s) {', '.join(unknown)}; it takes " + ", ".join(allowed),
            optimizer=name,
            unknown=unknown,
            allowed=list(allowed),
        )
    if name == "sgd":
        make = SGD
    elif name in ("momentum", "nesterov"):

        def make(lr, **kw):
            return Momentum(lr, nesterov=name == "nesterov", **kw)
    elif name == "adam":
        make = Adam
    else:
        raise EngineError(
            "unknown_optimizer",
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}",
            optimizer=str(name),
            known=list(OPTIMIZERS),
        )
    return make(lr, **kw)
