import math
import time

import pytest
import torch
from torch import nn

from lstm_gru import seed_everything
from lstm_gru.data import char_batches
from lstm_gru.encoder_decoder import (
    EncoderDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    masked_cross_entropy,
)
from lstm_gru.models import CharRNN, SequenceModel
from lstm_gru.tasks import first_token_task, score, task_loss
from lstm_gru.train import (
    CarriedStateLoss,
    History,
    RunningSum,
    context_curve,
    detach_state,
    evaluate,
    fit,
    graph_size,
    lm_loss,
    perplexity,
    to_device,
)

CPU = torch.device("cpu")


def repeating_lm_batches(pattern=(0, 1, 2, 3), batch_size=8, num_steps=6, num_batches=4):
    """LM batches of a text that repeats ``pattern``: X, Y (batch_size, num_steps) long."""
    text = torch.tensor(pattern * 200)
    starts = torch.arange(batch_size * num_batches) % len(pattern)
    batches = []
    for k in range(num_batches):
        rows = starts[k * batch_size : (k + 1) * batch_size]
        X = torch.stack([text[s : s + num_steps] for s in rows])
        Y = torch.stack([text[s + 1 : s + num_steps + 1] for s in rows])
        batches.append((X, Y))
    return batches


def test_to_device_moves_nested_batches_and_keeps_types():
    batch = {"x": (torch.ones(2), [torch.zeros(1), 3]), "y": torch.ones(1)}
    moved = to_device(batch, CPU)
    assert isinstance(moved["x"], tuple) and isinstance(moved["x"][1], list)
    assert moved["x"][1][1] == 3 and torch.equal(moved["y"], torch.ones(1))


def run_first_token(seed):
    seed_everything(seed)
    train = first_token_task(128, 8, seed=1)
    valid = first_token_task(64, 8, seed=2)
    model = SequenceModel(train.num_inputs, 8, train.num_outputs, cell="gru")
    history = fit(
        model,
        train.loader(32, seed=seed),
        num_epochs=3,
        loss_fn=task_loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        device=CPU,
        valid_loader=valid.loader(64, shuffle=False),
        metric_fn=score,
        progress=False,
    )
    return model, history


def test_fit_is_deterministic_for_a_seed():
    model_a, a = run_first_token(0)
    model_b, b = run_first_token(0)
    assert a.train_loss == b.train_loss and a.valid_metric == b.valid_metric
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    _, c = run_first_token(1)
    assert c.train_loss != a.train_loss  # the seed matters, so the equality above means something
    assert (len(a.train_loss), len(a.valid_metric), len(a.seconds), a.num_updates) == (3, 3, 3, 12)
    assert not a.stopped_early


class RecordingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it sees at every step."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"]]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return super().step(closure)


@pytest.mark.parametrize("clip_norm", [0.5, None])
def test_fit_clips_the_global_gradient_norm(clip_norm):
    seed_everything(0)
    model = CharRNN(4, 8)

    def big_loss(model, batch):
        return 1000 * lm_loss(model, batch)[0]  # gradients far above the clipping norm

    optimizer = RecordingSGD(model.parameters(), lr=1e-6)
    history = fit(
        model,
        repeating_lm_batches(),
        num_epochs=1,
        loss_fn=big_loss,
        optimizer=optimizer,
        device=CPU,
        clip_norm=clip_norm,
        progress=False,
    )
    assert len(optimizer.norms) == 4
    # History.grad_norm records the norm before clipping: with no clipping, what SGD saw
    assert len(history.grad_norm) == len(history.step_loss) == 4
    assert min(history.grad_norm) > 10
    if clip_norm is None:
        assert history.grad_norm == pytest.approx(optimizer.norms, rel=1e-5)
        assert min(optimizer.norms) > 10
    else:
        assert max(optimizer.norms) <= clip_norm * (1 + 1e-5)


def test_fit_stops_when_max_seconds_run_out():
    seed_everything(0)
    model = CharRNN(4, 8)

    def slow_loss(model, batch):
        time.sleep(0.05)
        return lm_loss(model, batch)

    batches = repeating_lm_batches(num_batches=20)  # 20 batches of >= 0.05 s: >= 1 s per epoch
    start = time.perf_counter()
    history = fit(
        model,
        batches,
        num_epochs=50,
        loss_fn=slow_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        device=CPU,
        valid_loader=batches[:1],
        max_seconds=0.3,
        progress=False,
    )
    assert time.perf_counter() - start < 3.0  # not the >= 50 s that 50 epochs would take
    assert history.stopped_early
    assert len(history.train_loss) == len(history.valid_metric) == len(history.seconds) == 1
    assert 1 <= history.num_updates < 20  # a partial epoch is recorded
    assert history.seconds[0] >= 0.3


def test_a_tiny_lm_learns_a_repeating_pattern():
    seed_everything(0)
    model = CharRNN(4, 16, cell="lstm")
    batches = repeating_lm_batches(num_batches=2)
    history = fit(
        model,
        batches,
        num_epochs=12,
        loss_fn=lm_loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.1),
        device=CPU,
        valid_loader=batches,
        metric_fn=perplexity,
        progress=False,
    )
    assert history.train_loss[0] > 1.0  # about log(4) = 1.39 at the start
    assert history.train_loss[-1] < 0.01
    assert history.valid_metric[-1] < 1.01  # perplexity near 1: the next token is certain


def test_perplexity_of_a_uniform_model_is_vocab_size():
    model = CharRNN(7, 5, cell="gru")
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    batches = repeating_lm_batches(pattern=(0, 6, 3, 2, 5))
    assert perplexity(model, batches) == pytest.approx(7, abs=1e-4)


def test_evaluate_weights_batches_by_the_weight_loss_fn_returns():
    model = nn.Linear(1, 1)
    batches = [torch.full((1,), 1.0), torch.full((3,), 4.0)]

    def mean_with_count(model, batch):
        return batch.mean(), batch.numel()

    assert evaluate(model, batches, mean_with_count) == pytest.approx((1 + 3 * 4) / 4)
    assert evaluate(model, batches, lambda m, b: b.mean()) == pytest.approx((1 + 4) / 2)


def test_lm_loss_returns_the_mean_and_the_number_of_tokens():
    model = CharRNN(4, 3)
    X, Y = repeating_lm_batches()[0]
    loss, count = lm_loss(model, (X, Y))
    logits, _ = model(X)
    expected = nn.functional.cross_entropy(logits.reshape(-1, 4), Y.reshape(-1))
    assert count == X.numel() == 48
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)


def test_fit_default_metric_is_the_mean_validation_loss():
    seed_everything(0)
    model = CharRNN(4, 8)
    batches = repeating_lm_batches()
    history = fit(
        model,
        batches,
        num_epochs=2,
        loss_fn=lm_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        device=CPU,
        valid_loader=batches[:2],
        progress=False,
    )
    assert history.valid_metric[-1] == pytest.approx(evaluate(model, batches[:2], lm_loss))
    assert math.exp(history.valid_metric[-1]) == pytest.approx(perplexity(model, batches[:2]))


def test_fit_shows_a_progress_bar(capsys):
    model = CharRNN(4, 8)
    fit(
        model,
        repeating_lm_batches(),
        num_epochs=2,
        loss_fn=lm_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        device=CPU,
    )
    err = capsys.readouterr().err
    assert "epochs" in err and "2/2" in err and "loss=" in err


def test_fit_errors():
    model = CharRNN(4, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = repeating_lm_batches()
    common = dict(loss_fn=lm_loss, optimizer=opt, device=CPU, progress=False)
    with pytest.raises(ValueError, match="num_epochs must be >= 1, got 0"):
        fit(model, batches, num_epochs=0, **common)
    with pytest.raises(ValueError, match="clip_norm must be > 0 or None, got 0"):
        fit(model, batches, num_epochs=1, clip_norm=0, **common)
    with pytest.raises(ValueError, match="max_seconds must be > 0 or None, got -1"):
        fit(model, batches, num_epochs=1, max_seconds=-1, **common)
    with pytest.raises(ValueError, match="metric_fn needs a valid_loader"):
        fit(model, batches, num_epochs=1, metric_fn=perplexity, **common)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, [], num_epochs=1, **common)
    common["loss_fn"] = lambda m, b: m(b[0])[0]  # logits, not a scalar
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar tensor .*got \(8, 6, 4\)"):
        fit(model, batches, num_epochs=1, **common)


def test_fit_weighs_the_epoch_loss_exactly_as_a_python_float_sum():
    """On the CPU the mean training loss is the plain Python-float weighted mean of the batch
    losses, to the bit (stored notebook outputs print it), for int, float and tensor weights."""
    seed_everything(0)
    model = CharRNN(4, 8)
    weights = [3, 0.1, torch.tensor(7), 2]
    seen = []  # (loss, weight) of every batch, as Python floats

    def weighted_loss(model, batch):
        loss, _ = lm_loss(model, batch)
        weight = weights[len(seen) % len(weights)]
        seen.append((float(loss.detach()), float(weight)))
        return loss, weight

    history = fit(
        model,
        repeating_lm_batches(),
        num_epochs=3,
        loss_fn=weighted_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        device=CPU,
        progress=False,
    )
    expected = []
    for epoch in range(3):
        total = weight_sum = 0.0
        for loss, weight in seen[4 * epoch : 4 * epoch + 4]:
            total += loss * weight
            weight_sum += weight
        expected.append(total / weight_sum)
    assert history.train_loss == expected
    assert len(set(expected)) == 3  # the losses changed, so equality above means something


def test_running_sum_off_the_cpu_adds_the_same_doubles():
    """For a GPU the sum stays a float64 tensor, read once; it equals the CPU's float sum to the
    bit. Only the device named picks the path, so it runs here on CPU tensors."""
    torch.manual_seed(0)
    losses = torch.rand(200) * 3  # float32, like losses
    weights = (torch.randint(1, 1000, (200,)) / 7).double()  # inexact products and sums
    on_cpu, off_cpu, weight_sum = RunningSum("cpu"), RunningSum("cuda"), RunningSum("cuda")
    expected = expected_weight = 0.0
    for loss, weight in zip(losses, weights, strict=True):
        expected += float(loss) * float(weight)
        expected_weight += float(weight)
        on_cpu.add(loss, float(weight))
        off_cpu.add(loss, weight)
        weight_sum.add(weight)
    assert isinstance(off_cpu.total, torch.Tensor) and off_cpu.total.dtype == torch.float64
    assert float(off_cpu) == float(on_cpu) == expected
    assert float(weight_sum) == expected_weight


def seq2seq_loss(model, batch):
    """Masked cross-entropy of a copy task without source lengths, weighted by its tokens."""
    src, tgt_len = batch
    logits, _ = model(src, src)
    return masked_cross_entropy(logits, src, tgt_len), tgt_len.sum()


def lm_setup():
    model = CharRNN(4, 8, cell="lstm")
    return model, repeating_lm_batches(num_batches=3), lm_loss


def task_setup():
    task = first_token_task(48, 6, seed=0)
    return SequenceModel(task.num_inputs, 8, task.num_outputs), task.loader(16), task_loss


def seq2seq_setup():
    model = EncoderDecoder(Seq2SeqEncoder(6, 4, 8), Seq2SeqDecoder(6, 4, 8))
    src = torch.randint(0, 6, (3, 4, 5))
    return model, [(s, torch.tensor([5, 3, 4, 1])) for s in src], seq2seq_loss


@pytest.mark.parametrize("setup", [lm_setup, task_setup, seq2seq_setup])
def test_fit_reads_nothing_back_from_the_device_until_the_epoch_ends(setup):
    """On the "meta" device tensors have shapes but no values, so any read raises: a stand-in
    for a GPU, where a read makes the CPU wait. Every batch (checks, forward, loss, backward,
    clipping, Adam) runs before the first read, the epoch's mean loss."""
    torch.manual_seed(0)
    model, batches, loss_fn = setup()
    calls = []

    def counted(model, batch):
        calls.append(1)
        return loss_fn(model, batch)

    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    with pytest.raises(RuntimeError, match="meta tensor"):
        fit(
            model,
            batches,
            num_epochs=1,
            loss_fn=counted,
            optimizer=optimizer,
            device="meta",
            progress=False,
        )
    assert len(calls) == len(batches) == 3


def test_fit_rejects_a_weight_that_is_not_a_scalar():
    model = CharRNN(4, 8)
    with pytest.raises(ValueError, match=r"weight must be a number or a scalar tensor, got \(2,\)"):
        fit(
            model,
            repeating_lm_batches(),
            num_epochs=1,
            loss_fn=lambda m, b: (lm_loss(m, b)[0], torch.ones(2)),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            device=CPU,
            progress=False,
        )


def test_history_starts_empty():
    assert History() == History([], [], [], 0, False)


def carried_setup():
    """A tiny GRU LM, its optimizer and 3 sequential batches of 2 rows x 4 steps."""
    seed_everything(0)
    model = CharRNN(5, 6, cell="gru")
    ids = torch.randint(0, 5, (2 * 3 * 4 + 1,), generator=torch.Generator().manual_seed(1))
    return model, torch.optim.SGD(model.parameters(), lr=0.5), char_batches(ids, 2, 4)


def test_carried_state_training_equals_manual_unrolling():
    """fit with CarriedStateLoss = the loop written out: forward from the last batch's state,
    detached, backward through this batch only, step. Exact on the CPU."""
    model, optimizer, loader = carried_setup()
    history = fit(
        model,
        loader,
        num_epochs=1,
        loss_fn=CarriedStateLoss(),
        optimizer=optimizer,
        device=CPU,
        clip_norm=None,
        progress=False,
    )
    manual, manual_optimizer, batches = carried_setup()
    state, losses = None, []
    for X, Y in batches:
        logits, state = manual(X, state)  # the state the last batch ended in
        loss = nn.functional.cross_entropy(logits.reshape(-1, 5), Y.reshape(-1))
        manual_optimizer.zero_grad()
        loss.backward()
        manual_optimizer.step()
        state = state.detach()
        losses.append(loss.item())
    assert history.step_loss == losses
    for got, expected in zip(model.parameters(), manual.parameters(), strict=True):
        assert torch.equal(got, expected)


def test_carried_state_evaluation_equals_reading_each_row_in_one_pass():
    """With the state carried, three windows of 4 steps read like one window of 12."""
    model, _, loader = carried_setup()
    carried = evaluate(model, loader, CarriedStateLoss(), CPU)
    X = torch.cat([x for x, _ in loader], dim=1)  # (2, 12): each row, read in one go
    Y = torch.cat([y for _, y in loader], dim=1)
    with torch.no_grad():
        logits, _ = model(X)
        whole = nn.functional.cross_entropy(logits.reshape(-1, 5), Y.reshape(-1)).item()
    assert carried == pytest.approx(whole, rel=1e-6)
    assert carried != pytest.approx(evaluate(model, loader, lm_loss, CPU), rel=1e-3)


def test_carried_state_loss_resets_and_detaches():
    model, _, loader = carried_setup()
    loss_fn = CarriedStateLoss()
    X, Y = next(iter(loader))
    loss_fn(model, (X, Y))
    assert loss_fn.state is not None and loss_fn.state.grad_fn is None
    loss_fn.reset()
    assert loss_fn.state is None
    (h, c) = detach_state((torch.ones(1, requires_grad=True) * 2, torch.ones(1)))
    assert h.grad_fn is None and float(h) == 2.0


def test_graph_size_grows_with_the_window_unless_the_state_is_detached():
    model, _, loader = carried_setup()
    (X, _), (X2, _) = list(loader)[:2]
    one, state = model(X)
    two, _ = model(X2, state)  # still attached to the first window's graph
    cut, _ = model(X2, detach_state(state))
    assert graph_size(torch.ones(1)) == 0
    assert graph_size(one.sum()) < graph_size(two.sum())
    assert graph_size(cut.sum()) == graph_size(one.sum())


def test_context_curve_predicts_the_same_targets_from_k_tokens_each():
    model, _, _ = carried_setup()
    ids = torch.randint(0, 5, (40,), generator=torch.Generator().manual_seed(2))
    targets = torch.tensor([8, 20, 39])
    curve = context_curve(model, ids, targets, [1, 8])
    with torch.no_grad():
        for k, got in zip([1, 8], curve, strict=True):
            losses = [
                nn.functional.cross_entropy(model(ids[t - k : t][None])[0][0, -1], ids[t]).item()
                for t in targets.tolist()
            ]
            assert got == pytest.approx(math.exp(sum(losses) / 3), rel=1e-5)
    assert model.training  # restored


@pytest.mark.parametrize("cell", ["gru", "lstm"])  # a state tensor, and the tuple (h, c)
def test_context_curve_after_a_warmup_reads_the_k_tokens_from_the_warmed_state(cell):
    seed_everything(0)
    model = CharRNN(5, 6, cell=cell)
    ids = torch.randint(0, 5, (40,), generator=torch.Generator().manual_seed(2))
    warmup = torch.tensor([3, 1, 4, 1, 2])
    targets = torch.tensor([8, 20, 39])
    curve = context_curve(model, ids, targets, [1, 8], warmup=warmup)
    with torch.no_grad():
        for k, got in zip([1, 8], curve, strict=True):
            losses = [  # the warm-up and the k tokens read as one sequence
                nn.functional.cross_entropy(
                    model(torch.cat([warmup, ids[t - k : t]])[None])[0][0, -1], ids[t]
                ).item()
                for t in targets.tolist()
            ]
            assert got == pytest.approx(math.exp(sum(losses) / 3), rel=1e-5)
    assert curve != context_curve(model, ids, targets, [1, 8])  # zeros are another start
    with pytest.raises(ValueError, match="warmup"):
        context_curve(model, ids, targets, [1], warmup=torch.zeros(0, dtype=torch.long))


def test_context_curve_errors():
    model, _, _ = carried_setup()
    ids = torch.zeros(30, dtype=torch.long)
    with pytest.raises(
        ValueError,
        match=r"targets must be positions in \[max\(context_lengths\)=8, len\(ids\)=30\), got 1 positions in \[5, 5\]",
    ):
        context_curve(model, ids, torch.tensor([5]), [1, 8])
    with pytest.raises(ValueError, match="context_lengths must not be empty"):
        context_curve(model, ids, torch.tensor([10]), [])
