"""minGRU / minLSTM and the linear scan: the parallel scan computes exactly what the loop computes."""

import math

import pytest
import torch

from lstm_gru.minrnn import MinGRU, MinLSTM, g, linear_scan, log_g, log_linear_scan

TOL = 1e-4  # max abs difference allowed between scan and loop, float32, length 1024


def random_recurrence(shape, seed=0, dtype=torch.float32):
    """a in (0, 1), b and h0 of any sign: (num_steps, *s), (num_steps, *s), (*s)."""
    gen = torch.Generator().manual_seed(seed)
    a = torch.rand(shape, generator=gen, dtype=dtype)
    b = torch.randn(shape, generator=gen, dtype=dtype)
    h0 = torch.randn(shape[1:], generator=gen, dtype=dtype)
    return a, b, h0


# ---------------------------------------------------------------- linear_scan


def test_linear_scan_small_example_exact():
    a = torch.tensor([0.5, 0.5, 2.0, -1.0])
    b = torch.tensor([1.0, 1.0, 1.0, 3.0])
    expected = torch.tensor([2.0, 2.0, 5.0, -2.0])  # from h0 = 2: 0.5*2+1, 0.5*2+1, 2*2+1, -5+3
    for mode in ("scan", "sequential"):
        assert torch.equal(linear_scan(a, b, torch.tensor(2.0), mode=mode), expected)


@pytest.mark.parametrize(
    "shape", [(1024, 16, 256), (1024, 3, 7), (1024, 1, 1), (1024, 5), (1024,), (1024, 2, 3, 4)]
)
def test_scan_equals_loop_at_length_1024(shape):
    a, b, h0 = random_recurrence(shape)
    scan, loop = linear_scan(a, b, h0), linear_scan(a, b, h0, mode="sequential")
    assert scan.shape == shape
    assert (scan - loop).abs().max().item() <= TOL


@pytest.mark.parametrize("num_steps", [1, 2, 3, 4, 5, 8, 17, 63, 97, 100, 257])
def test_scan_equals_loop_at_awkward_lengths(num_steps):
    """Lengths that leave a remainder after the chunks, and lengths too short to chunk."""
    a, b, h0 = random_recurrence((num_steps, 2, 3), seed=num_steps, dtype=torch.float64)
    scan, loop = linear_scan(a, b, h0), linear_scan(a, b, h0, mode="sequential")
    assert (scan - loop).abs().max().item() < 1e-12


def test_scan_handles_negative_and_large_coefficients():
    """Only multiplies and adds: exact for any signs, where a log-space scan could not even start."""
    a, b, h0 = random_recurrence((200, 4), seed=3, dtype=torch.float64)
    a = 2.2 * a - 1.1  # some |a| > 1, some negative
    scan, loop = linear_scan(a, b, h0), linear_scan(a, b, h0, mode="sequential")
    assert ((scan - loop).abs() / loop.abs().clamp(min=1)).max().item() < 1e-10


@pytest.mark.parametrize("num_steps", [1, 2, 10, 1024])
def test_scan_gradients_equal_loop_gradients(num_steps):
    a, b, h0 = (t.requires_grad_() for t in random_recurrence((num_steps, 4, 8), seed=1))
    weights = torch.randn(num_steps, 4, 8, generator=torch.Generator().manual_seed(2))
    grads = {}
    for mode in ("scan", "sequential"):
        loss = (linear_scan(a, b, h0, mode=mode) * weights).sum()
        grads[mode] = torch.autograd.grad(loss, (a, b, h0))
    for scan, loop in zip(grads["scan"], grads["sequential"], strict=True):
        assert (scan - loop).abs().max().item() <= TOL


@pytest.mark.parametrize(
    "a_value", [0.0, 1e-30, 1.0, 1 - 2**-24, "mixed"], ids=["0", "1e-30", "1", "1-eps", "mixed"]
)
def test_scan_at_forgetting_and_remembering_extremes(a_value):
    """a = 0 (forget everything) and a = 1 (keep everything): finite and equal to the loop."""
    _, b, h0 = random_recurrence((1024, 4, 8), seed=4)
    if a_value == "mixed":  # runs of exact zeros and ones between ordinary values
        a = torch.rand(1024, 4, 8, generator=torch.Generator().manual_seed(5))
        a[100:400], a[600:700] = 1.0, 0.0
    else:
        a = torch.full((1024, 4, 8), a_value)
    weights = torch.randn(1024, 4, 8, generator=torch.Generator().manual_seed(6))
    results = {}
    for mode in ("scan", "sequential"):
        a_, b_, h0_ = (t.clone().requires_grad_() for t in (a, b, h0))
        h = linear_scan(a_, b_, h0_, mode=mode)
        results[mode] = (h, *torch.autograd.grad((h * weights).sum(), (a_, b_, h0_)))
    for scan, loop in zip(results["scan"], results["sequential"], strict=True):
        assert torch.isfinite(scan).all()
        # with a = 1 the state is a running sum of 1024 terms: compare relative to its size
        assert (scan - loop).abs().max().item() <= TOL * max(1.0, loop.abs().max().item())
    if a_value == 0.0:
        assert torch.equal(results["scan"][0], b)  # nothing remembered: h_t = b_t
        assert torch.equal(results["scan"][3], torch.zeros(4, 8))  # h0 forgotten at once


def test_scan_backward_passes_gradcheck():
    a, b, h0 = (t.requires_grad_() for t in random_recurrence((11, 2, 3), dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda a, b, h0: linear_scan(a, b, h0), (a, b, h0))


def test_scan_gradient_only_where_asked():
    a, b, _ = random_recurrence((50, 3))
    b.requires_grad_()
    linear_scan(a, b).sum().backward()
    assert a.grad is None
    # d(sum_t h_t)/db_s = 1 + a_{s+1} + a_{s+1} a_{s+2} + ...: the last step gets exactly 1
    assert torch.equal(b.grad[-1], torch.ones(3))
    assert torch.allclose(b.grad[-2], 1 + a[-1])


def test_log_linear_scan_matches_loop_and_accepts_negative_h0():
    a, b, h0 = random_recurrence((300, 5), dtype=torch.float64)
    b = b.abs() + 0.1  # the log-space scan needs b > 0; h0 may be negative
    assert (h0 < 0).any()
    got = log_linear_scan(a.log(), b.log(), h0)
    assert (got - linear_scan(a, b, h0, mode="sequential")).abs().max().item() < 1e-10


def test_linear_scan_rejects_bad_inputs():
    a = torch.rand(5, 3)
    with pytest.raises(ValueError, match=r"b must have the same shape as a \(5, 3\), got \(5, 4\)"):
        linear_scan(a, torch.rand(5, 4))
    with pytest.raises(ValueError, match=r"h0 must have shape \(3,\)"):
        linear_scan(a, a, torch.zeros(4))
    with pytest.raises(ValueError, match="must not be empty in dimension 0"):
        linear_scan(torch.rand(0, 3), torch.rand(0, 3))
    with pytest.raises(ValueError, match="leading time dimension"):
        linear_scan(torch.tensor(0.5), torch.tensor(1.0))
    with pytest.raises(TypeError, match="a must be a floating-point tensor"):
        linear_scan(torch.ones(5, 3, dtype=torch.long), a)
    with pytest.raises(TypeError, match="b must have a's dtype"):
        linear_scan(a, a.double())
    with pytest.raises(TypeError, match="a must be a torch.Tensor, got list"):
        linear_scan([0.5, 0.5], a)
    with pytest.raises(ValueError, match="mode must be 'scan' or 'sequential'"):
        linear_scan(a, a, mode="log")


# ---------------------------------------------------------------- g and log g


def test_g_values():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    expected = torch.cat([torch.sigmoid(torch.tensor([-2.0, -0.5])), torch.tensor([0.5, 1.0, 3.5])])
    assert torch.allclose(g(x), expected, atol=1e-7, rtol=0)
    assert torch.allclose(log_g(x), expected.log(), atol=1e-6, rtol=0)


def test_log_g_stays_finite_where_g_underflows():
    x = torch.tensor([-200.0])
    assert g(x).item() == 0.0  # sigmoid(-200) underflows in float32
    assert log_g(x).item() == pytest.approx(-200.0)


# ---------------------------------------------------------------- MinGRU and MinLSTM

MODELS = [MinGRU, MinLSTM]


@pytest.mark.parametrize("cls", MODELS)
def test_parameter_counts(cls):
    model = cls(10, 16)
    per_unit = {MinGRU: 2, MinLSTM: 3}[cls]  # projections per hidden unit, each with a bias
    assert sum(p.numel() for p in model.parameters()) == per_unit * 16 * (10 + 1)


def test_mingru_is_the_papers_equations():
    torch.manual_seed(0)
    model = MinGRU(3, 4)
    X, h = torch.randn(6, 2, 3), torch.randn(2, 4)
    W, bias = model.linear.weight, model.linear.bias  # (8, 3), (8,)
    expected, state = [], h
    for x in X:  # the paper's minGRU, one step at a time
        z = torch.sigmoid(x @ W[:4].T + bias[:4])
        pre = x @ W[4:].T + bias[4:]
        h_tilde = torch.where(pre >= 0, pre + 0.5, torch.sigmoid(pre))
        state = (1 - z) * state + z * h_tilde
        expected.append(state)
    for mode in ("sequential", "scan", "log"):
        assert torch.allclose(model(X, h, mode=mode), torch.stack(expected), atol=1e-6)


def test_minlstm_is_the_papers_equations():
    torch.manual_seed(0)
    model = MinLSTM(3, 4)
    X = torch.randn(6, 2, 3)
    W, bias = model.linear.weight, model.linear.bias  # (12, 3), (12,)
    expected, state = [], torch.zeros(2, 4)
    for x in X:
        f = torch.sigmoid(x @ W[:4].T + bias[:4])
        i = torch.sigmoid(x @ W[4:8].T + bias[4:8])
        pre = x @ W[8:].T + bias[8:]
        h_tilde = torch.where(pre >= 0, pre + 0.5, torch.sigmoid(pre))
        state = f / (f + i) * state + i / (f + i) * h_tilde  # normalised gates
        expected.append(state)
    for mode in ("sequential", "scan", "log"):
        assert torch.allclose(model(X, mode=mode), torch.stack(expected), atol=1e-6)


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("batch_size, num_hiddens", [(1, 1), (4, 32), (16, 64)])
def test_model_scan_equals_loop_at_length_1024(cls, batch_size, num_hiddens):
    torch.manual_seed(0)
    model = cls(8, num_hiddens)
    X = torch.randn(1024, batch_size, 8)
    h0 = torch.randn(batch_size, num_hiddens)
    grads = {}
    for mode in ("scan", "sequential"):
        model.zero_grad()
        H = model(X, h0, mode=mode)
        assert H.shape == (1024, batch_size, num_hiddens)
        (H * torch.linspace(-1, 1, num_hiddens)).sum().backward()
        grads[mode] = (H.detach(), [p.grad.clone() for p in model.parameters()])
    assert (grads["scan"][0] - grads["sequential"][0]).abs().max().item() <= TOL
    for scan, loop in zip(grads["scan"][1], grads["sequential"][1], strict=True):
        # parameter gradients sum over 1024 * batch_size steps: compare relative to their size
        assert (scan - loop).abs().max().item() <= TOL * max(1.0, loop.abs().max().item())


@pytest.mark.parametrize("cls", MODELS)
def test_model_with_saturated_gates(cls):
    """Huge inputs saturate every gate (a = 0 or 1 exactly in float32): still finite and exact."""
    torch.manual_seed(0)
    model = cls(8, 16)
    X = 1000 * torch.randn(1024, 2, 8)
    outputs, grads = {}, {}
    for mode in ("scan", "sequential", "log"):
        model.zero_grad()
        outputs[mode] = model(X, mode=mode)
        outputs[mode].mean().backward()
        grads[mode] = [p.grad.clone() for p in model.parameters()]
        assert torch.isfinite(outputs[mode]).all()
        assert all(torch.isfinite(grad).all() for grad in grads[mode])
    scale = outputs["sequential"].abs().max().item()
    assert (outputs["scan"] - outputs["sequential"]).abs().max().item() <= TOL * scale
    for scan, loop in zip(grads["scan"], grads["sequential"], strict=True):
        assert (scan - loop).abs().max().item() <= TOL * max(1.0, loop.abs().max().item())


@pytest.mark.parametrize("cls", MODELS)
def test_log_space_scan_drifts_in_float32(cls):
    """The paper's log-space scan loses ~1e-4 by step 1024 in float32; the blocked scan does not."""
    torch.manual_seed(0)
    model = cls(8, 32)
    X = torch.randn(1024, 4, 8)
    with torch.no_grad():
        reference = model.double()(X.double(), mode="sequential")
        model.float()
        scan_err = (model(X).double() - reference).abs().max().item()
        log_err = (model(X, mode="log").double() - reference).abs().max().item()
        log_err_short = (model(X[:64], mode="log").double() - reference[:64]).abs().max().item()
    assert scan_err < 1e-6
    assert 2e-5 < log_err < 1e-3
    assert log_err > 30 * scan_err
    assert log_err_short < log_err / 5  # the error grows with the length


@pytest.mark.parametrize("cls", MODELS)
def test_model_rejects_bad_inputs(cls):
    model = cls(4, 6)
    with pytest.raises(ValueError, match=r"X must have 3 dimensions, got shape \(5, 4\)"):
        model(torch.randn(5, 4))
    with pytest.raises(
        ValueError, match=r"X must have size 4 in dimension 2, got shape \(5, 2, 3\)"
    ):
        model(torch.randn(5, 2, 3))
    with pytest.raises(ValueError, match=r"X must not be empty in dimension 0"):
        model(torch.randn(0, 2, 4))
    with pytest.raises(TypeError, match="X must be a floating-point tensor, got dtype torch.int64"):
        model(torch.ones(5, 2, 4, dtype=torch.long))
    with pytest.raises(
        ValueError, match=r"h0 must have shape \(batch_size, num_hiddens\) = \(2, 6\)"
    ):
        model(torch.randn(5, 2, 4), torch.zeros(3, 6))
    with pytest.raises(TypeError, match="h0 must have X's dtype"):
        model(torch.randn(5, 2, 4), torch.zeros(2, 6, dtype=torch.float64))
    with pytest.raises(ValueError, match="mode must be one of"):
        model(torch.randn(5, 2, 4), mode="parallel")
    with pytest.raises(ValueError, match="num_hiddens must be >= 1, got 0"):
        cls(4, 0)
    with pytest.raises(TypeError, match="num_inputs must be an int"):
        cls(4.0, 6)


def test_scan_uses_about_sqrt_t_steps(monkeypatch):
    """The point of the scan: ~3 sqrt(T) vectorised steps instead of T (counted via addcmul)."""
    a, b, h0 = random_recurrence((1024, 2))
    calls = 0
    original = torch.addcmul

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "addcmul", counting)
    linear_scan(a, b, h0)
    chunk = math.isqrt(1024)  # 32 chunks of 32 steps
    assert calls == (chunk - 1) + chunk + chunk  # chunks from zero, carries, chunks again


@pytest.mark.gpu
@pytest.mark.parametrize("cls", MODELS)
def test_scan_equals_loop_on_cuda(cls):
    torch.manual_seed(0)
    model = cls(8, 64).cuda()
    X = torch.randn(1024, 16, 8, device="cuda")
    with torch.no_grad():
        diff = (model(X) - model(X, mode="sequential")).abs().max().item()
    assert diff <= TOL


# ---------------------------------------------------------------- the benchmark


def test_bench_prints_one_record_per_batch_size_and_length(capsys):
    import json

    from lstm_gru.bench.scan import main

    args = (
        "--lengths 5 40 --num-inputs 3 --num-hiddens 4 --batch-sizes 1 2 --repeats 1 --device cpu"
    )
    main(args.split())
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["batch_size"], r["length"]) for r in records] == [(1, 5), (1, 40), (2, 5), (2, 40)]
    for r in records:
        # speedup has 3 significant figures, so it may differ by up to 0.5 % from the ratio
        assert r["speedup"] == pytest.approx(r["sequential_s"] / r["scan_s"], rel=6e-3)
        assert r["speedup_bound"] == pytest.approx(r["sequential_s"] / r["gates_s"], rel=6e-3)
        assert r["scan_max_abs_diff"] <= 1e-6 and r["log_max_abs_diff"] <= 1e-5
        assert r["recurrence_speedup"] > 0


def test_bench_modes_option(capsys):
    import json

    from lstm_gru.bench.scan import main

    main(
        "--lengths 4 --num-hiddens 2 --batch-sizes 1 --repeats 1 --modes scan --device cpu".split()
    )
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "log_s" not in record and {"sequential_s", "scan_s", "speedup"} <= set(record)
