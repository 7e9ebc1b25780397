"""The Serve applications Kefu runs, with replica counts, autoscaling and health checks from settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kefu.settings import Settings
from serving.models import Profile

if TYPE_CHECKING:
    from ray.serve import Application
    from ray.serve.deployment import Deployment

EMBEDDER_APP = "kefu-embedder"
RERANKER_APP = "kefu-reranker"


def generator_app(profile: Profile) -> str:
    return f"kefu-llm-{profile}"


@dataclass(frozen=True)
class AppSpec:
    name: str
    route_prefix: str
    app: Application


def deployment_options(settings: Settings, replicas: int, max_replicas: int, max_ongoing: int) -> dict[str, Any]:
    """Fixed replicas, or autoscaling between ``replicas`` and ``max_replicas`` when the maximum is higher.

    >>> from kefu.settings import Settings
    >>> deployment_options(Settings(), 1, 3, 4)["autoscaling_config"]["max_replicas"]
    3
    >>> deployment_options(Settings(), 2, 1, 4)["num_replicas"]
    2
    """
    options: dict[str, Any] = {
        "max_ongoing_requests": max_ongoing,
        "health_check_period_s": settings.health_check_period_s,
        "health_check_timeout_s": max(settings.model_timeout_s, 10.0),
        "graceful_shutdown_timeout_s": 5.0,
        "ray_actor_options": {"num_cpus": settings.serve_replica_cpus},
        # a log line per call costs the replica more than a small embed; Prometheus counts calls instead
        "logging_config": {"enable_access_log": False},
    }
    if max_replicas > replicas:
        options["autoscaling_config"] = {
            "min_replicas": replicas,
            "max_replicas": max_replicas,
            "target_ongoing_requests": settings.serve_target_ongoing_requests,
        }
    else:
        options["num_replicas"] = replicas
    return options


def _deployment(decorated: object) -> Deployment:
    """``@serve.deployment`` returns a Deployment, though type checkers still see the class."""
    return cast("Deployment", decorated)


P = TypeVar("P", bound=str)


def generator_profiles(settings: Settings) -> list[Profile]:
    """The primary profile, then the fast one as fallback when the primary is quality and fallback is on."""
    profiles: list[Profile] = [settings.llm_profile]
    if settings.llm_fallback and settings.llm_profile != "fast":
        profiles.append("fast")
    return profiles


def profile_order(served: Sequence[P], preferred: str | None) -> list[P]:
    """The served profiles a call preferring ``preferred`` tries: it first when it is served, then the others
    (so a profile that is not served is answered by the primary).

    >>> profile_order(["quality", "fast"], "fast"), profile_order(["quality"], "fast")
    (['fast', 'quality'], ['quality'])
    """
    return [p for p in served if p == preferred] + [p for p in served if p != preferred]


def build_apps(
    settings: Settings, *, embedder: bool = True, reranker: bool = True, generator: bool = True
) -> list[AppSpec]:
    from processors.responder import warm_up_messages
    from serving.deployments.embedder import EmbedderDeployment
    from serving.deployments.generator import GeneratorDeployment
    from serving.deployments.reranker import RerankerDeployment

    dump = settings.model_dump(mode="json")
    specs = []
    if embedder:
        options = deployment_options(settings, settings.embedder_replicas, settings.embedder_max_replicas, 64)
        app = _deployment(EmbedderDeployment).options(**options).bind(dump, settings.embedder_factory)
        specs.append(AppSpec(EMBEDDER_APP, "/embedder", app))
    if reranker:
        options = deployment_options(settings, settings.reranker_replicas, settings.reranker_max_replicas, 16)
        app = _deployment(RerankerDeployment).options(**options).bind(dump, settings.reranker_factory)
        specs.append(AppSpec(RERANKER_APP, "/reranker", app))
    if generator:
        for profile in generator_profiles(settings):
            # llama.cpp answers one request at a time per replica: a short queue lets the router and the
            # autoscaler see the load instead of hiding it inside a replica
            options = deployment_options(settings, settings.llm_replicas, settings.llm_max_replicas, 4)
            app = _deployment(GeneratorDeployment).options(**options).bind(dump, profile, warm_up_messages())
            specs.append(AppSpec(generator_app(profile), f"/llm/{profile}", app))
    return specs
