"""How the deployment's router picks replicas, where a request says: "we run llm-d", "with
prefix-aware routing", "sticky sessions", "session affinity" (back to the replica holding the
request's cached prefix) or "round-robin", "no session affinity" (any replica).

Only a router named as one counts: "prefix" or "cache" alone says nothing of routing. A
negation just before the name ("no sticky sessions", "without session affinity") reads as
random routing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import Routing
from predeploy.intent.text import Doc

#: Routers that send a request back to the replica holding its prefix.
_AWARE = (
    r"(?:prefix|kv|kv[- ]cache|cache)[- ](?:cache[- ])?aware\s+(?:routing|router|"
    r"load[- ]balanc(?:ing|er)|scheduling|scheduler)"
    r"|\bllm-d\b|session[- ]affinity|sticky\s+(?:sessions?|routing)"
    r"|(?:gateway\s+api\s+)?inference\s+(?:extension|gateway|scheduler)"
)
_NEGATED = re.compile(
    rf"\b(?:no|without|not\s+(?:using|with)|don'?t\s+(?:have|use)|do\s+not\s+(?:have|use))\s+"
    rf"(?:any\s+)?(?:{_AWARE})"
)
_PREFIX_AWARE = re.compile(_AWARE)
_RANDOM = re.compile(
    r"round[- ]robin(?:\s+(?:routing|load[- ]balancing|router))?"
    r"|random\s+(?:routing|load[- ]balancing)|(?:plain|ordinary)\s+kubernetes\s+service"
)


@dataclass(frozen=True)
class RoutingFound:
    routing: Routing
    start: int
    end: int


def find_routing(doc: Doc) -> RoutingFound | None:
    """The first router the request names, its span consumed; ``None`` if none."""
    found = [
        (m, routing)
        for pattern, routing in (
            (_NEGATED, Routing.RANDOM),
            (_RANDOM, Routing.RANDOM),
            (_PREFIX_AWARE, Routing.PREFIX_AWARE),
        )
        if (m := pattern.search(doc.work)) is not None
    ]
    if not found:
        return None
    # A negation starts before the name it negates: the earliest match wins.
    match, routing = min(found, key=lambda f: (f[0].start(), -f[0].end()))
    doc.consume(match.start(), match.end())
    return RoutingFound(routing, match.start(), match.end())
