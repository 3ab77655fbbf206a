"""Exceptions of the PMML engine; all are ValueError so callers can treat them as bad input."""


class PMMLError(ValueError):
    def __init__(self, message, location=None):
        super().__init__(f"{message} ({location})" if location else message)
        self.location = location


class ModelLoadError(PMMLError):
    """The artifact is not a valid (or not a supported) PMML document."""


class EvaluationError(PMMLError):
    """Evaluating a record failed, e.g. an invalid value with invalidValueTreatment=returnInvalid."""


class UnsupportedElement(ModelLoadError):
    """The native engine cannot evaluate this element; the reference engine may."""
