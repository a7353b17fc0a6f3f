"""The student version of the course: every exercise's model answer removed.

``python tools/student.py OUT_DIR NOTEBOOK...`` (``make student``) writes each notebook to
OUT_DIR with its exercise cells (tag ``exercise``) emptied: a function keeps its signature and
docstring and gets the body ``...  # your code``; an assignment keeps its name and gets the
value ``...  # your code``; imports and the ``.check(...)`` call stay, and the cells' outputs
are cleared. Run top to bottom, such a notebook gives feedback in every exercise cell (an empty
answer is wrong, not an error).
"""

import ast
import json
import sys
from pathlib import Path

EXERCISE_TAG = "exercise"
BLANK = "...  # your code"


def blank_answers(source: str) -> str:
    """The exercise cell ``source`` with function bodies and assigned values replaced."""
    lines = source.splitlines()
    replacements = []  # (first line index, last line index, new lines), 0-based, inclusive
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body
            has_doc = (
                isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
                and isinstance(body[0].value.value, str)
            )
            keep_until = body[0].end_lineno if has_doc else body[0].lineno - 1
            indent = " " * body[0].col_offset
            replacements.append((keep_until, node.end_lineno - 1, [indent + BLANK]))
        elif isinstance(node, ast.Assign):
            targets = " = ".join(ast.get_source_segment(source, t) for t in node.targets)
            replacements.append((node.lineno - 1, node.end_lineno - 1, [f"{targets} = {BLANK}"]))
    for first, last, new in sorted(replacements, reverse=True):
        lines[first : last + 1] = new
    return "\n".join(lines)


def student_notebook(nb: dict) -> dict:
    """A copy of the notebook ``nb`` (nbformat JSON) with its exercise cells emptied."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and EXERCISE_TAG in cell["metadata"].get("tags", []):
            cell["source"] = blank_answers("".join(cell["source"])).splitlines(keepends=True)
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python tools/student.py OUT_DIR NOTEBOOK...")
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in argv[1:]:
        path = Path(name)
        nb = student_notebook(json.loads(path.read_text(encoding="utf-8")))
        target = out_dir / path.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
