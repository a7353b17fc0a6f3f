"""Self-checking exercises: references pass, typical mistakes are named, nothing escapes."""

import importlib
import math
from pathlib import Path

import pytest
import torch

from lstm_gru.exercises import ch02, ch03, ch04, ch07
from lstm_gru.exercises.core import CodeExercise, NumberExercise

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {  # "ch02" -> the chapter module, for every chapter notebook after 00
    f"ch{path.name[:2]}": importlib.import_module(f"lstm_gru.exercises.ch{path.name[:2]}")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not path.name.startswith("00")
}
EXERCISES = [getattr(module, name) for module in CHAPTERS.values() for name in module.__all__]
CODE_EXERCISES = [e for e in EXERCISES if isinstance(e, CodeExercise)]
NUMBER_EXERCISES = [e for e in EXERCISES if isinstance(e, NumberExercise)]


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_chapter_has_at_least_three_checkable_exercises(chapter):
    module = CHAPTERS[chapter]
    assert len(module.__all__) >= 3
    for name in module.__all__:
        exercise = getattr(module, name)
        assert exercise.name == f"{chapter}.{name}"
        assert exercise.hints, f"{exercise.name} has no hint"


@pytest.mark.parametrize("exercise", NUMBER_EXERCISES, ids=lambda e: e.name)
def test_every_number_exercise_accepts_its_answer_and_rejects_another(exercise, capsys):
    assert exercise.check(exercise.reference) is True
    assert exercise.check(exercise.reference + 1) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {exercise.name}") and f"✘ {exercise.name}" in out
    assert exercise.question.endswith("?")


@pytest.mark.parametrize("exercise", CODE_EXERCISES, ids=lambda e: e.name)
def test_every_reference_passes_its_own_check(exercise, capsys):
    assert exercise.check(exercise.reference) is True
    assert capsys.readouterr().out.startswith(f"✔ {exercise.name}: right on all")


@pytest.mark.parametrize(
    ("exercise", "description"),
    [(e, d) for e in CODE_EXERCISES for d in e.mistakes],
    ids=lambda x: x.name if isinstance(x, CodeExercise) else x[:30],
)
def test_each_typical_mistake_is_rejected_and_named(exercise, description, capsys):
    assert exercise.check(exercise.mistakes[description]) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {exercise.name}, ")
    assert f"Your function gives exactly what {description} gives." in out


def test_feedback_names_the_output_the_position_and_the_size(capsys):
    def half_cell(x, h, c, W_x, W_h, b):
        h_new, c_new = ch02.lstm_step.reference(x, h, c, W_x, W_h, b)
        return h_new, c_new * 0.5

    assert not ch02.lstm_step.check(half_cell)
    out = capsys.readouterr().out
    assert "✘ ch02.lstm_step, batch 1, one unit: c differs at batch row 0, unit 0: expected" in out
    assert "largest difference" in out and "Your function gives exactly" not in out


def test_wrong_shape_type_nan_and_exceptions_are_feedback_not_tracebacks(capsys):
    def transposed(x, h, W_x, W_h, b_x, b_h, reset_after):
        return ch03.gru_step.reference(x, h, W_x, W_h, b_x, b_h, reset_after).T

    cases = [
        (transposed, "h: expected shape (1, 2), got (2, 1)"),
        (lambda *args: [0.0], "h: expected a torch.Tensor, got list"),
        (lambda *args: None, "h: expected a torch.Tensor, got NoneType"),
        (lambda x, h, *rest: h * math.nan, "h is NaN at batch row 0, unit 0"),
        (lambda *args: torch.zeros(3).view(7), "your function raised RuntimeError"),
        (lambda x: x, "your function raised TypeError"),
    ]
    for answer, message in cases:
        assert ch03.gru_step.check(answer) is False
        assert message in capsys.readouterr().out
    assert ch02.lstm_step.check(lambda *args: args[1]) is False  # one tensor, not (h, c)
    assert "expected a tuple (h, c) of 2 values, got a Tensor" in capsys.readouterr().out
    assert ch02.lstm_step.check("lstm_step") is False
    assert "expected a function, got str" in capsys.readouterr().out


def test_an_answer_that_writes_into_its_inputs_does_not_corrupt_the_cases(capsys):
    def in_place(logits, targets, valid_len):
        logits.zero_()
        valid_len.fill_(1)
        return torch.tensor(0.0)

    assert ch07.masked_loss.check(in_place) is False
    assert ch07.masked_loss.check(ch07.masked_loss.reference) is True


def test_checks_are_deterministic(capsys):
    ch03.gru_step.check(lambda *args: ch03.gru_step.reference(*args) + 0.01)
    first = capsys.readouterr().out
    ch03.gru_step.check(lambda *args: ch03.gru_step.reference(*args) + 0.01)
    assert capsys.readouterr().out == first


def test_gru_step_reference_equals_nn_gru():
    gru = torch.nn.GRU(3, 4)
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    with torch.no_grad():
        _, expected = gru(x[None], h[None])
        got = ch03.gru_step.reference(
            x, h, gru.weight_ih_l0.T, gru.weight_hh_l0.T, gru.bias_ih_l0, gru.bias_hh_l0, True
        )
    assert (got - expected[0]).abs().max() < 1e-6


def test_number_exercise(capsys):
    exercise = ch04.equal_params_hidden
    gru = torch.nn.GRU(64, exercise.reference)
    lstm = torch.nn.LSTM(64, 128)
    count = sum(p.numel() for p in gru.parameters())
    assert count == ch04.gru_params(64, exercise.reference)
    assert ch04.TARGET == sum(p.numel() for p in lstm.parameters()) == 99_328
    for other in (exercise.reference - 1, exercise.reference + 1):  # the closest count
        assert abs(ch04.gru_params(64, other) - ch04.TARGET) > abs(count - ch04.TARGET)
    assert exercise.check(152) is True
    assert exercise.check(171) is False
    out = capsys.readouterr().out
    assert "nn.GRU(64, 171) has 121,581 parameters, +22,253 from the LSTM's 99,328" in out
    assert "grows with the square" in out
    assert exercise.check("152") is False and exercise.check(math.nan) is False
    assert exercise.check(151.5) is False
    assert "whole number" in capsys.readouterr().out.splitlines()[-1]


def test_hints_come_one_level_at_a_time_and_solutions_print(capsys):
    exercise = CodeExercise(
        "demo",
        ch07.length_normalised_score.reference,
        lambda: [],
        names=("x",),
        hints=("one", "two"),
    )
    exercise.hint()
    exercise.hint()
    exercise.hint()  # stays at the last
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: one",
        "Hint 2 of 2: two",
        "Hint 2 of 2: two",
    ]
    with pytest.raises(ValueError, match=r"level must be in \[1, 2\], got 3"):
        exercise.hint(3)
    ch07.masked_loss.solution()
    assert "def masked_loss_reference(logits, targets, valid_len):" in capsys.readouterr().out
    ch04.equal_params_hidden.solution()
    assert capsys.readouterr().out.startswith("152: nn.LSTM(64, 128) has")
