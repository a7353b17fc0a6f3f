"""Chapter 04 (GRU vs LSTM): ``equal_params_hidden``, a GRU as large as an LSTM."""

from lstm_gru.exercises.core import NumberExercise

__all__ = ["equal_params_hidden"]

NUM_INPUTS, LSTM_HIDDENS = 64, 128


def lstm_params(num_inputs: int, num_hiddens: int) -> int:
    """Parameters of nn.LSTM(num_inputs, num_hiddens): 4 blocks of W_ih, W_hh, b_ih, b_hh."""
    return 4 * (num_hiddens * num_inputs + num_hiddens * num_hiddens + 2 * num_hiddens)


def gru_params(num_inputs: int, num_hiddens: int) -> int:
    """Parameters of nn.GRU(num_inputs, num_hiddens): 3 blocks of W_ih, W_hh, b_ih, b_hh."""
    return 3 * (num_hiddens * num_inputs + num_hiddens * num_hiddens + 2 * num_hiddens)


TARGET = lstm_params(NUM_INPUTS, LSTM_HIDDENS)
REFERENCE = min(range(1, 1000), key=lambda h: abs(gru_params(NUM_INPUTS, h) - TARGET))


def _explain(answer: float) -> str:
    if answer != int(answer) or answer < 1:
        return "A hidden size is a whole number of units, at least 1."
    count = gru_params(NUM_INPUTS, int(answer))
    text = (
        f"nn.GRU({NUM_INPUTS}, {int(answer)}) has {count:,} parameters, "
        f"{count - TARGET:+,} from the LSTM's {TARGET:,}."
    )
    if int(answer) == round(LSTM_HIDDENS * 4 / 3):
        text += " Scaling the units by 4/3 is not enough: W_hh grows with the square of the size."
    return text


equal_params_hidden = NumberExercise(
    "ch04.equal_params_hidden",
    REFERENCE,
    worked=(
        f"nn.LSTM({NUM_INPUTS}, {LSTM_HIDDENS}) has 4 (h d + h^2 + 2h) = {TARGET:,} parameters "
        f"(d = {NUM_INPUTS}, h = {LSTM_HIDDENS}). nn.GRU({NUM_INPUTS}, H) has "
        f"3 (H d + H^2 + 2H) = 3H^2 + {3 * (NUM_INPUTS + 2)}H. The closest count is at "
        f"H = {REFERENCE}: {gru_params(NUM_INPUTS, REFERENCE):,} parameters. (Solve "
        "3H^2 + 198H = 99,328 with the quadratic formula: H = 151.9.)"
    ),
    hints=(
        f"Count the LSTM's parameters first: nn.LSTM({NUM_INPUTS}, {LSTM_HIDDENS}) has four "
        "blocks, each with W_ih (h x d), W_hh (h x h) and two bias vectors of h.",
        "The GRU has the same blocks, three of them. Set the two counts equal and solve the "
        "quadratic in H; round to the hidden size whose count is closest.",
    ),
    explain=_explain,
)
