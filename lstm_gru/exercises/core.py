"""What every exercise shares: run a student's answer against the reference, explain the first
difference found, name a typical mistake when the answer matches one, and give hints.

``CodeExercise.check(answer)`` runs ``answer`` on fixed and random cases and compares each
output with the reference's: type, shape, NaN, then values, naming the output, the position
(e.g. batch row and unit) and the size of the largest difference. When a wrong answer equals
one of the exercise's typical mistakes on every case, the feedback says which one. No
exception from the student's function escapes ``check``: it becomes feedback.

``OpenQuestion`` is an exercise with nothing to check (an experiment to run, a result to
explain): it stays prose in the chapter, with hints and a short model answer.
"""

import inspect
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["Case", "CodeExercise", "NumberExercise", "OpenQuestion"]


@dataclass
class Case:
    """One test input: ``args`` for the function, ``label`` saying what the case is."""

    label: str
    args: tuple


def _clone(value):
    """A copy of the case's arguments, so an answer that writes into them harms nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _describe_position(index: tuple[int, ...], dims: Sequence[str]) -> str:
    return ", ".join(f"{name} {i}" for name, i in zip(dims, index, strict=False)) or "the value"


def compare(got, expected, names: Sequence[str], dims: Sequence[str], atol: float) -> str | None:
    """None if ``got`` matches ``expected`` (a tensor, a number, or a tuple of them), else a
    sentence about the first difference: which output, what kind, where, by how much."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            want = "(" + ", ".join(names) + ")"
            got_kind = f"a {type(got).__name__}" + (
                f" of {len(got)}" if isinstance(got, (tuple, list)) else ""
            )
            return f"expected a tuple {want} of {len(expected)} values, got {got_kind}"
        for g, e, name in zip(got, expected, names, strict=True):
            problem = compare(g, e, [name], dims, atol)
            if problem is not None:
                return problem
        return None
    name = names[0]
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"{name}: expected a torch.Tensor, got {type(got).__name__}"
        if tuple(got.shape) != tuple(expected.shape):
            return f"{name}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
        got = got.detach().double()
        expected = expected.detach().double()
        if torch.isnan(got).any():
            where = tuple(torch.nonzero(torch.isnan(got))[0].tolist())
            return f"{name} is NaN at {_describe_position(where, dims)}"
        diff = (got - expected).abs()
        if diff.dim() == 0 and diff > atol:
            return f"{name}: expected {expected.item():.4f}, got {got.item():.4f}"
        if diff.numel() and diff.max() > atol:
            where = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
            return (
                f"{name} differs at {_describe_position(where, dims)}: expected "
                f"{expected[where].item():.4f}, got {got[where].item():.4f} "
                f"(largest difference {diff.max().item():.2g})"
            )
        return None
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return f"{name}: expected a number, got {type(got).__name__}"
    if math.isnan(got):
        return f"{name} is NaN"
    if abs(got - expected) > atol * max(1.0, abs(expected)):
        return f"{name}: expected {expected:.4f}, got {got:.4f}"
    return None


class _Hints:
    """Hints given one level at a time: each ``hint()`` shows the next, ``hint(k)`` level k."""

    def __init__(self, hints: Sequence[str]):
        self.hints = list(hints)
        self.shown = 0

    def hint(self, level: int | None = None) -> None:
        if level is None:
            level = min(self.shown + 1, len(self.hints))
        if not 1 <= level <= len(self.hints):
            raise ValueError(f"level must be in [1, {len(self.hints)}], got {level}")
        self.shown = max(self.shown, level)
        print(f"Hint {level} of {len(self.hints)}: {self.hints[level - 1]}")


class CodeExercise(_Hints):
    """An exercise whose answer is a function.

    ``reference``: the model solution; ``cases()``: the inputs it is checked on, a list of
    ``Case`` (seeded: the same every time); ``names``: one per output (e.g. ("h", "c"));
    ``dims``: names of a tensor output's dimensions (e.g. ("batch row", "unit")), used to say
    where a difference is; ``mistakes``: ``{description: function}`` typical wrong versions,
    named when an answer equals one of them; ``atol``: the tolerance; ``convert``: applied to
    both results before comparing (e.g. a list of tensors stacked into one, so a difference
    can be located).
    """

    def __init__(
        self,
        name: str,
        reference: Callable,
        cases: Callable[[], list[Case]],
        *,
        names: Sequence[str],
        dims: Sequence[str] = (),
        hints: Sequence[str] = (),
        mistakes: dict[str, Callable] | None = None,
        atol: float = 1e-5,
        convert: Callable | None = None,
    ):
        super().__init__(hints)
        self.name, self.reference, self.cases = name, reference, cases
        self.names, self.dims, self.atol = list(names), list(dims), atol
        self.mistakes = dict(mistakes or {})
        self.convert = convert

    def _run(self, function, case: Case):
        """(output, None) or (None, the exception's message), ``convert`` applied."""
        try:
            with torch.no_grad():
                result = function(*_clone(case.args))
        except Exception as error:  # the student's error becomes feedback
            return None, f"your function raised {type(error).__name__}: {error}"
        if self.convert is None:
            return result, None
        try:
            return self.convert(result), None
        except Exception as error:
            return None, f"could not read your result ({type(error).__name__}: {error})"

    def _named_mistake(self, answer) -> str | None:
        """The typical mistake the answer equals on every case, if any."""
        cases = self.cases()
        for description, wrong in self.mistakes.items():
            matches = True
            for case in cases:
                got, error = self._run(answer, case)
                expected, _ = self._run(wrong, case)
                if error or compare(got, expected, self.names, self.dims, self.atol) is not None:
                    matches = False
                    break
            if matches:
                return description
        return None

    def check(self, answer) -> bool:
        """Run ``answer`` on every case; print what is wrong (or that it is right); return
        True when it matches the reference on all cases."""
        if not callable(answer):
            print(f"✘ {self.name}: expected a function, got {type(answer).__name__}")
            return False
        cases = self.cases()
        for case in cases:
            expected, _ = self._run(self.reference, case)
            got, error = self._run(answer, case)
            if error is not None:
                print(f"✘ {self.name}, {case.label}: {error}")
                return False
            problem = compare(got, expected, self.names, self.dims, self.atol)
            if problem is not None:
                print(f"✘ {self.name}, {case.label}: {problem}")
                mistake = self._named_mistake(answer)
                if mistake is not None:
                    print(f"  Your function gives exactly what {mistake} gives.")
                return False
        labels = "; ".join(case.label for case in cases)
        print(f"✔ {self.name}: right on all {len(cases)} cases ({labels})")
        return True

    def solution(self) -> None:
        """Print the reference solution's code."""
        print(inspect.getsource(self.reference))


class NumberExercise(_Hints):
    """An exercise whose answer is a number: ``question`` (the text, also in the chapter);
    ``explain(answer)`` (optional) says why a wrong number is wrong; ``worked``: the model
    answer's working, printed by ``solution()``; ``atol``: how far off an answer may be."""

    def __init__(
        self,
        name: str,
        reference: float,
        *,
        question: str,
        worked: str,
        hints: Sequence[str] = (),
        explain: Callable[[float], str] | None = None,
        atol: float = 0.0,
    ):
        super().__init__(hints)
        self.name, self.reference, self.worked = name, reference, worked
        self.question = question
        self.explain, self.atol = explain, atol

    def check(self, answer) -> bool:
        """Print whether ``answer`` is right (and why not); return True when it is."""
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            print(f"✘ {self.name}: expected a number, got {type(answer).__name__}")
            return False
        if math.isnan(answer) or math.isinf(answer):
            print(f"✘ {self.name}: expected a finite number, got {answer}")
            return False
        if abs(answer - self.reference) > self.atol:
            detail = f" {self.explain(answer)}" if self.explain is not None else ""
            print(f"✘ {self.name}: {answer:.6g} is not right.{detail}")
            return False
        print(f"✔ {self.name}: {answer:.6g} is right.")
        return True

    def solution(self) -> None:
        """Print the model answer and its working."""
        print(f"{self.reference}: {self.worked}")


def _wrap(text: str, width: int) -> str:
    """``text`` with its paragraphs refilled to ``width``: a blank line ends a paragraph, a line
    starting with "- " starts a list item, and indented lines (code) are kept as written."""
    lines, paragraph = [], []

    def flush():
        if paragraph:
            indent = "  " if paragraph[0].startswith("- ") else ""
            lines.append(
                textwrap.fill(
                    " ".join(paragraph),
                    width,
                    subsequent_indent=indent,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
            paragraph.clear()

    for line in text.splitlines():
        if not line.strip() or line.startswith("    "):
            flush()
            lines.append(line.rstrip())
        else:
            if line.startswith("- "):
                flush()
            paragraph.append(line.strip())
    flush()
    return "\n".join(lines)


class OpenQuestion(_Hints):
    """An exercise that is an open question (an experiment to run, a result to explain): it
    stays prose in the chapter and has nothing to check. ``title``: its bold title there;
    ``hints``: one per level; ``answer``: the model answer, kept in ``.answer`` and printed by
    ``solution()`` (paragraphs refilled to ``width``, indented code lines as written)."""

    width = 88

    def __init__(self, title: str, hints: Sequence[str], answer: str):
        super().__init__(hints)
        self.title = title
        self.answer = inspect.cleandoc(answer)

    def solution(self) -> None:
        """Print the title, then the model answer."""
        print(f"Model answer: {self.title}\n\n{_wrap(self.answer, self.width)}")
