import numpy as np
import pytest
import torch

from lstm_gru.probe import LABEL_NAMES, python_labels, unit_correlations

SOURCE = 'def f(a, b="x)"):  # it\'s (\n    return [a,\n\tb]\n'


def chars_where(text, label):
    return "".join(ch for ch, on in zip(text, label, strict=True) if on)


def test_python_labels_mark_strings_comments_brackets_and_indentation():
    labels = python_labels(SOURCE)
    assert list(labels) == list(LABEL_NAMES)
    assert all(v.shape == (len(SOURCE),) for v in labels.values())
    # the ")" inside the string and the "(" inside the comment are not brackets
    assert chars_where(SOURCE, labels["string"]) == '"x)"'
    assert chars_where(SOURCE, labels["comment"]) == "# it's ("
    depth = "".join(str(d) for d in labels["bracket"])
    assert depth[: SOURCE.index(":")] == "0000001111111110"  # 'def f(a, b="x)")'
    start = SOURCE.index("[")
    assert depth[start : start + 7] == "0111110"  # '[a,\n\tb]': the brackets are outside
    assert labels["indent"][SOURCE.index("return")] == 4
    assert labels["indent"][0] == 0 and labels["indent"][SOURCE.index("\tb")] == 0
    second = SOURCE.index("    return")  # the second line starts here
    assert labels["column"][second : second + 6].tolist() == [0, 1, 2, 3, 4, 5]
    assert labels["leading_space"][second : second + 6].tolist() == [1, 1, 1, 1, 0, 0]
    assert labels["column"][second - 1] == SOURCE.index("\n")  # the newline ends line one


def test_python_labels_of_docstrings_and_form_feeds():
    text = 'x = 1\n\x0c\n"""doc\nstring"""\ny = (\n  2)\n'
    labels = python_labels(text)
    assert chars_where(text, labels["string"]) == '"""doc\nstring"""'
    assert labels["bracket"][text.index("2")] == 1  # a form feed does not shift the offsets
    assert labels["indent"][text.index("2")] == 2


def test_python_labels_of_an_f_string_with_brackets_inside():
    text = 'y = f"{x[0]}!" + (z)\n'
    labels = python_labels(text)
    assert chars_where(text, labels["string"]) == 'f"{x[0]}!"'
    assert labels["bracket"][text.index("z")] == 1
    assert labels["bracket"][text.index("0")] == 0  # brackets inside an f-string do not count


def test_python_labels_reject_what_does_not_tokenize():
    with pytest.raises(ValueError, match="text must be Python source that tokenizes"):
        python_labels('s = """never closed\n')
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        python_labels(b"x = 1\n")


def test_unit_correlations_find_the_unit_that_follows_the_label():
    label = np.array([0, 0, 1, 1, 0, 1, 0, 0], dtype=float)
    values = torch.stack(
        [
            torch.ones(8),  # constant: 0 by definition
            torch.tensor(label) * 2 - 1,  # exactly the label: +1
            torch.tensor(1 - label),  # the opposite: -1
            torch.tensor([1.0, 2, 3, 4, 5, 6, 7, 8]),
        ],
        dim=1,
    )  # (num_steps, num_units)
    r = unit_correlations(values, label)
    expected = [0.0, 1.0, -1.0, np.corrcoef(values[:, 3].numpy(), label)[0, 1]]
    np.testing.assert_allclose(r, expected, atol=1e-12)


def test_unit_correlations_check_shapes():
    with pytest.raises(ValueError, match=r"got values \(8,\) and label \(8,\)"):
        unit_correlations(np.zeros(8), np.zeros(8))
    with pytest.raises(ValueError, match=r"got values \(8, 3\) and label \(7,\)"):
        unit_correlations(np.zeros((8, 3)), np.zeros(7))


def test_text_heatmap_draws_one_coloured_box_per_character():
    import matplotlib.pyplot as plt

    from lstm_gru.probe import text_heatmap

    text = "ab\ncd"
    fig = text_heatmap(text, [-1.0, 0.0, 0.5, 1.0, 2.0], limit=2.0, width=4, title="unit 3")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["a", "b", "↵", "c", "d"]
    assert [(p.get_x(), p.get_y()) for p in ax.patches] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)]
    assert ax.patches[4].get_facecolor() == plt.get_cmap("RdBu_r")(1.0)  # 2.0 is the top
    assert ax.get_title(loc="left") == "unit 3"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"values have shape \(len\(text\),\) = \(5,\), got"):
        text_heatmap(text, [1.0, 2.0])
