"""Token-length knowledge about benchmark datasets, for scenarios that do not state lengths.

Each profile gives the mean prompt and output length and their coefficients of variation.
Most are estimates (labelled ``estimated`` with the reasoning); none is a measurement of the
scenario being predicted. A scenario's own stated means always take precedence.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from predeploy.core.errors import InputError
from predeploy.core.lengths import lognormal_mean_before_cut
from predeploy.core.types import (
    CLIENT_IGNORES_EOS,
    BenchmarkClient,
    FactKind,
    FrozenModel,
    TokenDistribution,
)


class OutputShape(FrozenModel):
    """Output lengths as a lognormal of coefficient of variation ``cv`` cut at ``max_to_mean``
    × their mean (``None``: the profile's caps), where they differ from a profile's own."""

    cv: Annotated[float, Field(ge=0)]
    max_to_mean: Annotated[float, Field(ge=1)] | None = None
    source: str


class DatasetProfile(FrozenModel):
    """Mean lengths (tokens) and coefficients of variation of one dataset."""

    name: str
    prompt_mean: Annotated[float, Field(gt=0)]
    prompt_cv: Annotated[float, Field(ge=0)] = 0.0
    output_mean: Annotated[float, Field(gt=0)]
    output_cv: Annotated[float, Field(ge=0)] = 0.0
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    #: The longest output the benchmark client lets through (a hard cap on the sampled
    #: lengths; ``None``: 20 × the mean or ``max_tokens``, whichever is larger).
    output_max_tokens: Annotated[int, Field(gt=0)] | None = None
    #: Lengths drawn up to a multiple of their mean (uniform lengths reach twice it); ``None``:
    #: the caps above.
    max_to_mean: Annotated[float, Field(ge=1)] | None = None
    #: The output lengths where the client has the engine generate each request's reference
    #: length, ignoring the end-of-sequence token (:func:`outputs_forced`), and where a
    #: client samples the dataset its own way (``client_output``); ``None`` / absent: the
    #: profile's own (the model may stop early, as ``vllm bench serve`` lets it).
    forced_output: OutputShape | None = None
    client_output: dict[BenchmarkClient, OutputShape] = Field(default_factory=dict)
    kind: FactKind
    source: str


DATASETS: dict[str, DatasetProfile] = {
    p.name: p
    for p in (
        DatasetProfile(
            name="sharegpt",
            prompt_mean=225,
            prompt_cv=1.2,
            output_mean=205,
            output_cv=2.0,
            output_max_tokens=2044,
            forced_output=OutputShape(
                cv=1.25,
                source="the same filtered random sample generated in full (python -m "
                "sglang.bench_serving, which ignores the end of sequence by default and keeps "
                "ShareGPT prompts as vllm bench serve does): DataCrunch's four SGLang runs on "
                "H200 (Llama 3.1 405B on 8, Llama 3.3 70B on 4, 1,200-2,400 prompts at 4 and "
                "8 requests/s, 189-192 output tokens on average) measure E2E p50 / mean "
                "0.62-0.64 with TTFT under 3 % of E2E, which a lognormal of CV 1.25 (cut at "
                "2,044 tokens) gives (0.63)",
            ),
            client_output={
                BenchmarkClient.GPUSTACK_BENCHMARK: OutputShape(
                    cv=0.78,
                    max_to_mean=3.0,
                    source="GPUStack's GuideLLM runs of Qwen3.5-9B on one H100 "
                    "(docs/performance-lab/qwen3.5-9b: its adapter's first 1,000 ShareGPT first "
                    "turns, 281 output tokens on average, generated in full): at 1 and 4 "
                    "requests/s, (E2E - mean TTFT) / its mean is 0.88 at the median, 2.58-2.62 "
                    "at p95 and 3.01-3.04 at p99, which a lognormal of CV 0.78 cut at 2.9x its "
                    "mean matches best (0.81 / 2.53 / 2.99); a plain lognormal cannot (p99/p95 "
                    "is only 1.16): the first conversations' answers stop near 3x their mean",
                ),
            },
            kind=FactKind.DERIVED,
            source="means of the stated input/output totals of GPUStack performance-lab ShareGPT "
            "runs (vllm bench serve, ShareGPT_V3_unfiltered_cleaned_split: 219-229 prompt, "
            "201-217 output tokens per request); CVs estimated: the prompt's for conversational "
            "turns; the output's 2.0 because ShareGPT answers are heavily skewed, many under 20 "
            "tokens (CentML flexible-inference-bench PR #103), which a lognormal of this mean "
            "reaches at CV 2 (11 % under 20 tokens; at CV 1, 0.8 %); vllm bench serve keeps "
            "only prompts of 4-1,024 tokens with prompt + output <= 2,048 (vllm/benchmarks/"
            "datasets.py is_valid_sequence), so no output exceeds 2,044 tokens, and it lets the "
            "model stop at its own end of sequence",
        ),
        DatasetProfile(
            name="mlperf-llama2-70b",
            prompt_mean=5_463_976 / 24_576,
            prompt_cv=0.6,
            output_mean=294.45,
            output_cv=0.62,
            max_tokens=2048,
            kind=FactKind.ESTIMATED,
            source="MLPerf llama2-70b OpenOrca GPT-4 subset (24,576 samples drawn equally from "
            "the cot/flan/niv/t0 origins, Llama-2 chat template, inputs and outputs under 1,024 "
            "tokens: mlcommons/inference language/llama2-70b/processorca.py); mean input "
            "222.3 tokens: 5,463,976 input tokens over the 24,576 rows, 48-1,021 each, of "
            "open_orca_gpt4_tokenized_llama.sampled_24576.pkl (sha256 ec34d70f..., as recorded "
            "by FlashLab-MBZUAI/HBFSim validation/calibration/"
            "h100-llama2-70b-calibration-protocol.json); reference output 294.45 tokens/sample "
            "(language/llama2-70b/README.md); output CV 0.62 derived from the MLPerf v5.1 "
            "Server and Interactive results (median over 97): (E2E − TTFT p50) ÷ TPOT p50 "
            "puts the output's p50 at 245 tokens, mean/p50 at 1.16, p90/p50 at 2.09 and "
            "p99/p50 at 3.8, a lognormal of σ 0.57; the prompt CV is estimated",
        ),
        DatasetProfile(
            name="mlperf-mixtral-8x7b",
            prompt_mean=450,
            prompt_cv=0.7,
            output_mean=146,
            output_cv=0.8,
            max_tokens=2048,
            kind=FactKind.ESTIMATED,
            source="MLPerf mixtral-8x7b (OpenOrca + GSM8K + MBXP, 15,000 samples); about 146 "
            "output tokens/sample (NVIDIA MLPerf v5.1 README); mean input estimated",
        ),
        DatasetProfile(
            name="mlperf-llama3.1-405b",
            prompt_mean=9400,
            prompt_cv=0.4,
            output_mean=684.68,
            output_cv=0.24,
            max_tokens=22000,
            kind=FactKind.ESTIMATED,
            source="MLPerf llama3.1-405b long-context mix (8,313 samples, inputs up to ~20K "
            "tokens); 684.68 output tokens/sample accuracy target (mlcommons/inference "
            "language/llama3.1-405b/README.md); mean input estimated; CVs derived from the "
            "MLPerf v5.1 Server and Interactive results (median over 26): (E2E − TTFT p50) ÷ "
            "TPOT p50 puts the output's p50 at 700 tokens, p90/p50 at 1.37 and p99/p50 at "
            "1.7, a lognormal of σ 0.24 (answers cluster near the mean; a few short ones pull "
            "the mean below the median); TTFT p90/p50 is 1.65 and p99/p50 2.5 at the lightest "
            "loads, where prefill of these long prompts dominates it: a prompt σ of at most "
            "0.39",
        ),
        DatasetProfile(
            name="mlperf-llama3.1-8b",
            prompt_mean=780,
            prompt_cv=0.45,
            output_mean=128.5,
            output_cv=0.02,
            max_tokens=2048,
            kind=FactKind.ESTIMATED,
            source="MLPerf llama3.1-8b CNN/DailyMail summarization (13,368 samples, summaries "
            "capped at 128 new tokens); output mean derived from the published results: output "
            "tokens/s ÷ samples/s = 128-129 in all 22 MLPerf Inference v5.1 Offline and Server "
            "results (e.g. 143,309 / 1,111.1), i.e. nearly every sample runs to the cap (CV "
            "estimated at 0.02); article length estimated",
        ),
        DatasetProfile(
            name="mlperf-deepseek-r1",
            prompt_mean=800,
            prompt_cv=0.8,
            output_mean=3800,
            output_cv=1.45,
            max_tokens=33000,
            kind=FactKind.ESTIMATED,
            source="MLPerf deepseek-r1 reasoning mix (4,388 samples); about 3,800 output "
            "tokens/sample in v5.1 accuracy runs; mean input estimated; output CV 1.45 derived "
            "from the MLPerf v5.1 Server results: (E2E − TTFT p50) ÷ TPOT p50 puts the "
            "output's p50 at 2,014 tokens, mean/p50 at 1.8, p90/p50 at 4.5 and p99/p50 at 9.7, "
            "a lognormal of σ about 1.07 (reasoning traces: many short, a long tail)",
        ),
        DatasetProfile(
            name="sglang-random",
            prompt_mean=512,
            prompt_cv=1.0 / math.sqrt(3.0),
            output_mean=512,
            output_cv=1.0 / math.sqrt(3.0),
            max_to_mean=2.0,
            kind=FactKind.DERIVED,
            source="sglang.bench_serving --dataset-name random with its default "
            "--random-range-ratio 0 draws each length uniformly from 1 to the nominal length L "
            "(sglang python/sglang/bench_serving.py sample_random_requests: "
            "np.random.randint(max(int(L * range_ratio), 1), L + 1)): mean about L/2, CV "
            "1/sqrt(3), none above twice the mean; modelled as a lognormal of that CV cut at "
            "twice the mean; the nominal means stand in only when a case gives none (vLLM's "
            "random dataset keeps fixed lengths at its default range ratio 0: 'fixed')",
        ),
        DatasetProfile(
            name="llama-bench",
            prompt_mean=512,
            output_mean=128,
            kind=FactKind.PUBLISHED_SPEC,
            source="llama.cpp llama-bench defaults: -p 512 -n 128 (tools/llama-bench README)",
        ),
    )
}


def outputs_forced(client: BenchmarkClient | None, ignore_eos: bool | None) -> bool:
    """Whether each request generates exactly its stated output length: the case says it
    ignored the end-of-sequence token, or its client does by default (:data:`CLIENT_IGNORES_EOS`);
    ``False`` when neither is known (the model may stop early, as ``vllm bench serve`` lets
    it)."""
    if ignore_eos is not None:
        return ignore_eos
    return client is not None and CLIENT_IGNORES_EOS[client]


def output_shape(
    profile: DatasetProfile, client: BenchmarkClient | None, ignore_eos: bool | None
) -> OutputShape | None:
    """How ``client`` samples and generates the profile's outputs where that differs from the
    profile's own shape: its own sample of the dataset generated in full, else any client's
    that ignores the end of sequence (:func:`outputs_forced`); ``None``: the profile's."""
    if not outputs_forced(client, ignore_eos):
        return None
    if client is not None and client in profile.client_output:
        return profile.client_output[client]
    return profile.forced_output


def dataset_profile(name: str) -> DatasetProfile:
    """The profile of dataset ``name``; :class:`InputError` listing the known ones if none."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise InputError(f"no length knowledge for dataset {name!r}; known: {known}") from None


def token_distribution(
    mean: float,
    cv: float,
    max_tokens: int | None = None,
    hard_max: int | None = None,
    max_to_mean: float | None = None,
) -> TokenDistribution:
    """A lognormal length distribution with ``mean`` and coefficient of variation ``cv``
    (``fixed`` when ``cv`` is 0), truncated at 20 × the mean or ``max_tokens`` (the larger) —
    at ``max_to_mean`` × the mean when given — and never above ``hard_max`` (nor below the
    mean). ``mean`` is the lengths' after the cut (a run's stated totals): the log-normal's
    own is above it (:func:`~predeploy.core.lengths.lognormal_mean_before_cut`)."""
    mean = max(float(mean), 1.0)
    if cv <= 0:
        return TokenDistribution(kind="fixed", mean=mean, stdev=0.0, max=math.ceil(mean))
    if max_to_mean is not None:
        cap = math.ceil(mean * max_to_mean)
    else:
        cap = max(max_tokens or 0, round(mean * 20))
    if hard_max is not None:
        cap = max(min(cap, hard_max), math.ceil(mean))
    before = min(lognormal_mean_before_cut(mean, cv, cap), float(cap))
    return TokenDistribution(kind="lognormal", mean=before, stdev=before * cv, max=cap)
