"""Ray Serve deployments of the embedder, reranker and generator, the apps they form, and their runtime.

Import the deployment classes from their modules (``serving.deployments.embedder`` ...): importing this
package does not import Ray, so clients on the HTTP transport stay light.
"""

from serving.deployments.apps import EMBEDDER_APP, RERANKER_APP, AppSpec, build_apps, generator_app
from serving.deployments.runtime import ServeInfo, init_ray, ready_file, run_apps, shutdown

__all__ = [
    "EMBEDDER_APP",
    "RERANKER_APP",
    "AppSpec",
    "ServeInfo",
    "build_apps",
    "generator_app",
    "init_ray",
    "ready_file",
    "run_apps",
    "shutdown",
]
