"""Exercises that check themselves: ``from lstm_gru.exercises import ch02``, then
``ch02.lstm_step.check(my_lstm_step)``, ``.hint()``, ``.solution()``, ``.reference``.

One module per chapter (``ch02``, ``ch03``, ``ch04``, ``ch07``); the machinery is in
``lstm_gru.exercises.core``.
"""
