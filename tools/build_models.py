"""Build ``src/predeploy/data/models.yaml`` (the model catalog) from ``tools/model_sources.yaml``.

Each source entry names a model's catalog metadata (aliases, licence, tasks, ...) and where its
architecture comes from: either ``config`` (the ``config.json`` keys, transcribed with their
source) or ``config_ref: aic:<file stem>``, a ``config.json`` bundled in the PyPI wheel
``aiconfigurator-core==0.12.0`` (Apache-2.0, NVIDIA ai-dynamo/aiconfigurator) under
``aiconfigurator_core/model_configs/<stem>_config.json``.

Parameter counts are computed from the config with the per-architecture formulas below (every
weight matrix, bias and norm vector of the language model; vision towers and multi-token-
prediction modules are not counted). ``active`` = total minus the routed experts a token does not
use, so it includes the embedding table and LM head (model cards usually exclude the embedding,
hence card "active" figures are smaller). Where ``params: card`` is set the card figures are used
instead and the provenance says so.

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

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "tools" / "model_sources.yaml"
OUTPUT = REPO / "src" / "predeploy" / "data" / "models.yaml"
AIC_WHEEL = "aiconfigurator-core==0.12.0 (PyPI wheel, Apache-2.0; NVIDIA ai-dynamo/aiconfigurator)"

Config = dict[str, Any]


def _load_config(entry: dict[str, Any], aic_dir: Path) -> tuple[Config, str]:
    ref = entry.get("config_ref")
    if ref:
        kind, stem = ref.split(":", 1)
        if kind != "aic":
            raise SystemExit(f"{entry['id']}: unknown config_ref kind {kind!r}")
        raw = json.loads((aic_dir / f"{stem}_config.json").read_text())
        merged = {**raw, **raw.get("text_config", {})}
        source = f"{AIC_WHEEL} aiconfigurator_core/model_configs/{stem}_config.json"
        return {**merged, **entry.get("config", {})}, source
    return dict(entry["config"]), entry["config_source"]


def _g(c: Config, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if c.get(key) is not None:
            return c[key]
    return default


class Dims:
    """The config dimensions the formulas use, with Hugging Face key aliases resolved."""

    def __init__(self, c: Config) -> None:
        self.c = c
        self.type = c.get("model_type", "")
        self.layers = int(_g(c, "num_hidden_layers", "n_layer", "num_layers"))
        self.hidden = int(_g(c, "hidden_size", "n_embd"))
        self.heads = int(_g(c, "num_attention_heads", "n_head"))
        self.kv_heads = int(_g(c, "num_key_value_heads", "num_kv_heads", default=self.heads))
        self.head_dim = int(_g(c, "head_dim", default=self.hidden // self.heads))
        default_inter = c.get("moe_intermediate_size") or 4 * self.hidden
        self.inter = int(_g(c, "intermediate_size", "ffn_hidden_size", "n_inner",
                            default=default_inter))
        self.vocab = int(c["vocab_size"])
        self.experts = int(_g(c, "n_routed_experts", "num_local_experts", "num_experts",
                              default=0))
        self.top_k = int(_g(c, "num_experts_per_tok", "experts_per_token", default=0))
        self.moe_inter = int(_g(c, "moe_intermediate_size", default=self.inter))
        self.tied = bool(c.get("tie_word_embeddings", False))


def _norms(d: Dims, per_layer: int) -> int:
    return d.layers * per_layer * d.hidden + d.hidden


def _gqa_attention(d: Dims, qkv_bias: bool = False, o_bias: bool = False,
                   qk_norm: bool = False) -> int:
    q = d.hidden * d.heads * d.head_dim
    kv = 2 * d.hidden * d.kv_heads * d.head_dim
    o = d.heads * d.head_dim * d.hidden
    bias = (d.heads + 2 * d.kv_heads) * d.head_dim if qkv_bias else 0
    bias += d.hidden if o_bias else 0
    return q + kv + o + bias + (2 * d.head_dim if qk_norm else 0)


def _mla_attention(c: Config, d: Dims) -> int:
    nope, rope = int(c["qk_nope_head_dim"]), int(c["qk_rope_head_dim"])
    v_dim, kv_rank = int(c["v_head_dim"]), int(c["kv_lora_rank"])
    q_rank = int(c.get("q_lora_rank") or 0)
    if q_rank:
        q = d.hidden * q_rank + q_rank + q_rank * d.heads * (nope + rope)
    else:
        q = d.hidden * d.heads * (nope + rope)
    kv = d.hidden * (kv_rank + rope) + kv_rank + kv_rank * d.heads * (nope + v_dim)
    o = d.heads * v_dim * d.hidden
    indexer = 0
    if c.get("index_n_heads"):  # DeepSeek Sparse Attention lightning indexer (V3.2, GLM-5)
        n_idx, d_idx = int(c["index_n_heads"]), int(c["index_head_dim"])
        indexer = q_rank * n_idx * d_idx + d.hidden * d_idx + 2 * d_idx + d.hidden * n_idx
    return q + kv + o + indexer


def _gated_mlp(hidden: int, inter: int) -> int:
    return 3 * hidden * inter


def _embeddings(d: Dims) -> int:
    return d.vocab * d.hidden * (1 if d.tied else 2)


def count_params(c: Config) -> tuple[int, int]:
    """(total, active) parameters of the language model described by ``c``."""
    d = Dims(c)
    t = d.type
    if t in {"llama", "mistral", "granite", "phi3", "qwen2", "qwen3", "gemma2", "gemma3_text"}:
        qkv_bias = t == "qwen2"
        qk_norm = t in {"qwen3", "gemma3_text"}
        norms = 4 if t.startswith("gemma") else 2
        per_layer = _gqa_attention(d, qkv_bias=qkv_bias, qk_norm=qk_norm) + _gated_mlp(
            d.hidden, d.inter)
        total = d.layers * per_layer + _norms(d, norms) + _embeddings(d)
        return total, total
    if t == "falcon":  # parallel attention + MLP, non-gated GELU MLP, LayerNorms with bias
        per_layer = (d.hidden * (d.heads + 2 * d.kv_heads) * d.head_dim + d.hidden * d.hidden
                     + 2 * d.hidden * d.inter + 2 * 2 * d.hidden)
        total = d.layers * per_layer + 2 * d.hidden + _embeddings(d)
        return total, total
    if t == "gptj":  # q,k,v,o without bias; MLP fc_in/fc_out with bias; LM head with bias
        per_layer = 4 * d.hidden * d.hidden + 2 * d.hidden * d.inter + d.inter + d.hidden
        per_layer += 2 * d.hidden
        total = d.layers * per_layer + 2 * d.hidden + _embeddings(d) + d.vocab
        return total, total
    if t in {"mixtral", "qwen3_moe", "minimax_m2"}:
        qk_norm = t == "qwen3_moe"
        attn = _gqa_attention(d, qk_norm=qk_norm)
        if t == "minimax_m2":  # per-layer q/k RMSNorm over all heads
            attn += (d.heads + d.kv_heads) * d.head_dim
        expert = _gated_mlp(d.hidden, d.moe_inter)
        router = d.hidden * d.experts + (d.experts if t == "minimax_m2" else 0)
        total = d.layers * (attn + d.experts * expert + router) + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    if t == "gpt_oss":  # biases everywhere, attention sinks, MoE experts with biases
        attn = _gqa_attention(d, qkv_bias=True, o_bias=True) + d.heads
        expert = 3 * d.hidden * d.moe_inter + 2 * d.moe_inter + d.hidden
        router = d.hidden * d.experts + d.experts
        total = d.layers * (attn + d.experts * expert + router) + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    if t == "llama4_text":
        attn = _gqa_attention(d)
        step = int(c.get("interleave_moe_layer_step", 1))
        moe_layers = sum(1 for i in range(d.layers) if (i + 1) % step == 0)
        dense_layers = d.layers - moe_layers
        expert = _gated_mlp(d.hidden, d.inter)
        moe = d.experts * expert + expert + d.hidden * d.experts  # routed + 1 shared + router
        dense = _gated_mlp(d.hidden, int(c["intermediate_size_mlp"]))
        total = (d.layers * attn + moe_layers * moe + dense_layers * dense + _norms(d, 2)
                 + _embeddings(d))
        active = total - moe_layers * (d.experts - d.top_k) * expert
        return total, active
    if t in {"deepseek_v3", "deepseek_v32", "kimi_k2", "glm_moe_dsa", "glm4_moe"}:
        if t == "glm4_moe":
            attn = _gqa_attention(d, qkv_bias=True, qk_norm=bool(c.get("use_qk_norm")))
        else:
            attn = _mla_attention(c, d) + 2 * 0
        dense_n = int(c.get("first_k_dense_replace", 0))
        moe_n = d.layers - dense_n
        expert = _gated_mlp(d.hidden, d.moe_inter)
        shared = int(c.get("n_shared_experts", 0)) * expert
        router = d.hidden * d.experts + d.experts  # gate + e_score_correction_bias
        total = (d.layers * attn + dense_n * _gated_mlp(d.hidden, d.inter)
                 + moe_n * (d.experts * expert + shared + router) + _norms(d, 2)
                 + _embeddings(d))
        active = total - moe_n * (d.experts - d.top_k) * expert
        return total, active
    if t == "qwen3_5_moe_text":
        kinds = c["layer_types"]
        nk, dk = int(c["linear_num_key_heads"]), int(c["linear_key_head_dim"])
        nv, dv = int(c["linear_num_value_heads"]), int(c["linear_value_head_dim"])
        kernel = int(c["linear_conv_kernel_dim"])
        linear = (d.hidden * (2 * nk * dk + 2 * nv * dv) + d.hidden * 2 * nv
                  + (2 * nk * dk + nv * dv) * kernel + 2 * nv + dv + nv * dv * d.hidden)
        full = (d.hidden * d.heads * d.head_dim * 2 + 2 * d.hidden * d.kv_heads * d.head_dim
                + d.heads * d.head_dim * d.hidden + 2 * d.head_dim)
        expert = _gated_mlp(d.hidden, d.moe_inter)
        shared = _gated_mlp(d.hidden, int(c["shared_expert_intermediate_size"])) + d.hidden
        moe = d.experts * expert + shared + d.hidden * d.experts
        attn_total = sum(linear if k == "linear_attention" else full for k in kinds)
        total = attn_total + d.layers * moe + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    raise SystemExit(f"no parameter formula for model_type {t!r}")


def architecture(c: Config, overrides: dict[str, Any]) -> dict[str, Any]:
    """The ``ModelArchitecture`` fields for config ``c`` (before parameter counts)."""
    d = Dims(c)
    t = d.type
    arch: dict[str, Any] = {
        "num_layers": d.layers,
        "hidden_size": d.hidden,
        "num_attention_heads": d.heads,
        "num_kv_heads": d.kv_heads,
        "head_dim": d.head_dim,
        "intermediate_size": d.inter,
        "vocab_size": d.vocab,
        "max_context_tokens": int(_g(c, "max_position_embeddings", "n_positions")),
        "tie_word_embeddings": d.tied,
    }
    if d.kv_heads == d.heads:
        arch["attention_type"] = "mha"
    elif d.kv_heads == 1:
        arch["attention_type"] = "mqa"
    else:
        arch["attention_type"] = "gqa"
    if d.experts:
        arch.update(num_experts=d.experts, experts_per_token=d.top_k,
                    moe_intermediate_size=d.moe_inter)
    if c.get("kv_lora_rank"):
        arch.update(attention_type="mla", mla_kv_lora_rank=int(c["kv_lora_rank"]),
                    mla_qk_rope_head_dim=int(c["qk_rope_head_dim"]),
                    head_dim=int(c["qk_nope_head_dim"]) + int(c["qk_rope_head_dim"]))
    if c.get("n_shared_experts"):
        arch["n_shared_experts"] = int(c["n_shared_experts"])
    if c.get("first_k_dense_replace"):
        arch["num_dense_layers"] = int(c["first_k_dense_replace"])
    if t == "llama4_text":
        step = int(c.get("interleave_moe_layer_step", 1))
        arch["n_shared_experts"] = 1
        arch["num_dense_layers"] = d.layers - sum(
            1 for i in range(d.layers) if (i + 1) % step == 0)
    if t == "qwen3_5_moe_text":
        arch["n_shared_experts"] = 1
        arch["attention_type"] = "hybrid"
        arch["linear_attention_layers"] = sum(
            1 for k in c["layer_types"] if k == "linear_attention")
    layer_types = c.get("layer_types")
    if c.get("sliding_window") and layer_types and t != "qwen3_5_moe_text":
        arch["sliding_window"] = int(c["sliding_window"])
        arch["sliding_window_layers"] = sum(1 for k in layer_types if "sliding" in k)
    arch.update(overrides)
    return arch


def build(aic_dir: Path) -> list[dict[str, Any]]:
    sources = yaml.safe_load(SOURCES.read_text())
    out: list[dict[str, Any]] = []
    print(f"{'model':52} {'total':>9} {'active':>8}  card")
    for entry in sources["models"]:
        config, config_source = _load_config(entry, aic_dir)
        total, active = count_params(config)
        arch = architecture(config, entry.get("overrides", {}))
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
