from rest_framework import serializers
from rest_framework_json_api import serializers as jsonapi

from batchpredictions.models import BatchPrediction
from batchpredictions.services.jobs import MAX_CHUNK_SIZE
from core.api.serializers import StrictCharField


class BatchPredictionInputSerializer(serializers.Serializer):
    model_id = StrictCharField(max_length=64, required=False, help_text="The model version that scores the rows.")
    flow_id = StrictCharField(
        max_length=64,
        required=False,
        help_text="Or the decision flow (its version published and effective now, as a decision takes it).",
    )
    csv = StrictCharField(
        trim_whitespace=False,
        help_text="The CSV text: a header of data-dictionary names (other columns are carried through), then "
        "one application per row; an empty cell is a missing value. Bounded in bytes, rows and columns "
        "(BATCH_PREDICTION_MAX_BYTES, _MAX_ROWS, _MAX_COLUMNS).",
    )
    source_name = StrictCharField(max_length=255, required=False, default="", help_text="The file's name, for people.")
    chunk_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_CHUNK_SIZE, help_text="Rows per Celery task."
    )

    class Meta:
        resource_name = "batchPrediction"


class BatchPredictionOutputSerializer(jsonapi.ModelSerializer):
    model_id = serializers.UUIDField(read_only=True, allow_null=True)
    flow_id = serializers.UUIDField(read_only=True, allow_null=True, help_text="The flow version that scores.")
    progress = serializers.FloatField(
        read_only=True, help_text="Percent of the rows scored (with or without an error)."
    )
    columns = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="The file's header.")
    result_columns = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What each row gets, before its `error`."
    )
    failed = serializers.IntegerField(read_only=True, help_text="Rows with a row-level error.")
    expires = serializers.DateTimeField(read_only=True, help_text="The rows and results are deleted after it.")

    class Meta:
        model = BatchPrediction
        resource_name = "batchPrediction"
        fields = (
            "id",
            "model_id",
            "flow_id",
            "source_name",
            "source_sha256",
            "columns",
            "result_columns",
            "status",
            "total",
            "done",
            "failed",
            "progress",
            "chunk_size",
            "created",
            "started",
            "finished",
            "expires",
            "error",
        )
        read_only_fields = fields
