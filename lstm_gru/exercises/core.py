"""What every exercise shares: run a student's answer against the reference, explain the first
difference found, name a typical mistake when the answer matches one, and give hints.

``CodeExercise.check(answer)`` runs ``answer`` on fixed and random cases and compares each
output with the reference's: type, shape, NaN, then values, naming the output, the position
(e.g. batch row and unit) and the size of the largest difference; each output of a tuple
gets its own verdict ("h differs at ...; c: right"). When a wrong answer equals one of the
exercise's typical mistakes on every case, the feedback says which one. An answer that
returns nothing (a body still ``...``, as ``make student`` leaves it) is "not written yet".
No exception from the student's function escapes ``check``: it becomes feedback.

``OpenQuestion`` is an exercise with nothing to check (an experiment to run, a result to
explain): it stays prose in the chapter, with hints and a short model answer.
"""

import inspect
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from lstm_gru.i18n import tr

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
    where = [
        tr("{dim} {index}").format(dim=tr(name), index=i)
        for name, i in zip(dims, index, strict=False)
    ]
    return tr(", ").join(where) or tr("the value")


def compare(got, expected, names: Sequence[str], dims: Sequence[str], atol: float) -> str | None:
    """None if ``got`` matches ``expected`` (a tensor, a number, or a tuple of them), else a
    sentence about the first difference: which output, what kind, where, by how much (for a
    tuple, one such sentence per wrong output, and "right" for the others)."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            want = "(" + ", ".join(tr(name) for name in names) + ")"
            if isinstance(got, (tuple, list)):
                return tr(
                    "expected a tuple {want} of {count} values, got a {kind} of {got_count}"
                ).format(
                    want=want, count=len(expected), kind=type(got).__name__, got_count=len(got)
                )
            return tr("expected a tuple {want} of {count} values, got a {kind}").format(
                want=want, count=len(expected), kind=type(got).__name__
            )
        problems = [
            compare(g, e, [name], dims, atol)
            for g, e, name in zip(got, expected, names, strict=True)
        ]
        if all(problem is None for problem in problems):
            return None
        return tr("; ").join(  # every output's status: "h differs at ...; c: right"
            tr("{name}: right").format(name=tr(name)) if problem is None else problem
            for problem, name in zip(problems, names, strict=True)
        )
    name = tr(names[0])
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return tr("{name}: expected a torch.Tensor, got {kind}").format(
                name=name, kind=type(got).__name__
            )
        if tuple(got.shape) != tuple(expected.shape):
            return tr("{name}: expected shape {expected}, got {got}").format(
                name=name, expected=tuple(expected.shape), got=tuple(got.shape)
            )
        got = got.detach().double()
        expected = expected.detach().double()
        if torch.isnan(got).any():
            where = tuple(torch.nonzero(torch.isnan(got))[0].tolist())
            return tr("{name} is NaN at {where}").format(
                name=name, where=_describe_position(where, dims)
            )
        diff = (got - expected).abs()
        if diff.dim() == 0 and diff > atol:
            return tr("{name}: expected {expected:.4f}, got {got:.4f}").format(
                name=name, expected=expected.item(), got=got.item()
            )
        if diff.numel() and diff.max() > atol:
            where = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
            return tr(
                "{name} differs at {where}: expected {expected:.4f}, got {got:.4f} "
                "(largest difference {diff:.2g})"
            ).format(
                name=name,
                where=_describe_position(where, dims),
                expected=expected[where].item(),
                got=got[where].item(),
                diff=diff.max().item(),
            )
        return None
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return tr("{name}: expected a number, got {kind}").format(
            name=name, kind=type(got).__name__
        )
    if math.isnan(got):
        return tr("{name} is NaN").format(name=name)
    if abs(got - expected) > atol * max(1.0, abs(expected)):
        return tr("{name}: expected {expected:.4f}, got {got:.4f}").format(
            name=name, expected=expected, got=got
        )
    return None


class _Hints:
    """Hints given one level at a time: each ``hint()`` shows the next, ``hint(k)`` level k.
    The hints are English (marked with ``lstm_gru.i18n.later.tr``), translated when shown."""

    def __init__(self, hints: Sequence[str]):
        self.hints = list(hints)
        self.shown = 0

    def hint(self, level: int | None = None) -> None:
        if level is None:
            level = min(self.shown + 1, len(self.hints))
        if not 1 <= level <= len(self.hints):
            raise ValueError(f"level must be in [1, {len(self.hints)}], got {level}")
        self.shown = max(self.shown, level)
        print(
            tr("Hint {level} of {count}: {hint}").format(
                level=level, count=len(self.hints), hint=tr(self.hints[level - 1])
            )
        )


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
            return None, tr("your function raised {kind}: {error}").format(
                kind=type(error).__name__, error=error
            )
        if result is None or result is Ellipsis:  # a body still `...  # your code`
            return None, tr(
                "not written yet: your function returns nothing (is its body still `...`, or is "
                "its return missing?)"
            )
        if self.convert is None:
            return result, None
        try:
            return self.convert(result), None
        except Exception as error:
            return None, tr("could not read your result ({kind}: {error})").format(
                kind=type(error).__name__, error=error
            )

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
            print(
                tr("✘ {name}: expected a function, got {kind}").format(
                    name=self.name, kind=type(answer).__name__
                )
            )
            return False
        cases = self.cases()
        for case in cases:
            expected, _ = self._run(self.reference, case)
            got, error = self._run(answer, case)
            if error is not None:
                print(
                    tr("✘ {name}, {case}: {problem}").format(
                        name=self.name, case=tr(case.label), problem=error
                    )
                )
                return False
            problem = compare(got, expected, self.names, self.dims, self.atol)
            if problem is not None:
                print(
                    tr("✘ {name}, {case}: {problem}").format(
                        name=self.name, case=tr(case.label), problem=problem
                    )
                )
                mistake = self._named_mistake(answer)
                if mistake is not None:
                    print(
                        tr("  Your function gives exactly what {mistake} gives.").format(
                            mistake=tr(mistake)
                        )
                    )
                return False
        labels = tr("; ").join(tr(case.label) for case in cases)
        print(
            tr("✔ {name}: right on all {count} cases ({labels})").format(
                name=self.name, count=len(cases), labels=labels
            )
        )
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
        if answer is None or answer is Ellipsis:  # still `...  # your code`
            print(
                tr("✘ {name}: not written yet: replace the `...` with your answer").format(
                    name=self.name
                )
            )
            return False
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            print(
                tr("✘ {name}: expected a number, got {kind}").format(
                    name=self.name, kind=type(answer).__name__
                )
            )
            return False
        if math.isnan(answer) or math.isinf(answer):
            print(
                tr("✘ {name}: expected a finite number, got {answer}").format(
                    name=self.name, answer=answer
                )
            )
            return False
        if abs(answer - self.reference) > self.atol:
            detail = f" {tr(self.explain(answer))}" if self.explain is not None else ""
            print(
                tr("✘ {name}: {answer:.6g} is not right.{detail}").format(
                    name=self.name, answer=answer, detail=detail
                )
            )
            return False
        print(tr("✔ {name}: {answer:.6g} is right.").format(name=self.name, answer=answer))
        return True

    def solution(self) -> None:
        """Print the model answer and its working."""
        print(f"{self.reference}: {tr(self.worked)}")


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
        self._source = answer  # the literal, as the catalogue knows it

    def solution(self) -> None:
        """Print the title, then the model answer (a translation is printed as written: its
        paragraphs are not refilled, as Chinese has no spaces to break lines at)."""
        answer = tr(self._source)
        text = (
            _wrap(self.answer, self.width) if answer == self._source else inspect.cleandoc(answer)
        )
        print(tr("Model answer: {title}\n\n{answer}").format(title=tr(self.title), answer=text))
