"""The DMN engine's exceptions; Django adapts them to its domain exceptions."""


class DmnError(ValueError):
    def __init__(self, message, location=None):
        super().__init__(message if location is None else "%s (at %s)" % (message, location))
        self.location = location


class ModelLoadError(DmnError):
    """The artifact is not a valid DMN model; `location` says where."""


class EvaluationError(DmnError):
    """Evaluating a record failed; `location` names the decision (and rule or column)."""
