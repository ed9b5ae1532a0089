"""Canonical names for accelerators and models, with "did you mean" suggestions.

One function per kind canonicalizes what users type ("nvidia a100 80gb", "H100s", "llama 70b")
to the catalog's names; anything unmatched raises :class:`UnknownNameError` with suggestions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from predeploy.core.errors import UnknownNameError
from predeploy.core.types import GpuSpec, ModelCard

_VENDOR_WORDS = re.compile(r"\b(nvidia|amd|instinct|tesla|geforce|radeon|gpus?|cards?)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9.]+")


def name_key(raw: str) -> str:
    """Comparison key without case, vendor words or punctuation: "NVIDIA A100-80GB" → "a10080gb"."""
    text = _VENDOR_WORDS.sub(" ", raw.lower())
    text = _NON_ALNUM.sub("", text)
    return text.rstrip(".")


def _plural_stripped(key: str) -> str:
    return key[:-1] if key.endswith("s") and len(key) > 2 and key[-2].isdigit() else key


def _suggest(name: str, spellings: Mapping[str, str], limit: int = 3) -> list[str]:
    """Up to ``limit`` canonical names whose spellings (name, label, alias → canonical) look
    like ``name``; an alias match suggests its canonical name, never the alias itself."""
    by_lower = {spelling.lower(): canonical for spelling, canonical in spellings.items()}
    hits = difflib.get_close_matches(name.lower(), list(by_lower), n=limit * 3, cutoff=0.45)
    if not hits:
        key = name_key(name)
        hits = [s for s in by_lower if key and key in name_key(s)]
    return list(dict.fromkeys(by_lower[h] for h in hits))[:limit]


#: Words of a datasheet or system label that do not tell accelerators apart (form factor,
#: memory technology, system brand) and parenthesized remarks: "H200 SXM 141GB",
#: "NVIDIA H100 80GB HBM3", "B200 180GB (DGX B200)" name catalogue GPUs once they are dropped.
_SPEC_WORDS = re.compile(r"\([^)]*\)|\b(sxm\d?|oam|hbm\d?e?|module|accelerator|dgx|hgx)\b")
#: A stated memory size ("141GB", "80 GB", "94G").
_MEMORY_SIZE = re.compile(r"\b(\d{2,3})\s*g(?:b|ib)?\b")
#: How far a stated memory size may be from a catalogue GPU's (vendors round: 141 vs 144 GB).
MEMORY_MATCH_TOLERANCE = 0.1


def _gpu_keys(gpu: GpuSpec) -> set[str]:
    return {name_key(gpu.name), name_key(gpu.label), *(name_key(a) for a in gpu.aliases)}


def _exact_gpu(key: str, gpus: Sequence[GpuSpec]) -> GpuSpec | None:
    # Exact key first ("L40S" is a GPU, not the plural of "L40"), then the plural-stripped one.
    for candidate in dict.fromkeys((key, _plural_stripped(key))):
        for gpu in gpus:
            if candidate in _gpu_keys(gpu):
                return gpu
    return None


def resolve_gpu(name: str, gpus: Sequence[GpuSpec]) -> GpuSpec:
    """The accelerator a user means by ``name`` (canonical name, label or alias; also a
    datasheet label whose form-factor, memory-technology and system words the aliases lack,
    and a family name with a memory size that singles one out: "RTX 6000 Ada 48GB")."""
    spec = _SPEC_WORDS.sub(" ", name.lower())
    found = _exact_gpu(name_key(name), gpus) or _exact_gpu(name_key(spec), gpus)
    if found is None and (size := _MEMORY_SIZE.search(spec)):
        family = _exact_gpu(name_key(_MEMORY_SIZE.sub(" ", spec)), gpus)
        stated_gb = float(size.group(1))
        if family and abs(family.memory_gb - stated_gb) <= MEMORY_MATCH_TOLERANCE * stated_gb:
            found = family
    if found is not None:
        return found
    spellings = {s: g.name for g in gpus for s in (g.name, g.label, *g.aliases)}
    raise UnknownNameError("GPU", name, _suggest(name, spellings))


#: A checkpoint suffix that names a quantization of a released architecture ("-FP8",
#: "-AWQ", "-GPTQ-Int4", "-W8A8", "-NVFP4", "-GGUF", ...) or a later release or variant of it
#: ("-2507", "-0905", "-Terminus", "-Exp", "-Instruct", "-Thinking", "-Base"): the shared
#: calibration convention gives such checkpoints their base model's id, and a name the
#: catalogue lacks is read as the checkpoint of the one it names without them.
_CHECKPOINT_SUFFIX = re.compile(
    r"-(fp8(-(dynamic|static)(-per-?tensor)?)?|awq|gptq(-int[48])?|int[48]|w8a8|w4a16|w4a8"
    r"|nvfp4|mxfp4|fp4|bnb-4bit|gguf|\d{4}|terminus|exp|instruct|thinking|base|chat|hf)$",
    re.IGNORECASE,
)


def _matching_model(name: str, models: Sequence[ModelCard]) -> ModelCard | None:
    lowered = name.strip().lower()
    for model in models:
        if model.id.lower() == lowered:
            return model
    key = name_key(name)
    for model in models:
        keys = {
            name_key(model.id),
            name_key(model.id.split("/", 1)[-1]),
            name_key(model.name),
            *(name_key(a) for a in model.aliases),
            *(name_key(a.split("/", 1)[-1]) for a in model.aliases if "/" in a),
        }
        if key in keys:
            return model
    return None


def resolve_model(name: str, models: Sequence[ModelCard]) -> ModelCard:
    """The catalog model a user means by ``name`` (Hugging Face id, display name or alias;
    else a quantized or later checkpoint of one, :data:`_CHECKPOINT_SUFFIX`: the suffixes
    dropped one at a time, with or without the publisher's prefix)."""
    found = _matching_model(name, models)
    stem = name.strip()
    while found is None and (suffix := _CHECKPOINT_SUFFIX.search(stem)):
        stem = stem[: suffix.start()]
        found = _matching_model(stem, models) or _matching_model(stem.split("/", 1)[-1], models)
    if found is not None:
        return found
    spellings = {s: m.id for m in models for s in (m.id, m.name, *m.aliases)}
    raise UnknownNameError("model", name, _suggest(name, spellings))
