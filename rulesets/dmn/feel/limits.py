"""Bounds on what one FEEL evaluation may build or iterate: an uploaded model is hostile input,
and a `for` loop over `1..1000000000`, nested loops multiplying to 10^10 steps or a string
doubled by a recursive function must stop with a clear error rather than take a worker's
memory or time. Each bound raises FeelEvaluationError, which the model reports as an
EvaluationError naming the decision."""

import contextvars

from .errors import FeelEvaluationError

MAX_LIST_LENGTH = 100_000  # items in one list, and iterations of one `for`/`some`/`every`/filter
MAX_STRING_LENGTH = 1_000_000  # characters in one string value
MAX_STEPS_PER_EVALUATION = 500_000  # iterations of all loops and filters in one evaluation together

_remaining_steps = contextvars.ContextVar("feel_remaining_steps", default=None)


def start_evaluation():
    """Give the evaluation about to start (this thread or task) a fresh iteration budget."""
    _remaining_steps.set([MAX_STEPS_PER_EVALUATION])


def spend(steps):
    budget = _remaining_steps.get()
    if budget is None:  # FEEL evaluated outside a model's evaluation: the per-loop bounds still hold
        return
    budget[0] -= steps
    if budget[0] < 0:
        raise FeelEvaluationError("more than %d loop iterations in one evaluation" % MAX_STEPS_PER_EVALUATION)


def check_list(items):
    if len(items) > MAX_LIST_LENGTH:
        raise FeelEvaluationError("a list of more than %d items" % MAX_LIST_LENGTH)
    spend(len(items))
    return items


def check_count(count, what="iterations"):
    if count > MAX_LIST_LENGTH:
        raise FeelEvaluationError("more than %d %s in one loop" % (MAX_LIST_LENGTH, what))


CHARACTERS_PER_STEP = 64  # building long strings spends the budget too, so loops cannot fill memory


def check_string(text):
    if len(text) > MAX_STRING_LENGTH:
        raise FeelEvaluationError("a string of more than %d characters" % MAX_STRING_LENGTH)
    if len(text) > 4096:
        spend(len(text) // CHARACTERS_PER_STEP)
    return text
