"""Training credit models from a CSV of historical loans (issue 15).

Plain functions, no Django import: `train(frame, ...)` fits a model, cross-validates it and
returns the PMML text, the fitted model's own probability function and a model card. The Django
service (`modelregistry.training.services.model_train`) matches columns to the data dictionary and
registers the PMML through `modelregistry.services.predictive_model_register`, so the upload door,
field mapping and audit trail apply to trained models exactly as to uploaded ones.
"""

from .train import ALGORITHMS, TrainedModel, TrainingError, train

__all__ = ["ALGORITHMS", "TrainedModel", "TrainingError", "train"]
