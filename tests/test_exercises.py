"""Self-checking exercises: references pass, typical mistakes are named, nothing escapes."""

import importlib
import json
import math
import re
from pathlib import Path

import pytest
import torch

from lstm_gru.exercises import ch02, ch03, ch04, ch07
from lstm_gru.exercises.core import CodeExercise, NumberExercise, OpenQuestion

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {  # "ch02" -> the chapter module, for every chapter notebook after 00
    f"ch{path.name[:2]}": importlib.import_module(f"lstm_gru.exercises.ch{path.name[:2]}")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not path.name.startswith("00")
}
EXERCISES = [getattr(module, name) for module in CHAPTERS.values() for name in module.__all__]
CODE_EXERCISES = [e for e in EXERCISES if isinstance(e, CodeExercise)]
NUMBER_EXERCISES = [e for e in EXERCISES if isinstance(e, NumberExercise)]
OPEN_QUESTIONS = [e for e in EXERCISES if isinstance(e, OpenQuestion)]


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_chapter_has_at_least_three_checkable_exercises(chapter):
    module = CHAPTERS[chapter]
    checkable = [
        name
        for name in module.__all__
        if isinstance(getattr(module, name), (CodeExercise, NumberExercise))
    ]
    assert len(checkable) >= 3
    for name in checkable:
        exercise = getattr(module, name)
        assert exercise.name == f"{chapter}.{name}"
        assert exercise.hints, f"{exercise.name} has no hint"
    for name in module.__all__:  # everything public is an exercise of one of the three kinds
        assert isinstance(getattr(module, name), (CodeExercise, NumberExercise, OpenQuestion))


def exercises_cell(chapter: str) -> str:
    """The "## Exercises" markdown cell of the chapter's notebook ("" if it has none)."""
    (path,) = (ROOT / "notebooks").glob(f"{chapter[2:]}_*.ipynb")
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.startswith("## Exercises"):
            return text
    return ""


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_open_questions_cover_the_chapters_prose_exercises_in_order(chapter):
    cell = exercises_cell(chapter)
    numbered = re.findall(r"(?m)^(\d+)\. ", cell)  # every numbered item of the cell
    titled = re.findall(r"(?m)^\d+\. \*\*(.+?)\*\*", cell)  # its bold title
    questions = getattr(CHAPTERS[chapter], "open_questions", ())
    assert numbered == [str(i) for i in range(1, len(numbered) + 1)]
    assert len(titled) == len(numbered), "every numbered exercise has a bold title"
    assert len(questions) == len(numbered)
    for question, title in zip(questions, titled, strict=True):
        assert isinstance(question, OpenQuestion)
        assert title.rstrip(".") == question.title  # "**Half open.**" or "**Which gate matters?**"
        assert f"**{question.title}" in cell


def test_the_four_chapters_with_prose_exercises_have_their_open_questions():
    counts = {c: len(getattr(m, "open_questions", ())) for c, m in CHAPTERS.items()}
    assert {c: n for c, n in counts.items() if n} == {"ch01": 5, "ch02": 5, "ch03": 5, "ch07": 5}


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_open_question_is_public_and_listed_once(chapter):
    module = CHAPTERS[chapter]
    named = {name: v for name, v in vars(module).items() if isinstance(v, OpenQuestion)}
    assert set(named) <= set(module.__all__)
    listed = getattr(module, "open_questions", ())
    assert sorted(map(id, listed)) == sorted(map(id, named.values()))  # each once, none missing
    for name in named:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)


@pytest.mark.parametrize("question", OPEN_QUESTIONS, ids=lambda q: q.title)
def test_every_open_question_prints_its_title_answer_and_hints(question, capsys):
    assert 1 <= len(question.hints) <= 2
    assert question.answer.lstrip("\n") == question.answer == question.answer.rstrip()
    question.solution()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"Model answer: {question.title}"
    assert " ".join(question.answer.split()) in " ".join(out.split())  # all of it, refilled
    prose = [line for line in lines if line and not line.startswith("    ")]
    assert all(len(line) <= question.width for line in prose)
    assert 4 <= len([line for line in lines[1:] if line.strip()]) <= 20  # short, not a stub
    for level in range(1, len(question.hints) + 1):
        question.hint(level)
        assert capsys.readouterr().out == (
            f"Hint {level} of {len(question.hints)}: {question.hints[level - 1]}\n"
        )


def test_open_question_refills_prose_keeps_code_and_gives_hints_in_turn(capsys):
    question = OpenQuestion(
        "Demo?",
        ("first", "second"),
        """
        One paragraph written
        over three short
        lines.

            keep(this,  as_written)  # code
        - a list item long enough to wrap
        - another
        """,
    )
    assert question.answer.startswith("One paragraph written\nover")  # the text, dedented
    question.width = 24
    question.solution()
    assert capsys.readouterr().out.splitlines() == [
        "Model answer: Demo?",
        "",
        "One paragraph written",
        "over three short lines.",
        "",
        "    keep(this,  as_written)  # code",
        "- a list item long",
        "  enough to wrap",
        "- another",
    ]
    question.hint()
    question.hint()
    question.hint()  # stays at the last
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: first",
        "Hint 2 of 2: second",
        "Hint 2 of 2: second",
    ]
    with pytest.raises(ValueError, match=r"level must be in \[1, 2\], got 0"):
        question.hint(0)


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
