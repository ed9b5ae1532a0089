"""Build the measured-benchmark facts under ``src/predeploy/data/benchmarks/``.

Two public sources are transcribed into our own :class:`~predeploy.core.types.BenchmarkRecord`
JSON Lines format (one measured scenario per line, with its source, source key and notes):

* ``public_serving.jsonl`` — the 1,212 cases of ../shared/calibration/perf_cases.jsonl (MLPerf
  Inference v5.1, GPUStack performance lab, TensorRT-LLM perf overviews and blogs, LMDeploy,
  llama.cpp community benchmarks), through the same transcription as ``predeploy kb
  import-benchmarks`` (:func:`predeploy.kb.importers.calibration_cases.record_from_case`):
  scenario fields map one to one; the labels, MLPerf scenario, constraints and unit conversions
  go into the provenance notes; AMD's MLPerf vLLM runs get the engine settings their harness
  yaml states as ``engine_args``, Red Hat's those of its harness README, TensorRT-LLM 0.10's
  performance-overview runs the commands of that page's Methodology section
  (``predeploy.core.published_harness``).
* ``aiconfigurator_silicon.jsonl`` — the aggregated-serving (``agg``) rows of NVIDIA
  AIConfigurator's ``systems/silicon_sample.csv`` (aiconfigurator-core 0.12.0 on PyPI,
  Apache-2.0): measured TTFT and TPOT at fixed concurrency for TensorRT-LLM, SGLang and vLLM on
  H100/H200/B200/B300/GB200. Rows with pipeline parallelism, or with attention data parallelism
  other than pure wide expert parallelism (attention DP over ``n`` GPUs with the experts spread
  over the same ``n``, recorded with ``engine_args`` ``--enable_attention_dp`` and the
  concurrency of all ranks), are left out, and so are rows whose experts span more GPUs than
  their attention without attention data parallelism (vLLM data-parallel ranks sharing their
  experts, whose rank count and per-rank load the dump does not state:
  :func:`_experts_beyond_attention`), and so are rows whose tensor parallelism does not divide
  the model's attention heads (:func:`_heads_split_unevenly`); checkpoint names are mapped to
  the catalog's models, and TensorRT-LLM records keep the checkpoint served
  (``checkpoint``, :func:`_stated_checkpoint`).
  The file does not name the statistic of ``silicon_ttft_ms``/``silicon_tpot_ms``: they are
  recorded as means; the load is closed-loop concurrency = the row's ``batch_size``. A run the
  CSV lists under two ids is recorded once; ``--tp k --ep k`` runs, which its database dump
  codes as ``k²`` GPUs, are recoded to their ``k`` where the weights fit on ``k``
  (:func:`recode_squared_ep`); rows whose
  experts are spread over ``moe_ep_size`` groups under tensor-parallel attention get the
  engine's expert-parallel flag in ``engine_args``.

Rerun::

    pip download aiconfigurator-core==0.12.0 --no-deps -d /tmp/aic && \\
        unzip -o -q /tmp/aic/aiconfigurator_core-0.12.0-*.whl -d /tmp/aic/x
    .venv/bin/python tools/build_benchmark_seed.py [--shared ../shared] \\
        [--aiconfigurator /tmp/aic/x/aiconfigurator_core/systems/silicon_sample.csv]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

from predeploy.core.errors import InputError, PredeployError
from predeploy.core.memory import device_bytes
from predeploy.core.types import BenchmarkRecord, Precision
from predeploy.core.weights import weight_bytes_per_gpu
from predeploy.kb.importers.calibration_cases import record_from_case
from predeploy.kb.seed_files import seed_catalog

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "src" / "predeploy" / "data" / "benchmarks"
PUBLIC_FILE = "public_serving.jsonl"
AIC_FILE = "aiconfigurator_silicon.jsonl"
AIC_SOURCE = (
    "NVIDIA ai-dynamo/aiconfigurator: aiconfigurator-core 0.12.0 (PyPI, Apache-2.0), "
    "systems/silicon_sample.csv"
)
AIC_URL = "https://pypi.org/project/aiconfigurator-core/0.12.0/"
AIC_SOURCE_KEY = "aiconfigurator-silicon"

#: AIConfigurator system names → our accelerator names.
#: The catalogue the rows' models and accelerators are looked up in (weights against memory).
CATALOG = seed_catalog()
AIC_SYSTEMS = {
    "h100_sxm": "H100-SXM",
    "h200_sxm": "H200",
    "b200_sxm": "B200",
    "b300_sxm": "B300",
    "gb200": "GB200",
}

#: Checkpoints → the catalog model with the same architecture (and the precision they imply).
AIC_MODELS: dict[str, tuple[str, str | None]] = {
    "meta-llama/Llama-3.1-70B": ("meta-llama/Llama-3.1-70B-Instruct", None),
    "nvidia/Llama-3.1-8B-Instruct-FP8": ("meta-llama/Llama-3.1-8B-Instruct", "fp8"),
    "nvidia/DeepSeek-R1-NVFP4": ("deepseek-ai/DeepSeek-R1", "fp4"),
    "nvidia/DeepSeek-V3.1-NVFP4": ("deepseek-ai/DeepSeek-V3.1", "fp4"),
    "nvidia/Qwen3-32B-NVFP4": ("Qwen/Qwen3-32B", "fp4"),
    "Qwen/Qwen3-235B-A22B-FP8": ("Qwen/Qwen3-235B-A22B", "fp8"),
    "zhipuai/GLM-5": ("zai-org/GLM-5", None),
}

#: AIConfigurator GEMM quantization modes → weight precision.
AIC_PRECISION = {"fp8": "fp8", "fp8_block": "fp8", "nvfp4": "fp4", "int4_wo": "int4", "": None}


def _record(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate through the core type (a bad row stops the build naming the row)."""
    try:
        return BenchmarkRecord.model_validate(raw).model_dump(mode="json")
    except ValueError as exc:
        sys.exit(f"{where}: {exc}")


def public_records(shared: Path) -> list[dict[str, Any]]:
    """The calibration cases, transcribed as ``predeploy kb import-benchmarks`` does."""
    out: list[dict[str, Any]] = []
    path = shared / "calibration" / "perf_cases.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = record_from_case(json.loads(line), str(path), n)
        except InputError as exc:
            sys.exit(str(exc))
        out.append(record.model_dump(mode="json"))
    return out


def _measured_date(source: str) -> str | None:
    match = re.search(r"measured=(\d{4}-\d{2}-\d{2})", source)
    return match.group(1) if match else None


def _engine_version(row: dict[str, str]) -> str | None:
    if row["backend_version"]:
        return row["backend_version"]
    match = re.search(r"image=[^;]*:([\w.\-]+)", row["silicon_data_source"])
    return match.group(1) if match else None


def _wide_ep(row: dict[str, str]) -> bool:
    """A row of pure wide expert parallelism: attention data-parallel over ``n`` GPUs (no
    attention TP) and the experts spread over the same ``n`` (no expert TP)."""
    adp, ep = row["attention_dp_size"], row["moe_ep_size"]
    return (
        row["tp_size"] in ("", "1")
        and row["moe_tp_size"] in ("", "1")
        and adp not in ("", "0", "1")
        and adp == ep
    )


def _experts_beyond_attention(row: dict[str, str]) -> bool:
    """A row whose experts are split over more GPUs (``moe_tp_size × moe_ep_size``) than its
    tensor-parallel attention runs on, without attention data parallelism: vLLM data-parallel
    ranks sharing their experts (``-dp D`` makes one expert group of ``tp × D`` GPUs). The dump
    states neither ``D``'s ranks as GPUs nor whether ``batch_size`` is per rank or in all (its
    wide-EP rows count per rank), so the run's layout and load are unknown."""
    experts = int(row["moe_tp_size"] or 1) * int(row["moe_ep_size"] or 1)
    return row["attention_dp_size"] in ("", "0", "1") and experts > int(row["tp_size"])


def _stated_checkpoint(row: dict[str, str]) -> str | None:
    """The checkpoint a row served, where the dump tells it: TensorRT-LLM rows, whose
    ``gemm_quant_mode`` is TensorRT-LLM's own quantization (per-tensor ``fp8`` for the 16-bit
    Qwen3-32B it quantized, ``fp8_block`` for Qwen3-235B-A22B-FP8). SGLang and vLLM rows are
    labelled ``fp8`` for block-scaled checkpoints too (DeepSeek's and MiniMax M2.5's native
    weights), and SGLang's Qwen3.5-397B-A17B rows name the 16-bit checkpoint where 16 of them
    ran on four B200s, which cannot hold its 794 GB of 16-bit weights while SGLang quantizes
    them as they load: their checkpoint is left unstated (the model's FP8 release assumed)."""
    return row["model_path"] if row["backend"] == "trtllm" else None


def _heads_split_unevenly(row: dict[str, str], *, wide_ep: bool) -> bool:
    """A row whose tensor parallelism does not divide its model's attention heads: a layout
    no engine starts (vLLM: "Total number of attention heads must be divisible by tensor
    parallel size"; SGLang and TensorRT-LLM check the same), so what ran is unknown — the
    dump's GB200 DeepSeek-R1 rows of ``tp`` 12-72 (128 heads). Wide-EP rows run attention
    data-parallel, one whole set of heads per rank."""
    try:
        heads = CATALOG.model(_catalog_model(row)).architecture.num_attention_heads
    except PredeployError:
        return False
    return not wide_ep and heads % int(row["tp_size"]) != 0


def _expert_parallel_flag(row: dict[str, str]) -> str | None:
    """The engine flag of a row whose experts are spread whole over ``moe_ep`` groups of the
    tensor-parallel GPUs (attention stays tensor-parallel), in the engine's own spelling."""
    ep = row["moe_ep_size"]
    if not ep.isdigit() or int(ep) < 2:
        return None
    if row["backend"] == "vllm":
        return "--enable-expert-parallel" if ep == row["tp_size"] else None
    return f"--ep_size {ep}" if row["backend"] == "trtllm" else f"--ep-size {ep}"


def _catalog_model(row: dict[str, str]) -> str:
    """The catalogue model a row's checkpoint is."""
    return AIC_MODELS.get(row["model_path"], (row["model_path"], None))[0]


def _precision(row: dict[str, str]) -> str | None:
    """A row's weight precision: its checkpoint's, else its GEMM mode's, else its own column."""
    implied = AIC_MODELS.get(row["model_path"], (row["model_path"], None))[1]
    return implied or AIC_PRECISION.get(row["gemm_quant_mode"]) or (row["precision"] or None)


def _weights_fit(row: dict[str, str], gpus: int) -> bool:
    """Whether the row's model at its precision fits its accelerator's memory on ``gpus``
    GPUs (the weights alone; an unknown model or precision is taken to fit)."""
    try:
        arch = CATALOG.model(_catalog_model(row)).architecture
        gpu = CATALOG.gpu(AIC_SYSTEMS[row["system"]])
        weights = weight_bytes_per_gpu(arch, Precision(_precision(row)), gpus)
    except (PredeployError, KeyError, ValueError):
        return True
    return weights < device_bytes(gpu)


def recode_squared_ep(row: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """AIConfigurator's database dump codes an ``--tp k --ep k`` run (attention over ``k``
    GPUs, the experts spread over the same ``k``) as ``tp_size`` (or, with attention data
    parallelism, ``attention_dp_size``) ``k²`` with ``moe_tp_size = moe_ep_size = k``: its
    ids say ``tp8_ep8`` and 71 of its measurements appear a second time coded as ``tp k,
    moe_ep k``. Such a row is recoded to the ``k`` GPUs it ran on (with a note saying so),
    unless its weights do not fit on ``k`` of its GPUs: then it ran on the ``k²`` it states
    (Qwen3-235B-A22B in FP8 on four H100s, ``tp4`` in its id, experts split ``moe_tp 2 ×
    moe_ep 2``)."""
    moe_tp, moe_ep = row["moe_tp_size"], row["moe_ep_size"]
    if not (moe_tp.isdigit() and moe_tp == moe_ep and int(moe_tp) > 1):
        return row, None
    k = int(moe_tp)
    if not _weights_fit(row, k):
        return row, None
    squared = str(k * k)
    if row["tp_size"] == squared and row["attention_dp_size"] in ("", "0", "1"):
        recoded = {**row, "tp_size": str(k), "moe_tp_size": "1"}
    elif row["attention_dp_size"] == squared and row["tp_size"] in ("", "1"):
        recoded = {**row, "attention_dp_size": str(k), "moe_tp_size": "1"}
    else:
        return row, None
    return recoded, (
        f"recoded from tp_size {row['tp_size']}, attention_dp_size "
        f"{row['attention_dp_size'] or '-'}, moe_tp {k}, moe_ep {k}: AIConfigurator's "
        f"coding of a --tp {k} --ep {k} run on {k} GPUs"
    )


def _measurement_key(raw: dict[str, Any]) -> tuple[Any, ...]:
    """What one run measured: the same scenario and figures filed under two ids is one run."""
    fields: tuple[str, ...] = ("model", "gpu", "gpu_count", "tp", "precision", "engine")
    fields += ("input_tokens", "output_tokens", "engine_args")
    return (
        *(raw.get(f) for f in fields),
        raw["load"]["value"],
        tuple(sorted(raw["metrics"].items())),
    )


def aiconfigurator_records(csv_path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    with csv_path.open(newline="", encoding="utf-8") as f:
        for n, raw_row in enumerate(csv.DictReader(f), 2):
            if raw_row["mode"] != "agg" or raw_row["pp_size"] not in ("", "1"):
                continue
            row, recoded = recode_squared_ep(raw_row)
            wide_ep = _wide_ep(row)
            if row["system"] not in AIC_SYSTEMS:
                continue
            if row["attention_dp_size"] not in ("", "0", "1") and not wide_ep:
                continue
            if _experts_beyond_attention(row) or _heads_split_unevenly(row, wide_ep=wide_ep):
                continue
            model, precision = _catalog_model(row), _precision(row)
            tp = int(row["tp_size"])
            concurrency = float(row["batch_size"])
            extra: dict[str, Any] = {}
            if wide_ep:
                # batch_size is per attention rank; the run's concurrency is all ranks' together.
                tp = int(row["attention_dp_size"])
                concurrency *= tp
                extra["engine_args"] = f"{row['backend']} --enable_attention_dp"
            elif (ep_flag := _expert_parallel_flag(row)) is not None:
                extra["engine_args"] = f"{row['backend']} {ep_flag}"
            notes = [
                f"row {row['id']}",
                f"checkpoint {row['model_path']}",
                f"gemm {row['gemm_quant_mode'] or 'none'}, moe {row['moe_quant_mode'] or 'none'}",
                f"moe_tp {row['moe_tp_size'] or '-'}, moe_ep {row['moe_ep_size'] or '-'}",
                row["silicon_data_source"],
            ]
            if recoded:
                notes.append(recoded)
            if wide_ep:
                notes.append(
                    f"attention_dp {tp} with moe_ep {tp}: engine_args composed from these columns "
                    f"(data-parallel attention, experts spread over the GPUs); concurrency = "
                    f"batch_size {row['batch_size']} per attention rank x {tp}"
                )
            raw = {
                "id": f"{AIC_SOURCE_KEY}/{row['id']}",
                "model": model,
                "gpu": AIC_SYSTEMS[row["system"]],
                "gpu_count": tp,
                "tp": tp,
                "pp": 1,
                "precision": precision,
                "engine": row["backend"],
                "engine_version": _engine_version(row),
                "input_tokens": int(row["isl"]),
                "output_tokens": int(row["osl"]),
                "dataset": "fixed",
                "load": {"kind": "concurrency", "value": concurrency},
                "metrics": {
                    "ttft_ms_mean": round(float(row["silicon_ttft_ms"]), 4),
                    "tpot_ms_mean": round(float(row["silicon_tpot_ms"]), 4),
                },
                "checkpoint": _stated_checkpoint(row),
                "source_key": AIC_SOURCE_KEY,
                "provenance": {
                    "source": AIC_SOURCE,
                    "kind": "measured",
                    "url": AIC_URL,
                    "date": _measured_date(row["silicon_data_source"]),
                    "notes": "; ".join(notes),
                },
                **extra,
            }
            key = _measurement_key(raw)
            if key in seen:
                continue  # the same run under a second id
            seen.add(key)
            out.append(_record(raw, f"{csv_path}:{n}"))
    return out


def write(records: list[dict[str, Any]], path: Path) -> None:
    records = sorted(records, key=lambda r: str(r["id"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records),
        encoding="utf-8",
    )
    tmp.replace(path)
    print(f"wrote {len(records)} records to {path.relative_to(REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument(
        "--aiconfigurator",
        type=Path,
        default=Path("/tmp/aic/x/aiconfigurator_core/systems/silicon_sample.csv"),
    )
    args = parser.parse_args()
    write(public_records(args.shared), OUT_DIR / PUBLIC_FILE)
    write(aiconfigurator_records(args.aiconfigurator), OUT_DIR / AIC_FILE)
    print(f"built {dt.date.today().isoformat()}")


if __name__ == "__main__":
    main()
