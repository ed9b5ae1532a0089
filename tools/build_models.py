"""Build ``src/predeploy/data/models.yaml`` (the model catalog) from ``tools/model_sources.yaml``.

Each source entry names a model's catalog metadata (aliases, licence, tasks, ...) and where its
architecture comes from: either ``config`` (the ``config.json`` keys, transcribed with their
source) or ``config_ref: aic:<file stem>``, a ``config.json`` bundled in the PyPI wheel
``aiconfigurator-core==0.12.0`` (Apache-2.0, NVIDIA ai-dynamo/aiconfigurator) under
``aiconfigurator_core/model_configs/<stem>_config.json``.

Parameter counts are computed from the config with the per-architecture formulas in
``predeploy.core.hf_config``, the code that also reads a user's ``config.json`` at run time
(every weight matrix, bias and norm vector of the language model; vision towers and
multi-token-prediction modules are not counted). ``active`` = total minus the routed experts a
token does not use, so it includes the embedding table and LM head (model cards usually exclude
the embedding, hence card "active" figures are smaller). Where ``params: card`` is set the card
figures are used instead and the provenance says so.

Rerun (from the repository root)::

    pip download aiconfigurator-core==0.12.0 --no-deps -d /tmp/aic
    unzip -o -q /tmp/aic/aiconfigurator_core-0.12.0-*.whl -d /tmp/aic/x
    .venv/bin/python tools/build_models.py --aic-dir /tmp/aic/x/aiconfigurator_core/model_configs

It prints computed vs. model-card parameter counts for review and rewrites the data file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from predeploy.core.hf_config import Config, architecture_fields, count_params, text_config

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "tools" / "model_sources.yaml"
OUTPUT = REPO / "src" / "predeploy" / "data" / "models.yaml"
AIC_WHEEL = "aiconfigurator-core==0.12.0 (PyPI wheel, Apache-2.0; NVIDIA ai-dynamo/aiconfigurator)"



def _load_config(entry: dict[str, Any], aic_dir: Path) -> tuple[Config, str]:
    ref = entry.get("config_ref")
    if ref:
        kind, stem = ref.split(":", 1)
        if kind != "aic":
            raise SystemExit(f"{entry['id']}: unknown config_ref kind {kind!r}")
        raw = json.loads((aic_dir / f"{stem}_config.json").read_text())
        merged = text_config(raw)
        source = f"{AIC_WHEEL} aiconfigurator_core/model_configs/{stem}_config.json"
        return {**merged, **entry.get("config", {})}, source
    return text_config(entry["config"]), entry["config_source"]


def build(aic_dir: Path) -> list[dict[str, Any]]:
    sources = yaml.safe_load(SOURCES.read_text())
    out: list[dict[str, Any]] = []
    print(f"{'model':52} {'total':>9} {'active':>8}  card")
    for entry in sources["models"]:
        config, config_source = _load_config(entry, aic_dir)
        total, active = count_params(config)
        arch = architecture_fields(config, entry.get("overrides", {}))
        card = entry.get("card_params_b") or {}
        print(f"{entry['id']:52} {total / 1e9:9.2f} {active / 1e9:8.2f}  "
              f"{card.get('total', '')}/{card.get('active', '')}")
        notes = [entry["notes"]] if entry.get("notes") else []
        if entry.get("params") == "card":
            arch["total_params_b"] = float(card["total"])
            arch["active_params_b"] = float(card.get("active", card["total"]))
            notes.append(f"parameter counts: model card ({card['source']}); computed from "
                         f"config {total / 1e9:.2f}B / {active / 1e9:.2f}B")
        else:
            arch["total_params_b"] = round(total / 1e9, 2)
            arch["active_params_b"] = round(active / 1e9, 2)
            card_txt = (f"; card: {card['total']}B total"
                        + (f", {card['active']}B active" if card.get("active") else "")
                        + f" ({card['source']})") if card else ""
            notes.append("parameter counts computed from the config by tools/build_models.py "
                         "(active includes embeddings and LM head)" + card_txt)
        arch["native_precision"] = entry.get("native_precision", "bf16")
        block = entry.get("fp8_weight_block")
        if block:
            arch["fp8_weight_block"] = int(block["edge"])
            notes.append(
                f"FP8 release: one scale per {block['edge']}x{block['edge']} weight block "
                f"({block['source']})"
            )
        model = {
            "id": entry["id"],
            "name": entry["name"],
            "family": entry["family"],
            "aliases": entry.get("aliases", []),
            "license": entry["license"],
            "tasks": entry.get("tasks", []),
            "release_date": entry.get("release_date"),
            "precisions": entry.get("precisions", ["bf16", "fp8"]),
            "reasoning": bool(entry.get("reasoning", False)),
            "architecture": arch,
            "provenance": {
                "source": config_source + (f"; {entry['extra_source']}"
                                           if entry.get("extra_source") else ""),
                "kind": "published-spec",
                "url": entry.get("url"),
                "notes": "; ".join(notes),
            },
        }
        if model["release_date"] is None:
            del model["release_date"]
        if model["provenance"]["url"] is None:
            del model["provenance"]["url"]
        out.append(model)
    return out


HEADER = """\
# Model catalog: open-weight models with the architecture facts the performance engine uses.
# GENERATED by tools/build_models.py from tools/model_sources.yaml -- edit the sources and rerun.
# Each entry validates as predeploy.core.types.ModelCard (quality scores are merged in from
# quality.csv by predeploy.kb.seed_files.read_models). Sources per model: provenance.source;
# how the parameter counts were derived: provenance.notes. See data/README.md.
"""


class _NoAliasDumper(yaml.SafeDumper):
    """Writes repeated lists in full (no YAML anchors) so each entry reads on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aic-dir", type=Path,
                        default=Path("/tmp/aic/x/aiconfigurator_core/model_configs"))
    args = parser.parse_args(argv)
    models = build(args.aic_dir)
    text = yaml.dump({"models": models}, Dumper=_NoAliasDumper, sort_keys=False,
                     allow_unicode=True, width=100)
    OUTPUT.write_text(HEADER + text)
    print(f"wrote {len(models)} models to {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
