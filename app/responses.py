"""A JSON answer serialised straight from plain Python data.

A traced convolution is thousands of small lists; letting FastAPI validate the returned dict
against its response model and then serialise it costs more than the trace itself. The routers
build exactly what their response model describes (the tests validate real answers against the
models) and send it with :func:`json_response`, which pydantic-core serialises in one pass.
"""
import pydantic_core
from fastapi import Response


def json_response(data) -> Response:
    return Response(pydantic_core.to_json(data), media_type="application/json")
