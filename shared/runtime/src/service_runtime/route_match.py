"""The route a request is for, also when it was refused before routing.

The request guards (NUL, depth, body size) and anything else outside the router answer before
the router records the matched route in the scope. The audit log and the metrics still name the
route the path would have reached, found by matching the path against the app's routes without
running them; ``unmatched`` is left for paths no route serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

UNMATCHED = "unmatched"


def route_of(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The route template and the path parameters of the request (``unmatched`` and none when
    no route serves its path). A route that matches the path but not the method still names
    it: a refused ``DELETE /cases`` is about the cases resource."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path, dict(scope.get("path_params") or {})
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    partial: tuple[str, dict[str, Any]] | None = None
    for template, candidate in _leaves(routes, prefix=""):
        # A copy: matching may note what it found in the scope it is given.
        match, child = candidate.matches({**scope, "path_params": {}})
        if match is Match.NONE:
            continue
        found = template, dict(child.get("path_params") or {})
        if match is Match.FULL:
            return found
        partial = partial or found
    return partial or (UNMATCHED, {})


def _leaves(routes: Iterable[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """Every endpoint route with its full template. FastAPI keeps an included router as one
    route that yields its effective routes (with the prefix of the inclusion)."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if context.path:
                    yield prefix + context.path, context
        elif isinstance(route, Mount):
            yield from _leaves(route.routes, prefix + route.path)
        elif isinstance(route, BaseRoute) and (path := getattr(route, "path", None)):
            yield prefix + path, route
