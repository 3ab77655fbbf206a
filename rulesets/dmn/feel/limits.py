"""Bounds on what one FEEL evaluation may build: an uploaded model is hostile input, and a
`for` loop over `1..1000000000` or a string doubled in a loop must stop with a clear error
rather than take a worker's memory or time."""
from .errors import FeelEvaluationError

MAX_LIST_LENGTH = 100_000  # items in one list, and iterations of one `for`/`some`/`every`
MAX_STRING_LENGTH = 1_000_000  # characters in one string value


def check_list(items):
    if len(items) > MAX_LIST_LENGTH:
        raise FeelEvaluationError('a list of more than %d items' % MAX_LIST_LENGTH)
    return items


def check_count(count, what='iterations'):
    if count > MAX_LIST_LENGTH:
        raise FeelEvaluationError('more than %d %s' % (MAX_LIST_LENGTH, what))


def check_string(text):
    if len(text) > MAX_STRING_LENGTH:
        raise FeelEvaluationError('a string of more than %d characters' % MAX_STRING_LENGTH)
    return text
