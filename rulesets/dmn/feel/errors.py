class FeelSyntaxError(ValueError):
    def __init__(self, message, position=None):
        super().__init__(message if position is None else "%s at character %d" % (message, position + 1))
        self.position = position


class FeelEvaluationError(Exception):
    """Raised only where FEEL has no null to return (e.g. an unknown function)."""
