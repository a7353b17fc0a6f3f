"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), trained with a parallel scan.

Drop the previous hidden state from every gate and the recurrence becomes *linear* in h:

    h_t = a_t * h_{t-1} + b_t        (elementwise; a_t, b_t depend only on x_t)

    minGRU:  z_t = sigmoid(Linear_z(x_t)),  h~_t = g(Linear_h(x_t))
             a_t = 1 - z_t,                 b_t = z_t * h~_t
    minLSTM: f_t = sigmoid(Linear_f(x_t)),  i_t = sigmoid(Linear_i(x_t)),  h~_t = g(Linear_h(x_t))
             a_t = f_t / (f_t + i_t),       b_t = i_t / (f_t + i_t) * h~_t

with g(x) = x + 0.5 for x >= 0 and sigmoid(x) otherwise (the paper's positive candidate, needed
by its log-space scan). Every a_t and b_t can be computed at once for the whole sequence, and the
recurrence itself is then solved for all t without a Python loop over time steps.

Three ways to solve the recurrence (``mode``):

* ``"sequential"``: the plain loop, one step at a time, differentiated by autograd. The reference.
* ``"scan"`` (default): a *blocked* parallel scan. Cut the T steps into about sqrt(T) chunks of
  sqrt(T) steps; run all chunks side by side from a zero state (sqrt(T) steps, each on every chunk
  at once); carry the true start state from chunk to chunk (sqrt(T) small steps); rerun the chunks
  from their true start states. That is ~3 sqrt(T) vectorised steps instead of T, and it only
  multiplies and adds, so it is as exact as the loop for any signs of a and b. The backward pass is
  itself a linear recurrence run backwards in time (the adjoint lam_t = dL/dh_t + a_{t+1} lam_{t+1}),
  solved by the same blocked scan inside a custom autograd function instead of T autograd nodes.
* ``"log"``: the paper's log-space scan: h_t = exp(A_t) (h_0 + sum_{s<=t} exp(log b_s - A_s)) with
  A_t = cumsum(log a), evaluated with ``logcumsumexp``. It never overflows, but it needs b > 0 and
  loses precision as |A_t| grows with t: in float32 its error reaches ~1e-4 by t = 1024 where the
  blocked scan stays below 1e-6 (tests/test_minrnn.py pins both). It is a handful of whole-tensor
  kernels; on a CPU ``logcumsumexp`` is slow (6-8x slower than the loop here).

Why blocked rather than the textbook O(log T) tree (Hillis-Steele / Blelloch): in eager PyTorch
every operation reads and writes whole tensors, so a tree of log2(T) levels moves the data
~log2(T) times (10 at T = 1024), while the blocked scan moves it ~2 times forward with ~3 sqrt(T)
Python-level steps. Measured on this course's CPU (forward, batch 16 x 256, T = 1024): the tree
is ~13x slower than the blocked scan, and ``torch.cumsum``/``torch.cumprod`` along time, which a
log-space or cumulative-product scan needs, alone cost 5-7x the whole blocked scan.

Speed, measured with ``python -m lstm_gru.bench scan`` on the course's 2-core CPU, idle, at
T = 1024 (forward + backward of the layer, 256 hidden units): at batch 1 the scan is 5.9x faster
than the loop (the recurrence alone 9.8x), and 9.5x at T = 4096. At batch 16 it is only 1.7x,
and no scan could do much better there: the input projection and the gates, computed the same
way in every mode, take ~40% of the loop's time, so even a recurrence that cost nothing would
make the layer at most ~2.4x faster (the benchmark's ``speedup_bound``: Amdahl's law). The
recurrence alone is ~3.9x faster: each of the loop's steps is 4096 numbers wide, so the loop is
bound by memory traffic more than by Python overhead, and the scan must still read and write
every number a few times. On a GPU the loop also pays a kernel launch per step, so the gap
should be wider there (not measured here).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru.checks import check_like, check_positive_int, check_tensor

MODES = ("scan", "sequential", "log")


def g(x: torch.Tensor) -> torch.Tensor:
    """The paper's positive activation: x + 0.5 for x >= 0, sigmoid(x) below; same shape as x.

    Computed as relu(x) + sigmoid(min(x, 0)) (sigmoid(0) = 0.5): no branch, and a cheaper
    backward pass than ``torch.where``.
    """
    r = F.relu(x)
    return r + torch.sigmoid(x - r)  # x - r = min(x, 0)


def log_g(x: torch.Tensor) -> torch.Tensor:
    """log(g(x)) computed without underflow: log(x + 0.5) for x >= 0, -softplus(-x) below."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def _check_scan_inputs(a, b, h0, a_name="a", b_name="b"):
    """Validate (a, b, h0) of a linear recurrence; return h0 (zeros when None)."""
    check_tensor(a, a_name, floating=True)
    if a.dim() < 1:
        raise ValueError(f"{a_name} must have a leading time dimension, got shape {tuple(a.shape)}")
    check_tensor(a, a_name, nonempty_dim=0)
    check_tensor(b, b_name, floating=True)
    if b.shape != a.shape:
        raise ValueError(
            f"{b_name} must have the same shape as {a_name} {tuple(a.shape)}, got {tuple(b.shape)}"
        )
    check_like(b, b_name, a, a_name)
    if h0 is None:
        return a.new_zeros(a.shape[1:])
    check_tensor(h0, "h0", floating=True)
    if h0.shape != a.shape[1:]:
        raise ValueError(
            f"h0 must have shape {tuple(a.shape[1:])} (one step of {a_name}), got {tuple(h0.shape)}"
        )
    check_like(h0, "h0", a, a_name)
    return h0


def _sequential(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """The loop h_t = a_t * h_{t-1} + b_t, differentiated by autograd; (T, *s) -> (T, *s)."""
    h, outputs = h0, []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0), strict=True):  # unbind: one backward node
        h = a_t * h + b_t  # (*s)
        outputs.append(h)
    return torch.stack(outputs)  # (T, *s)


@torch.no_grad()
def _blocked_scan(a, b, h0, *, reverse: bool = False, out: torch.Tensor | None = None):
    """Solve h_t = a_t h_{t-1} + b_t (or, with reverse, h_t = a_t h_{t+1} + b_t) without autograd.

    a, b: (T, *s) contiguous; h0: (*s), the state before the first step taken; out: (T, *s)
    contiguous buffer for the result, or None. Returns out.
    """
    num_steps = a.shape[0]
    out = torch.empty_like(b) if out is None else out
    chunk = max(1, math.isqrt(num_steps))  # steps per chunk
    num_chunks = num_steps // chunk
    if num_chunks < 2:
        num_chunks = 0
    rest = num_steps - num_chunks * chunk  # steps left over, solved one by one
    lo = rest if reverse else 0  # the chunked steps are lo .. lo + num_chunks * chunk - 1
    h = h0
    if num_chunks:
        shape = (num_chunks, chunk, *a.shape[1:])
        hi = lo + num_chunks * chunk
        a_c = a[lo:hi].view(shape)
        # a_i[i][j] = a[lo + j * chunk + i]: step i of every chunk, each (num_chunks, *s)
        a_i, b_i, out_i = (x[lo:hi].view(shape).unbind(1) for x in (a, b, out))
        order = range(chunk - 1, -1, -1) if reverse else range(chunk)
        first, *others = order
        # 1. Every chunk from a zero state, side by side; and the product of its a's.
        end = b_i[first].clone()  # (num_chunks, *s)
        for i in others:
            torch.addcmul(b_i[i], a_i[i], end, out=end)
        a_prod = a_c.prod(dim=1)  # (num_chunks, *s)
        # 2. The true state entering each chunk, carried from chunk to chunk: one small step
        # per chunk. carry holds the state between chunks j - 1 and j at row j.
        carry = a.new_empty((num_chunks + 1, *a.shape[1:]))  # (num_chunks + 1, *s)
        if reverse:
            carry[-1] = h
            for j in range(num_chunks - 1, -1, -1):
                torch.addcmul(end[j], a_prod[j], carry[j + 1], out=carry[j])
            start, h = carry[1:], carry[0]
        else:
            carry[0] = h
            for j in range(num_chunks):
                torch.addcmul(end[j], a_prod[j], carry[j], out=carry[j + 1])
            start, h = carry[:-1], carry[-1]
        # 3. Every chunk again, from its true start state, writing the outputs.
        state = start
        for i in order:
            state = torch.addcmul(b_i[i], a_i[i], state, out=out_i[i])
    for t in range(lo - 1, -1, -1) if reverse else range(num_chunks * chunk, num_steps):
        h = torch.addcmul(b[t], a[t], h, out=out[t])
    return out


class _LinearScan(torch.autograd.Function):
    """Blocked scan forward; the adjoint recurrence, also a blocked scan, backward."""

    @staticmethod
    def forward(ctx, a, b, h0):
        a, b = a.contiguous(), b.contiguous()
        h = _blocked_scan(a, b, h0)  # (T, *s)
        ctx.save_for_backward(a, h0, h)
        return h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_h):
        a, h0, h = ctx.saved_tensors
        # lam_t = dL/dh_t (total) = grad_h_t + a_{t+1} lam_{t+1}: a linear recurrence run
        # backwards from lam_T = grad_h_T, with the coefficients shifted by one step.
        grad_h = grad_h.contiguous()
        lam = torch.empty_like(grad_h)  # (T, *s)
        lam[-1] = grad_h[-1]
        if a.shape[0] > 1:
            _blocked_scan(a[1:], grad_h[:-1], grad_h[-1], reverse=True, out=lam[:-1])
        grad_a = grad_b = grad_h0 = None
        if ctx.needs_input_grad[0]:  # dL/da_t = lam_t * h_{t-1}
            grad_a = torch.empty_like(a)
            torch.mul(lam[0], h0, out=grad_a[0])
            torch.mul(lam[1:], h[:-1], out=grad_a[1:])
        if ctx.needs_input_grad[1]:  # dL/db_t = lam_t
            grad_b = lam
        if ctx.needs_input_grad[2]:  # dL/dh_0 = a_1 lam_1
            grad_h0 = a[0] * lam[0]
        return grad_a, grad_b, grad_h0


def linear_scan(
    a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, mode: str = "scan"
) -> torch.Tensor:
    """All states of h_t = a_t * h_{t-1} + b_t, t = 1..T (elementwise).

    a, b: (num_steps, *s), any signs; h0: (*s) or None for zeros. Returns h: (num_steps, *s),
    h[t-1] = h_t. ``mode``: "scan" (blocked parallel scan with an exact custom backward) or
    "sequential" (a Python loop over steps). For the log-space scan see :func:`log_linear_scan`.
    """
    h0 = _check_scan_inputs(a, b, h0)
    if mode == "scan":
        return _LinearScan.apply(a, b, h0)
    if mode == "sequential":
        return _sequential(a, b, h0)
    raise ValueError(f"mode must be 'scan' or 'sequential' for linear_scan, got {mode!r}")


def log_linear_scan(
    log_a: torch.Tensor, log_b: torch.Tensor, h0: torch.Tensor | None = None
) -> torch.Tensor:
    """The paper's log-space scan of h_t = a_t * h_{t-1} + b_t, given log a and log b (so b > 0).

    log_a, log_b: (num_steps, *s); h0: (*s), any sign, or None for zeros. Returns (num_steps, *s).
    h_t = exp(A_t) h_0 + exp(A_t + logcumsumexp_{s<=t}(log b_s - A_s)), A_t = sum_{s<=t} log a_s.
    The h_0 term is kept apart, so h_0 may be negative (the paper passes log h_0 instead).
    """
    h0 = _check_scan_inputs(log_a, log_b, h0, "log_a", "log_b")
    a_star = torch.cumsum(log_a, dim=0)  # (T, *s): log of a_1 * ... * a_t
    log_h = a_star + torch.logcumsumexp(log_b - a_star, dim=0)  # (T, *s)
    return torch.exp(log_h) + torch.exp(a_star) * h0


class _MinRNN(nn.Module):
    """Shared input checks and the three solvers; subclasses supply the coefficients."""

    num_projections: int

    def __init__(self, num_inputs: int, num_hiddens: int):
        super().__init__()
        self.num_inputs = check_positive_int(num_inputs, "num_inputs")
        self.num_hiddens = check_positive_int(num_hiddens, "num_hiddens")
        # One matrix for every input projection: gate(s) and candidate side by side.
        self.linear = nn.Linear(num_inputs, self.num_projections * num_hiddens)

    def forward(self, X: torch.Tensor, h0: torch.Tensor | None = None, mode: str = "scan"):
        """X: (num_steps, batch_size, num_inputs) -> H: (num_steps, batch_size, num_hiddens).

        h0: (batch_size, num_hiddens) or None (zeros). mode: "scan", "sequential" or "log".
        """
        check_tensor(X, "X", ndim=3, floating=True, sizes={2: self.num_inputs}, nonempty_dim=0)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if h0 is not None:
            check_tensor(h0, "h0", ndim=2, floating=True)
            want = (X.shape[1], self.num_hiddens)
            if tuple(h0.shape) != want:
                raise ValueError(
                    f"h0 must have shape (batch_size, num_hiddens) = {want}, got {tuple(h0.shape)}"
                )
            check_like(h0, "h0", X, "X")
        P = self.linear(X)  # (num_steps, batch_size, num_projections * num_hiddens)
        if mode == "log":
            log_a, log_b = self.log_coefficients(P)
            return log_linear_scan(log_a, log_b, h0)  # (num_steps, batch_size, num_hiddens)
        a, b = self.coefficients(P)
        return linear_scan(a, b, h0, mode=mode)  # (num_steps, batch_size, num_hiddens)


class MinGRU(_MinRNN):
    """minGRU: h_t = (1 - z_t) * h_{t-1} + z_t * g(Linear_h(x_t)), z_t = sigmoid(Linear_z(x_t)).

    Parameters: 2 * num_hiddens * (num_inputs + 1), and no hidden-to-hidden matrix at all.
    forward(X (num_steps, batch_size, num_inputs), h0=None, mode="scan") -> H
    (num_steps, batch_size, num_hiddens).
    """

    num_projections = 2

    def coefficients(self, P: torch.Tensor):
        """P: (..., 2 * num_hiddens) projections -> (a, b), each (..., num_hiddens)."""
        k, pre = P.chunk(2, dim=-1)  # update-gate logits, candidate pre-activations
        z = torch.sigmoid(k)  # update gate
        return 1 - z, z * g(pre)

    def log_coefficients(self, P: torch.Tensor):
        """P: (..., 2 * num_hiddens) -> (log a, log b), each (..., num_hiddens)."""
        k, pre = P.chunk(2, dim=-1)
        return -F.softplus(k), -F.softplus(-k) + log_g(pre)


class MinLSTM(_MinRNN):
    """minLSTM: h_t = f'_t * h_{t-1} + i'_t * g(Linear_h(x_t)), f' = f/(f+i), i' = i/(f+i).

    f_t = sigmoid(Linear_f(x_t)), i_t = sigmoid(Linear_i(x_t)): normalised so f' + i' = 1, which
    makes the state a convex mix like minGRU's but with two independently learned gates.
    Parameters: 3 * num_hiddens * (num_inputs + 1). forward as :class:`MinGRU`.
    """

    num_projections = 3

    def _log_ratio(self, P: torch.Tensor):
        kf, ki, pre = P.chunk(3, dim=-1)
        # log(i / f) = log sigmoid(ki) - log sigmoid(kf) = softplus(-kf) - softplus(-ki)
        return F.softplus(-kf) - F.softplus(-ki), pre

    def coefficients(self, P: torch.Tensor):
        """P: (..., 3 * num_hiddens) projections -> (a, b), each (..., num_hiddens)."""
        d, pre = self._log_ratio(P)
        # f' = f / (f + i) = 1 / (1 + i/f) = sigmoid(-d); i' = sigmoid(d) = 1 - f'
        i = torch.sigmoid(d)
        return 1 - i, i * g(pre)

    def log_coefficients(self, P: torch.Tensor):
        """P: (..., 3 * num_hiddens) -> (log a, log b), each (..., num_hiddens)."""
        d, pre = self._log_ratio(P)
        return -F.softplus(d), -F.softplus(-d) + log_g(pre)


__all__ = ["MODES", "MinGRU", "MinLSTM", "g", "linear_scan", "log_g", "log_linear_scan"]
