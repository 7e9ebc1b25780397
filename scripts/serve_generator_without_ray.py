"""Serve one generator profile over HTTP exactly as its Ray Serve replica does, without Ray (a benchmark aid).

On a machine too loaded for Ray to start (its raylet must register within a hard-coded 30 s), this runs the
replica's own class and HTTP handler (``serving.deployments.generator.GeneratorDeployment``) under uvicorn at
``/llm/<profile>``, the route the Serve HTTP proxy would give it; point ``KEFU_SERVE_HTTP_URL`` at it with
``KEFU_SERVING=off``. What is not measured is the Serve proxy hop (~25-40 ms per call, docs/benchmarks.md).

    .venv/bin/python scripts/serve_generator_without_ray.py --profile quality --port 8765
"""

from __future__ import annotations

import argparse
from typing import Any, cast

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kefu.settings import get_settings
from serving.deployments.generator import GeneratorDeployment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["fast", "quality"], default="quality")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    replica_class = cast(Any, GeneratorDeployment).func_or_class  # the class under @serve.deployment
    replica = replica_class(get_settings().model_dump(mode="json"), args.profile)

    async def handle(request: Request) -> Response:
        response: Response = await replica(request)
        return response

    app = Starlette(routes=[Route(f"/llm/{args.profile}", handle, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
