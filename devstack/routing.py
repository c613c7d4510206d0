"""Matches a request to a manifest route the way API Gateway walks its resource tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from infra import manifest

_LITERAL, _PARAMETER, _GREEDY = 2, 1, 0  # at each level a literal child beats {param}, which beats {proxy+}


@dataclass(frozen=True)
class RouteMatch:
    function: manifest.Function
    route: manifest.Route
    path_parameters: dict[str, str] | None


def _segments(path: str) -> list[str]:
    return [] if path in ("", "/") else path.strip("/").split("/")


def _match_template(template: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(specificity, path parameters) when the resource template matches the path, else None."""
    wanted, actual = _segments(template), _segments(path)
    rank: list[int] = []
    parameters: dict[str, str] = {}
    for position, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = actual[position:]
            if not rest or position != len(wanted) - 1:
                return None
            parameters[segment[1:-2]] = unquote("/".join(rest))
            return (*rank, _GREEDY), parameters
        if position >= len(actual) or not actual[position]:
            return None
        if segment.startswith("{") and segment.endswith("}"):
            parameters[segment[1:-1]] = unquote(actual[position])
            rank.append(_PARAMETER)
        elif unquote(actual[position]) == segment:
            rank.append(_LITERAL)
        else:
            return None
    if len(actual) != len(wanted):
        return None
    return tuple(rank), parameters


class RouteTable:
    def __init__(self, functions: Iterable[manifest.Function] = manifest.FUNCTIONS) -> None:
        self._routes = [(spec, route) for spec in functions for route in spec.routes]

    def _resource(self, path: str) -> tuple[str, dict[str, str]] | None:
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for _, route in self._routes:
            found = _match_template(route.path, path)
            if found and (best is None or found[0] > best[0]):
                best = (found[0], route.path, found[1])
        return None if best is None else (best[1], best[2])

    def allowed(self, path: str) -> tuple[str, ...]:
        """The methods of the resource this path falls on (for a 405's Allow), or () for no resource."""
        found = self._resource(path)
        if found is None:
            return ()
        return tuple(sorted({route.method for _, route in self._routes if route.path == found[0]}))

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for this method on the most specific matching resource, or None (API Gateway's 'missing
        authentication token'). The resource is chosen first, as API Gateway does: a literal resource
        without this method does not fall back to a {param} sibling that has it."""
        found = self._resource(path)
        if found is None:
            return None
        resource, parameters = found
        for spec, route in self._routes:
            if route.path == resource and route.method in (method, "ANY"):
                return RouteMatch(spec, route, parameters or None)
        return None
