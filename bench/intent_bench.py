"""Intent extraction speed (ms per request, rules only) and accuracy on labelled requests.

Usage: python bench/intent_bench.py [--repeat N]

Prints the development-set score (../shared/intent, when present) with the scorer's own
check function, the scores on our own test requests and blind rounds, and milliseconds per
request.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.intent_fixtures import OWN_CASES, read_cases  # noqa: E402
from tests.intent_scoring import score  # noqa: E402

from predeploy.intent.extractor import understand  # noqa: E402
from predeploy.intent.rules import RuleExtractor  # noqa: E402
from predeploy.kb.seed_files import seed_catalog  # noqa: E402

SHARED_INTENT = REPO.parent / "shared" / "intent"
#: Our blind rounds: requests labelled before the extractor was tuned on them.
BLIND_DIR = REPO / "tests" / "data" / "intent"


def _predict(rules: RuleExtractor, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    catalog = rules.catalog
    return {
        c["id"]: json.loads(
            understand(c["text"], rules, catalog, rules.index).intent.model_dump_json()
        )
        for c in cases
    }


def _shared_score(intents: dict[str, dict[str, Any]]) -> tuple[float, float, int] | None:
    scorer_path = SHARED_INTENT / "score_intent.py"
    if not scorer_path.exists():
        return None
    spec = importlib.util.spec_from_file_location("score_intent", scorer_path)
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    cases = read_cases(SHARED_INTENT / "dev_cases.jsonl")
    fields = ok = cases_ok = 0
    for case in cases:
        results = [scorer.check(f, w, intents[case["id"]]) for f, w in case["expect"].items()]
        fields, ok, cases_ok = fields + len(results), ok + sum(results), cases_ok + all(results)
    return ok / fields, cases_ok / len(cases), len(cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timing passes over the requests")
    args = parser.parse_args()

    t0 = time.perf_counter()
    catalog = seed_catalog()
    rules = RuleExtractor(catalog)
    setup_ms = (time.perf_counter() - t0) * 1000

    own = read_cases(OWN_CASES)
    blind = {path.stem: read_cases(path) for path in sorted(BLIND_DIR.glob("blind_round*.jsonl"))}
    texts = [c["text"] for c in own] + [c["text"] for cases in blind.values() for c in cases]
    dev: list[dict[str, Any]] = []
    if (SHARED_INTENT / "dev_cases.jsonl").exists():
        dev = read_cases(SHARED_INTENT / "dev_cases.jsonl")
        texts += [c["text"] for c in dev]
    per_request: list[float] = []
    for _ in range(args.repeat):
        for text in texts:
            start = time.perf_counter()
            understand(text, rules, catalog, rules.index)
            per_request.append((time.perf_counter() - start) * 1000)

    print(f"catalog + extractor setup: {setup_ms:.1f} ms (once per process)")
    print(
        f"ms per request (rules, {len(per_request)} runs): mean {statistics.mean(per_request):.2f}"
        f", p50 {statistics.median(per_request):.2f}"
        f", p99 {sorted(per_request)[int(0.99 * (len(per_request) - 1))]:.2f}"
        f", max {max(per_request):.2f}"
    )
    if dev:
        shared = _shared_score(_predict(rules, dev))
        if shared is not None:
            print(
                f"dev set ({shared[2]} requests, score_intent.py): field accuracy {shared[0]:.3f}"
                f", case accuracy {shared[1]:.3f}"
            )
    else:
        print("dev set: ../shared/intent not present")
    own_score = score(own, _predict(rules, own))
    print(
        f"own test set ({len(own)} requests): field accuracy {own_score.field_accuracy:.3f}"
        f", case accuracy {own_score.case_accuracy:.3f}"
    )
    for miss in own_score.misses:
        print("  miss", miss)
    for name, cases in blind.items():
        result = score(cases, _predict(rules, cases))
        print(
            f"{name} ({len(cases)} requests): field accuracy {result.field_accuracy:.3f}"
            f", case accuracy {result.case_accuracy:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
