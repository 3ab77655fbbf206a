"""The framework floor for benchmarks/load.py: a bare DRF view echoing its JSON body.

Same authentication (the API token), permission and rate limit as the API; no database work of
its own. Routed only when CREDITBOX_BENCHMARK_ECHO is true (off by default, never in a normal
deployment): config/urls.py adds `api/v1/benchmark-echo` then.
"""

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


class EchoParser(JSONParser):
    media_type = "application/vnd.api+json"


class EchoRenderer(JSONRenderer):
    media_type = "application/vnd.api+json"


class BenchmarkEchoView(APIView):
    parser_classes = (EchoParser, JSONParser)
    renderer_classes = (EchoRenderer, JSONRenderer)
    schema = None

    def post(self, request):
        return Response(request.data)
