"""Build ``src/predeploy/data/quality.csv`` (per-model quality signals) from ../shared/quality.

Three kinds of rows, each on its own scale (scores on different scales never compare):

* ``aa:<benchmark>`` (task ``general``, kind measured): the raw Artificial Analysis (AA)
  benchmark values from the compass snapshot ``compass/opensource_all_benchmarks.csv`` -- never
  the interpolated table. Rows are matched to catalog models through
  ``../shared/quality/aa_name_map.csv`` plus ``tools/aa_name_map_extra.csv`` (exact AA names added
  for this catalog). For models with separate reasoning / non-reasoning AA rows, the row matching
  the catalog's ``reasoning`` flag is used (reasoning models: "(Reasoning)" / "(high)").
  ``N/A`` and exactly ``0.00%`` (per the README, "not run") are left out, and the documented data
  errors (intelligence index 100.00 %, Gemma 3 1B coding index 80 %) are dropped.
* ``aa-derived-v1`` (task = a use case, kind derived): a weighted mean of the measured AA values
  with the weights in ``DERIVED_WEIGHTS``; missing benchmarks are dropped and the weights of the
  measured ones renormalised; no score when the measured weight is below ``MIN_COVERAGE``.
* ``model-card:<source>:<benchmark>:<setting> (<unit>)`` (task ``general``, kind measured,
  self-reported by the vendor): ``../shared/quality/model_card_scores.csv`` as is.

Rerun: ``.venv/bin/python tools/build_quality.py [--shared ../shared]`` (needs models.yaml).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "predeploy" / "data" / "quality.csv"
MODELS = REPO / "src" / "predeploy" / "data" / "models.yaml"
EXTRA_MAP = REPO / "tools" / "aa_name_map_extra.csv"
AA_SOURCE = ("Artificial Analysis benchmark snapshot (raw, not interpolated) as committed in "
             "redhat-et/compass@cc6a8f99 data/benchmarks/accuracy/opensource_all_benchmarks.csv "
             "(added 2025-12-18); data (c) Artificial Analysis, artificialanalysis.ai")
AA_URL = "https://artificialanalysis.ai/methodology/intelligence-benchmarking"
BENCHMARKS = ("artificial_analysis_intelligence_index", "artificial_analysis_coding_index",
              "mmlu_pro", "gpqa", "hle", "livecodebench", "scicode", "aime_25", "ifbench",
              "lcr", "terminalbench_hard", "tau2", "math_500")
#: Per-use-case weights over AA benchmarks (our choice, documented in data/README.md). Long-
#: context tasks lean on AA-LCR; customer service on tau2 (a customer-service agent benchmark);
#: competition maths is left out of every use case.
DERIVED_WEIGHTS: dict[str, dict[str, float]] = {
    "chatbot": {"artificial_analysis_intelligence_index": 0.2, "mmlu_pro": 0.25,
                "ifbench": 0.25, "gpqa": 0.1, "tau2": 0.2},
    "customer_service": {"tau2": 0.35, "ifbench": 0.3, "mmlu_pro": 0.2,
                         "artificial_analysis_intelligence_index": 0.15},
    "code_completion": {"livecodebench": 0.45, "artificial_analysis_coding_index": 0.35,
                        "scicode": 0.2},
    "code_generation": {"livecodebench": 0.35, "artificial_analysis_coding_index": 0.3,
                        "scicode": 0.15, "terminalbench_hard": 0.2},
    "rag_qa": {"lcr": 0.3, "mmlu_pro": 0.25, "gpqa": 0.15, "ifbench": 0.15,
               "artificial_analysis_intelligence_index": 0.15},
    "summarization": {"ifbench": 0.35, "mmlu_pro": 0.35,
                      "artificial_analysis_intelligence_index": 0.3},
    "long_document_summarization": {"lcr": 0.45, "ifbench": 0.25, "mmlu_pro": 0.3},
    "content_generation": {"ifbench": 0.35, "mmlu_pro": 0.35,
                           "artificial_analysis_intelligence_index": 0.3},
    "translation": {"mmlu_pro": 0.4, "ifbench": 0.3,
                    "artificial_analysis_intelligence_index": 0.3},
    "batch_processing": {"ifbench": 0.4, "mmlu_pro": 0.4,
                         "artificial_analysis_intelligence_index": 0.2},
}
MIN_COVERAGE = 0.6
#: (AA row, benchmark) values the shared README documents as data errors.
KNOWN_ERRORS = {("Gemma 3 1B Instruct", "artificial_analysis_coding_index")}
COLUMNS = ("model_id", "task", "scale", "score", "benchmark", "kind", "source", "date", "url",
           "notes")


def _pct(text: str) -> float | None:
    text = text.strip()
    if text in {"", "N/A"}:
        return None
    value = float(text.rstrip("%"))
    return None if value == 0.0 else value


def _aa_rows(shared: Path) -> dict[str, dict[str, str]]:
    path = shared / "quality" / "compass" / "opensource_all_benchmarks.csv"
    with path.open(newline="") as f:
        return {row["Model Name"]: row for row in csv.DictReader(f)}


def _name_map(shared: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with (shared / "quality" / "aa_name_map.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["aa_model_name_in_compass_csv"]:
                rows.append({"hf": row["hf_model_id"], "aa": row["aa_model_name_in_compass_csv"],
                             "match": row["match"], "note": row["note"],
                             "map": "../shared/quality/aa_name_map.csv"})
    with EXTRA_MAP.open(newline="") as f:
        for row in csv.DictReader(f):
            rows.append({"hf": row["hf_model_id"], "aa": row["aa_model_name"],
                         "match": row["match"], "note": row["note"],
                         "map": "tools/aa_name_map_extra.csv"})
    return rows


def _choose_row(candidates: list[dict[str, str]], reasoning: bool) -> dict[str, str]:
    if len(candidates) == 1:
        return candidates[0]
    marks = ("(Reasoning)", "(high)") if reasoning else ("(Non-reasoning)", "(low)")
    for cand in candidates:
        if any(m in cand["aa"] for m in marks):
            return cand
    return candidates[0]


def aa_quality(shared: Path, models: list[dict[str, object]]) -> list[dict[str, object]]:
    table = _aa_rows(shared)
    by_model: dict[str, list[dict[str, str]]] = {}
    for row in _name_map(shared):
        by_model.setdefault(row["hf"], []).append(row)
    out: list[dict[str, object]] = []
    for model in models:
        mid = str(model["id"])
        if mid not in by_model:
            continue
        chosen = _choose_row(by_model[mid], bool(model.get("reasoning")))
        aa_row = table[chosen["aa"]]
        values: dict[str, float] = {}
        for bench in BENCHMARKS:
            value = _pct(aa_row[bench])
            if value is None or (chosen["aa"], bench) in KNOWN_ERRORS:
                continue
            if bench == "artificial_analysis_intelligence_index" and value == 100.0:
                continue  # documented data error (Mistral 7B, Codestral-Mamba, Command-R)
            values[bench] = value
        match_note = (f"AA row '{chosen['aa'].strip()}' ({chosen['match']}; map "
                      f"{chosen['map']}{'; ' + chosen['note'] if chosen['note'] else ''})")
        for bench, value in values.items():
            out.append({"model_id": mid, "task": "general", "scale": f"aa:{bench}",
                        "score": value, "benchmark": bench, "kind": "measured",
                        "source": AA_SOURCE, "date": "", "url": AA_URL,
                        "notes": match_note + "; index columns are 0-100 points"})
        for task, weights in DERIVED_WEIGHTS.items():
            present = {b: w for b, w in weights.items() if b in values}
            coverage = sum(present.values()) / sum(weights.values())
            if coverage < MIN_COVERAGE:
                continue
            score = sum(values[b] * w for b, w in present.items()) / sum(present.values())
            missing = sorted(set(weights) - set(present))
            out.append({
                "model_id": mid, "task": task, "scale": "aa-derived-v1",
                "score": round(score, 2), "benchmark": "+".join(
                    f"{b}*{w:g}" for b, w in weights.items()),
                "kind": "derived", "source": AA_SOURCE, "date": "", "url": AA_URL,
                "notes": (f"weighted mean of measured AA values, weights renormalised over "
                          f"{coverage:.0%} measured weight"
                          + (f"; missing: {', '.join(missing)}" if missing else "")
                          + f"; {match_note}"),
            })
    return out


def card_quality(shared: Path, model_ids: set[str]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    with (shared / "quality" / "model_card_scores.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["model_id"] not in model_ids:
                continue
            source = row["source"]
            out.append({
                "model_id": row["model_id"], "task": "general",
                "scale": (f"model-card:{source}:{row['benchmark']}:{row['setting']} "
                          f"({row['unit']})"),
                "score": float(row["score"]), "benchmark": row["benchmark"],
                "kind": "measured", "source": f"vendor-reported ({source})",
                "date": row["date"], "url": source if source.startswith("http") else "",
                "notes": f"self-reported by the vendor, setting: {row['setting']}; "
                         "compare only within the same scale",
            })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args(argv)
    models = yaml.safe_load(MODELS.read_text())["models"]
    rows = aa_quality(args.shared, models) + card_quality(args.shared, {m["id"] for m in models})
    with OUTPUT.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    covered = len({r["model_id"] for r in rows})
    print(f"wrote {len(rows)} quality rows for {covered} models to {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
