"""The scratch cells compute exactly what nn.LSTM / nn.GRU / nn.RNN compute, and their gates add up."""

import pytest
import torch
from torch import nn

from lstm_gru.cells import GateTrace, GRUScratch, LSTMScratch, RNNScratch, trace_gates

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
SCRATCH = {"lstm": LSTMScratch, "gru": GRUScratch, "rnn": RNNScratch}
KINDS = list(FUSED)
TOL = 1e-5  # max abs difference allowed between scratch and fused, float32


def random_state(kind, num_layers, batch_size, num_hiddens, dtype=torch.float32):
    """A random initial state in nn's layout: (num_layers, batch, hidden), a tuple for the LSTM."""
    h = torch.randn(num_layers, batch_size, num_hiddens, dtype=dtype)
    if kind == "lstm":
        return h, torch.randn(num_layers, batch_size, num_hiddens, dtype=dtype)
    return h


def max_diff(a, b):
    """Largest absolute difference between two tensors or two (h, c) tuples."""
    if isinstance(a, tuple):
        return max(max_diff(x, y) for x, y in zip(a, b, strict=True))
    return (a - b).abs().max().item()


# ---------------------------------------------------------------- equivalence with nn modules


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "num_inputs, num_hiddens, batch_size, num_steps",
    [(3, 4, 2, 5), (1, 1, 1, 1), (5, 8, 1, 7), (4, 6, 3, 1), (28, 32, 4, 12)],
)
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_fused_module(kind, num_inputs, num_hiddens, batch_size, num_steps, with_state):
    torch.manual_seed(0)
    fused = FUSED[kind](num_inputs, num_hiddens)
    cell = SCRATCH[kind].from_torch(fused)
    X = torch.randn(num_steps, batch_size, num_inputs)
    state = random_state(kind, 1, batch_size, num_hiddens) if with_state else None
    outputs, final = cell(X, state)
    expected_outputs, expected_final = fused(X, state)
    assert outputs.shape == (num_steps, batch_size, num_hiddens)
    assert max_diff(outputs, expected_outputs) <= TOL
    assert max_diff(final, expected_final) <= TOL


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_initial_weights_as_fused(kind):
    torch.manual_seed(3)
    cell = SCRATCH[kind](4, 5)
    torch.manual_seed(3)
    fused = FUSED[kind](4, 5)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert torch.equal(getattr(cell, name), getattr(fused, f"{name}_l0")), name


@pytest.mark.parametrize("kind", KINDS)
def test_length_1000_forward_and_backward(kind):
    torch.manual_seed(1)
    num_steps, batch_size, num_inputs, num_hiddens = 1000, 2, 3, 8
    fused = FUSED[kind](num_inputs, num_hiddens)
    cell = SCRATCH[kind].from_torch(fused)
    X = torch.randn(num_steps, batch_size, num_inputs)
    X_cell, X_fused = X.clone().requires_grad_(), X.clone().requires_grad_()
    outputs, _ = cell(X_cell)
    expected, _ = fused(X_fused)
    assert torch.isfinite(outputs).all()
    assert max_diff(outputs, expected) <= TOL
    # A loss on the last step only: its gradient has to travel back through all 1000 steps.
    outputs[-1].pow(2).sum().backward()
    expected[-1].pow(2).sum().backward()
    assert torch.isfinite(X_cell.grad).all()
    assert max_diff(X_cell.grad, X_fused.grad) <= TOL
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        grad, expected_grad = getattr(cell, name).grad, getattr(fused, f"{name}_l0").grad
        assert torch.isfinite(grad).all()
        assert max_diff(grad, expected_grad) <= 1e-4 * max(1.0, expected_grad.abs().max().item())


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_match_fused(kind):
    torch.manual_seed(2)
    fused = FUSED[kind](3, 5)
    cell = SCRATCH[kind].from_torch(fused)
    X = torch.randn(6, 2, 3)
    cell(X)[0].sin().sum().backward()
    fused(X)[0].sin().sum().backward()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert max_diff(getattr(cell, name).grad, getattr(fused, f"{name}_l0").grad) <= TOL


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_state", [False, True])
def test_trace_layer_1_of_stacked_module_is_its_output(kind, with_state):
    torch.manual_seed(4)
    fused = FUSED[kind](3, 6, num_layers=2)
    X = torch.randn(9, 2, 3)
    state = random_state(kind, 2, 2, 6) if with_state else None
    expected, _ = fused(X, state)  # the output of layer 2 (index 1)
    trace = trace_gates(fused, X, state, layer=1)
    assert max_diff(trace["hidden"], expected) <= TOL
    # Layer 0 is different (the test would not notice a layer mix-up otherwise).
    assert max_diff(trace_gates(fused, X, state, layer=0)["hidden"], expected) > 1e-2


@pytest.mark.parametrize("kind", KINDS)
def test_trace_middle_layer_of_three(kind):
    torch.manual_seed(5)
    three = FUSED[kind](3, 6, num_layers=3)
    two = FUSED[kind](3, 6, num_layers=2)
    two.load_state_dict({k: v for k, v in three.state_dict().items() if not k.endswith("l2")})
    X = torch.randn(7, 2, 3)
    assert max_diff(trace_gates(three, X, layer=1)["hidden"], two(X)[0]) <= TOL


@pytest.mark.parametrize("kind", KINDS)
def test_batch_first_module(kind):
    torch.manual_seed(6)
    fused = FUSED[kind](3, 4, batch_first=True)
    X = torch.randn(2, 5, 3)  # (batch_size, num_steps, num_inputs)
    trace = trace_gates(fused, X)
    assert trace["hidden"].shape == (5, 2, 4)  # the trace is time-major
    assert max_diff(trace["hidden"], fused(X)[0].transpose(0, 1)) <= TOL


@pytest.mark.parametrize("kind", KINDS)
def test_module_without_bias(kind):
    torch.manual_seed(7)
    fused = FUSED[kind](3, 4, bias=False)
    cell = SCRATCH[kind].from_torch(fused)
    assert cell.bias_ih.abs().sum() == 0 and cell.bias_hh.abs().sum() == 0
    X = torch.randn(5, 2, 3)
    assert max_diff(cell(X)[0], fused(X)[0]) <= TOL


def test_from_torch_keeps_dtype():
    fused = nn.GRU(2, 3).double()
    cell = GRUScratch.from_torch(fused)
    assert cell.weight_hh.dtype == torch.float64
    X = torch.randn(4, 1, 2, dtype=torch.float64)
    assert max_diff(cell(X)[0], fused(X)[0]) <= 1e-12


# On a GPU nn.LSTM / nn.GRU / nn.RNN run cuDNN. The `gpu` tests run without TF32 (conftest.py's
# no_tf32), so cuDNN computes in float32, only in another order and with its own exp/tanh: at
# these sizes two float32 implementations differ by about 2e-7 (measured on the CPU over 20
# seeds: scratch vs nn.* and vs float64), and a few ulps more per activation stay below 1e-5.
# CUDNN_TOL = 5e-5, PyTorch's own tolerance for its CPU-vs-cuDNN RNN tests, leaves room for
# cuDNN's kernels and still fails if TF32 slips back in (it moved the outputs by 1.6e-4 to
# 4.8e-4). In float64, where TF32 never applies, rounding is about 1e-15: 1e-12 leaves 1000x.
CUDNN_TOL = 5e-5


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_matches_cudnn_on_gpu(kind):
    assert not torch.backends.cudnn.allow_tf32  # what is compared: float32, not TF32
    torch.manual_seed(0)
    fused = FUSED[kind](8, 16).cuda()
    cell = SCRATCH[kind].from_torch(fused)
    assert cell.weight_hh.is_cuda
    X = torch.randn(20, 4, 8, device="cuda")
    outputs, final = cell(X)
    expected_outputs, expected_final = fused(X)
    assert max_diff(outputs, expected_outputs) <= CUDNN_TOL
    assert max_diff(final, expected_final) <= CUDNN_TOL
    assert trace_gates(fused, X)["hidden"].is_cuda


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_matches_cudnn_in_float64_on_gpu(kind):
    torch.manual_seed(0)
    fused = FUSED[kind](8, 16).double().cuda()  # cuDNN runs float64 RNNs too
    cell = SCRATCH[kind].from_torch(fused)
    assert cell.weight_hh.dtype == torch.float64 and cell.weight_hh.is_cuda
    X = torch.randn(20, 4, 8, dtype=torch.float64, device="cuda")
    state = random_state(kind, 1, 4, 16, dtype=torch.float64)
    state = tuple(s.cuda() for s in state) if kind == "lstm" else state.cuda()
    assert max_diff(cell(X, state)[0], fused(X, state)[0]) <= 1e-12
    assert max_diff(cell(X, state)[1], fused(X, state)[1]) <= 1e-12


def test_the_gpu_tests_tf32_switch_works_without_a_gpu(no_tf32):
    assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32


# ---------------------------------------------------------------- the two GRU forms


def d2l_gru(X, H, W_xr, W_hr, b_r, W_xz, W_hz, b_z, W_xh, W_hh, b_h):
    """The d2l book's GRU (Cho et al.), with X_t W (inputs times weights), written out."""
    outputs = []
    for X_t in X:
        R = torch.sigmoid(X_t @ W_xr + H @ W_hr + b_r)
        Z = torch.sigmoid(X_t @ W_xz + H @ W_hz + b_z)
        H_tilde = torch.tanh(X_t @ W_xh + (R * H) @ W_hh + b_h)
        H = Z * H + (1 - Z) * H_tilde
        outputs.append(H)
    return torch.stack(outputs)


def test_reset_before_is_the_d2l_book_gru():
    torch.manual_seed(8)
    num_hiddens = 5
    cell = GRUScratch(3, num_hiddens, reset_after=False)
    X = torch.randn(6, 2, 3)
    H0 = torch.randn(1, 2, num_hiddens)
    # PyTorch's rows r, z, n -> the book's (inputs, hiddens) matrices; both biases add up.
    W_x = cell.weight_ih.detach().T.chunk(3, dim=1)
    W_h = cell.weight_hh.detach().T.chunk(3, dim=1)
    b = (cell.bias_ih + cell.bias_hh).detach().chunk(3)
    params = [p for k in range(3) for p in (W_x[k], W_h[k], b[k])]
    expected = d2l_gru(X, H0[0], *params)
    assert max_diff(cell(X, H0)[0], expected) <= TOL
    # The PyTorch form with the same weights is a different function.
    cell.reset_after = True
    assert max_diff(cell(X, H0)[0], expected) > 1e-3


def test_from_torch_gives_the_pytorch_gru_form():
    assert GRUScratch.from_torch(nn.GRU(2, 3)).reset_after is True


# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize(
    "make_cell",
    [
        lambda: RNNScratch(2, 3),
        lambda: LSTMScratch(2, 3),
        lambda: GRUScratch(2, 3),
        lambda: GRUScratch(2, 3, reset_after=False),
    ],
    ids=["rnn", "lstm", "gru", "gru-reset-before"],
)
def test_gradcheck_float64(make_cell):
    torch.manual_seed(9)
    cell = make_cell().double()
    names = [name for name, _ in cell.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]
    X = torch.randn(3, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, 2, 3, dtype=torch.float64, requires_grad=True)

    def run(X, h0, c0, *params):
        state = (h0, c0) if isinstance(cell, LSTMScratch) else h0
        outputs, final = torch.func.functional_call(
            cell, dict(zip(names, params, strict=True)), (X, state)
        )
        c_n = final[1] if isinstance(final, tuple) else torch.zeros(())
        return outputs, c_n

    assert torch.autograd.gradcheck(run, (X, h0, c0, *params))


# ---------------------------------------------------------------- what the gates can do


BIG = 1e4  # a bias that saturates a sigmoid: sigmoid(1e4) == 1.0, sigmoid(-1e4) == 0.0


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_with_reset_open_and_update_closed_is_a_vanilla_rnn(reset_after):
    """Course notes claim 7: with R = 1 and Z = 0 the GRU is the basic tanh RNN."""
    torch.manual_seed(10)
    H = 4
    gru = GRUScratch(3, H, reset_after=reset_after)
    with torch.no_grad():
        gru.bias_ih[:H] = BIG  # reset gate R = 1: use all of the old state
        gru.bias_ih[H : 2 * H] = -BIG  # update gate Z = 0: take the candidate entirely
    # The RNN gets the candidate's weights: W_in, W_hn and the two biases b_in, b_hn.
    rnn = nn.RNN(3, H)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(gru.weight_ih[2 * H :])
        rnn.weight_hh_l0.copy_(gru.weight_hh[2 * H :])
        rnn.bias_ih_l0.copy_(gru.bias_ih[2 * H :])
        rnn.bias_hh_l0.copy_(gru.bias_hh[2 * H :])
    X = torch.randn(8, 2, 3)
    h0 = torch.randn(1, 2, H)
    outputs, final, trace = gru(X, h0, return_gates=True)
    assert torch.all(trace["reset"] == 1) and torch.all(trace["update"] == 0)
    expected_outputs, expected_final = rnn(X, h0)
    assert max_diff(outputs, expected_outputs) <= TOL
    assert max_diff(final, expected_final) <= TOL
    assert max_diff(RNNScratch.from_torch(rnn)(X, h0)[0], outputs) <= TOL


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_with_update_gate_one_skips_every_step(reset_after):
    """Claim 7, second half: with Z = 1 the state is copied through unchanged."""
    torch.manual_seed(11)
    gru = GRUScratch(3, 4, reset_after=reset_after)
    with torch.no_grad():
        gru.bias_ih[4:8] = BIG
    h0 = torch.randn(1, 2, 4)
    outputs, final = gru(torch.randn(10, 2, 3), h0)
    assert torch.equal(final, h0)
    assert torch.equal(outputs, h0.expand(10, 2, 4))


def test_lstm_outputs_are_h_and_the_cell_stays_inside():
    """Claim 3: only the hidden state is output; the memory cell is internal (and unbounded)."""
    torch.manual_seed(12)
    H = 3
    lstm = LSTMScratch(2, H)
    with torch.no_grad():  # input, forget and output gates open; candidate saturated at +1
        lstm.bias_ih[: 2 * H] = BIG
        lstm.bias_ih[2 * H : 3 * H] = BIG
        lstm.bias_ih[3 * H :] = BIG
    X = torch.randn(20, 1, 2)
    outputs, (h, c) = lstm(X)
    assert torch.equal(outputs[-1], h[0])
    # Each step adds 1 to the cell: c_T = T, while h = tanh(c) stays below 1.
    assert torch.allclose(c, torch.full_like(c, 20.0))
    assert torch.all(outputs.abs() <= 1)
    assert max_diff(c, h) > 18


def test_lstm_trace_hidden_is_the_output_not_the_cell():
    torch.manual_seed(13)
    lstm = LSTMScratch(3, 4)
    X = torch.randn(6, 2, 3)
    outputs, (h, c), trace = lstm(X, return_gates=True)
    assert torch.equal(trace["hidden"], outputs.detach())
    assert torch.equal(trace["cell"][-1], c[0].detach())
    assert max_diff(trace["cell"], trace["hidden"]) > 1e-2


# ---------------------------------------------------------------- gate traces


def test_lstm_trace_recomputes_h_and_c():
    torch.manual_seed(14)
    fused = nn.LSTM(3, 5)
    X = torch.randn(8, 2, 3)
    h0, c0 = random_state("lstm", 1, 2, 5)
    t = trace_gates(fused, X, (h0, c0))
    assert t.kind == "lstm" and t.names == [
        "input",
        "forget",
        "output",
        "candidate",
        "cell",
        "hidden",
    ]
    c_prev = torch.cat([c0, t["cell"][:-1]])  # C_{t-1} for every t
    assert max_diff(t["cell"], t["forget"] * c_prev + t["input"] * t["candidate"]) <= TOL
    assert max_diff(t["hidden"], t["output"] * torch.tanh(t["cell"])) <= TOL
    for gate in ("input", "forget", "output"):
        assert t[gate].min() > 0 and t[gate].max() < 1
    assert t["candidate"].abs().max() < 1


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_trace_recomputes_h(reset_after):
    torch.manual_seed(15)
    gru = GRUScratch(3, 5, reset_after=reset_after)
    X = torch.randn(8, 2, 3)
    h0 = torch.randn(1, 2, 5)
    t = trace_gates(gru, X, h0)
    assert t.kind == "gru" and t.names == ["reset", "update", "candidate", "hidden"]
    h_prev = torch.cat([h0, t["hidden"][:-1]])
    expected = t["update"] * h_prev + (1 - t["update"]) * t["candidate"]
    assert max_diff(t["hidden"], expected) <= TOL


def test_trace_is_detached_and_labelled():
    torch.manual_seed(16)
    gru = nn.GRU(2, 3)
    t = trace_gates(gru, torch.randn(4, 1, 2), tokens="abcd")
    assert t.tokens == ["a", "b", "c", "d"]
    assert t.num_steps == 4
    assert all(not v.requires_grad for v in t.gates.values())
    assert t.cpu()["reset"].device.type == "cpu"
    assert trace_gates(nn.RNN(2, 3), torch.randn(4, 1, 2), tokens=list("wxyz")).names == ["hidden"]
    with pytest.raises(KeyError, match="no gate 'forget' in a gru trace"):
        t["forget"]


def test_gate_trace_rejects_inconsistent_contents():
    ok = torch.zeros(3, 1, 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        GateTrace({"hidden": ok}, "lstmm")
    with pytest.raises(ValueError, match=r"gates of a gru trace must be \['reset'"):
        GateTrace({"hidden": ok}, "gru")
    with pytest.raises(ValueError, match="one shape"):
        GateTrace(
            {"reset": ok, "update": ok, "candidate": ok, "hidden": torch.zeros(4, 1, 2)}, "gru"
        )


# ---------------------------------------------------------------- pinned values


def test_seeded_lstm_values():
    torch.manual_seed(0)
    cell = LSTMScratch(2, 3)
    X = torch.linspace(-1, 1, 8).reshape(4, 1, 2)  # (num_steps, batch_size, num_inputs)
    outputs, (h, c) = cell(X)
    expected = torch.tensor([[0.3227, -0.0014, -0.0863], [-0.0561, -0.2768, 0.0226]])
    assert torch.allclose(outputs[[0, -1], 0], expected, atol=1e-4)
    assert torch.allclose(c[0, 0], torch.tensor([-0.0864, -0.4291, 0.0581]), atol=1e-4)


@pytest.mark.parametrize(
    "reset_after, expected_last",
    [(True, [0.1307, 0.3250, 0.1330]), (False, [0.2021, 0.4602, 0.0514])],
)
def test_seeded_gru_values(reset_after, expected_last):
    torch.manual_seed(0)
    cell = GRUScratch(2, 3, reset_after=reset_after)
    X = torch.linspace(-1, 1, 8).reshape(4, 1, 2)
    outputs, _ = cell(X)
    assert torch.allclose(outputs[-1, 0], torch.tensor(expected_last), atol=1e-4)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kind", KINDS)
def test_bad_X(kind):
    cell = SCRATCH[kind](3, 4)
    with pytest.raises(ValueError, match=r"X must have 3 dimensions, got shape \(5, 3\)"):
        cell(torch.randn(5, 3))
    with pytest.raises(
        ValueError,
        match=r"X must have shape \(num_steps, batch_size, num_inputs=3\), got shape \(5, 2, 7\)",
    ):
        cell(torch.randn(5, 2, 7))
    with pytest.raises(
        ValueError, match=r"X must not be empty in dimension 0, got shape \(0, 2, 3\)"
    ):
        cell(torch.randn(0, 2, 3))
    with pytest.raises(TypeError, match="X must be a floating-point tensor, got dtype torch.int64"):
        cell(torch.ones(5, 2, 3, dtype=torch.long))
    with pytest.raises(
        TypeError, match="X must have the cell's dtype torch.float32, got torch.float64"
    ):
        cell(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="X must be a torch.Tensor, got list"):
        cell([[[1.0, 2.0, 3.0]]])


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_bad_state_of_gru_and_rnn(kind):
    cell = SCRATCH[kind](3, 4)
    X = torch.randn(5, 2, 3)
    with pytest.raises(
        ValueError, match=r"state must have shape \(1, 2, 4\), got shape \(1, 3, 4\)"
    ):
        cell(X, torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2, 4\), got shape \(2, 4\)"):
        cell(X, torch.zeros(2, 4))
    with pytest.raises(TypeError, match=r"must be one tensor .* got a tuple \(only the LSTM"):
        cell(X, (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))


def test_bad_state_of_lstm():
    cell = LSTMScratch(3, 4)
    X = torch.randn(5, 2, 3)
    with pytest.raises(TypeError, match=r"must be a tuple \(h, c\) of two tensors .* got Tensor"):
        cell(X, torch.zeros(1, 2, 4))
    with pytest.raises(TypeError, match=r"must be a tuple \(h, c\) .* got a tuple of 3"):
        cell(X, (torch.zeros(1, 2, 4),) * 3)
    with pytest.raises(
        ValueError, match=r"state c must have shape \(1, 2, 4\), got shape \(1, 2, 5\)"
    ):
        cell(X, (torch.zeros(1, 2, 4), torch.zeros(1, 2, 5)))


def test_bad_state_of_fused_module_in_trace():
    X = torch.randn(5, 2, 3)
    with pytest.raises(
        ValueError, match=r"state must have shape \(2, 2, 4\), got shape \(1, 2, 4\)"
    ):
        trace_gates(nn.GRU(3, 4, num_layers=2), X, torch.zeros(1, 2, 4))
    with pytest.raises(TypeError, match=r"state of an nn.LSTM must be a tuple \(h, c\)"):
        trace_gates(nn.LSTM(3, 4), X, torch.zeros(1, 2, 4))
    with pytest.raises(TypeError, match=r"state of an nn.RNN must be one tensor"):
        trace_gates(nn.RNN(3, 4), X, (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))


def test_bad_tokens():
    X = torch.randn(5, 1, 3)
    with pytest.raises(
        ValueError, match=r"tokens must have one entry per time step \(num_steps=5\), got 4"
    ):
        trace_gates(GRUScratch(3, 4), X, tokens=["a", "b", "c", "d"])
    with pytest.raises(TypeError, match="tokens must be a list of strings or a str, got int"):
        trace_gates(nn.LSTM(3, 4), X, tokens=5)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="num_hiddens must be >= 1, got 0"):
        LSTMScratch(3, 0)
    with pytest.raises(TypeError, match="num_inputs must be an int, got float"):
        GRUScratch(2.5, 3)
    with pytest.raises(TypeError, match="reset_after must be a bool, got str"):
        GRUScratch(2, 3, reset_after="yes")


def test_from_torch_rejects_what_it_cannot_copy():
    with pytest.raises(TypeError, match="module must be an nn.LSTM, got GRU"):
        LSTMScratch.from_torch(nn.GRU(2, 3))
    with pytest.raises(ValueError, match="must not be bidirectional"):
        trace_gates(nn.GRU(2, 3, bidirectional=True), torch.zeros(4, 1, 2))
    with pytest.raises(ValueError, match="reverse=True needs a bidirectional module"):
        GRUScratch.from_torch(nn.GRU(2, 3), reverse=True)
    with pytest.raises(ValueError, match="proj_size=0, got proj_size=2"):
        LSTMScratch.from_torch(nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(ValueError, match="nonlinearity='tanh', got 'relu'"):
        RNNScratch.from_torch(nn.RNN(2, 3, nonlinearity="relu"))
    with pytest.raises(ValueError, match="layer must be < num_layers=2 of the module, got layer=2"):
        LSTMScratch.from_torch(nn.LSTM(2, 3, num_layers=2), layer=2)
    with pytest.raises(ValueError, match="layer must be >= 0, got -1"):
        trace_gates(nn.GRU(2, 3), torch.randn(4, 1, 2), layer=-1)


def test_trace_gates_rejects_other_modules():
    with pytest.raises(TypeError, match=r"module must be an nn.LSTM, nn.GRU, nn.RNN .* got Linear"):
        trace_gates(nn.Linear(2, 3), torch.randn(4, 1, 2))
    with pytest.raises(ValueError, match="layer must be 0 for a scratch cell"):
        trace_gates(LSTMScratch(2, 3), torch.randn(4, 1, 2), layer=1)


# ---------------------------------------------------------------- the benchmark


def test_bench_prints_one_record_per_cell(capsys):
    import json

    from lstm_gru.bench.cells import main

    main("--batch-size 2 --num-steps 3 --num-hiddens 4 --repeats 3 --device cpu".split())
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["cell"] for r in records] == ["lstm", "gru"]
    for r in records:
        assert (r["batch_size"], r["num_steps"], r["num_hiddens"]) == (2, 3, 4)
        assert r["max_abs_diff"] <= TOL
        # ratio is scratch time / fused time, so fused tokens/s over scratch tokens/s
        speed_ratio = r["fused_tokens_per_s"] / r["scratch_tokens_per_s"]
        assert r["ratio"] == pytest.approx(speed_ratio, rel=1e-2)
