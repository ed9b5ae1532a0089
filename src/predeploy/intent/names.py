"""Finding GPU and model names in free text, normalized to the catalog's canonical names.

The index is built from the catalog alone (names, labels, aliases, model ids), so any catalog
works. Model ids also match without their packaging suffixes ("Llama-3.1-8B-Instruct" is found
as "Llama 3.1 8B"; "Mistral-7B-Instruct-v0.3" as "Mistral 7B Instruct"); a GPU family name
("A100", "H100s") matches every catalog GPU of that family unless an alias picks one. Only
canonical catalog names leave this module: user text never becomes a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from predeploy.core.catalog import Catalog
from predeploy.core.errors import UnknownNameError
from predeploy.core.names import name_key, resolve_gpu, resolve_model
from predeploy.core.types import GpuSpec
from predeploy.intent.draft import GpuMention
from predeploy.intent.text import Doc

#: Suffix tokens of model ids that people leave out when they name a model.
_PACKAGING_SUFFIX = re.compile(
    r"^(?:instruct|it|chat|hf|base|v\d+(?:\.\d+)*|\d+k|fp8|awq|gptq|bf16|2407|2409|2501|2503)$"
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9.+]*(?:-[a-z0-9.+]+)*")
#: Words before a model name that make it a requirement rather than a wish.
_REQUIRED = re.compile(
    r"\b(?:must|has to|have to|needs? to|require[sd]?|requirement|only|mandated|locked (?:in|to)"
    r"|stuck with|no other|exclusively|standardi[sz]ed on)\b"
)
_EXCLUDED = re.compile(r"\b(?:no|not|without|avoid|except|excluding|never|don't|cannot|can't)\b")
#: Where a negation stops reaching forward: a contrast ("but", "instead") or a new clause
#: about what the user has ("no H100s, we have L40S"; "not A10G and we run L4"). A list
#: ("no A10G, L4 or L40S") and "we don't have H100s" keep the negation.
_SCOPE_BREAK = re.compile(
    r"\b(?:but|instead|however|rather|though)\b"
    r"|(?:[,:;]|\s-\s|\band\b)\s*(?:(?:we|i|they)(?:'ve|'re|'d)?|there(?:'s| is| are))\b"
)
_COUNT = r"\d{1,3}(?:,\d{3})+|\d{1,6}"  # 1,000 or 1000: a whole number, never a longer one's tail
_GPU_COUNT = re.compile(
    rf"(?:(?<![\d.,])(?P<n>{_COUNT})\s*(?:x|×|\*)?\s*|(?<![\d.,])(?P<n2>{_COUNT})\s+)$"
)
_GPU_COUNT_AFTER = re.compile(r"^\s*(?:x|×)\s*(?P<n>\d{1,5})\b")
#: Longest span of text tokens tried as one name.
MAX_NAME_TOKENS = 6
#: A GPU named by its bare model number ("3090", "4090s") is a quantity instead when a unit
#: follows ("4090 tokens", "3,000 users") or it is one end of a range ("30-80 pages",
#: "2000-4090 tokens").
_BARE_NUMBER = re.compile(r"^[\d\s-]+$")
#: A bare number split by a hyphen or a space ("30-80") is a range, not a model number.
_SPLIT_NUMBER = re.compile(r"[-–\s]")
_QUANTITY_AFTER = re.compile(
    r"^\s*(?:[-–]|to\s+\d|(?:k|m|tokens?|toks?|words?|pages?|users?|requests?|reqs?|rps|qps"
    r"|ms|s|secs?|seconds?|minutes?|chars?|characters?|lines?|docs?|documents?|employees"
    r"|customers|people|members|agents|sessions|queries|calls|conversations)\b|%|/)"
)
_RANGE_BEFORE = re.compile(r"\d\s*(?:[-–]|to)\s*$")
#: A parameter count in a model name: "70b", "8x7b", "1.5b".
_SIZE_TOKEN = re.compile(r"^\d+(?:\.\d+)?(?:x\d+)?b$")
#: A parameter count said apart from the family: "the 70B one", "its 8x7B variant", "the
#: 70-billion-parameter version".
_SIZE_IN_TEXT = re.compile(r"(?<![\w.-])(?P<size>\d+(?:\.\d+)?(?:x\d+)?)\s?(?:b|[- ]?billion)\b")
#: Longest family name tried ("deepseek r1 distill llama"), in text tokens.
MAX_FAMILY_TOKENS = 4


@dataclass(frozen=True)
class NameHit:
    """Canonical names found at one span of the text."""

    names: tuple[str, ...]
    start: int
    end: int
    family: bool = False
    #: Where the mention begins when a part of it comes first ("the 70B one from the Llama
    #: 3.1 family" begins at "70B").
    said_from: int | None = None


def _model_keys(model_id: str, name: str, aliases: Sequence[str]) -> tuple[set[str], set[str]]:
    """Exact keys (id, name, aliases) and derived keys (id without packaging suffixes)."""
    tail = model_id.split("/", 1)[-1]
    exact = {name_key(model_id), name_key(tail), name_key(name), *(name_key(a) for a in aliases)}
    derived: set[str] = set()
    for base in (tail, name):
        parts = re.split(r"[- ]", base.lower())
        while len(parts) > 1 and _PACKAGING_SUFFIX.match(parts[-1]):
            parts = parts[:-1]
            derived.add(name_key("-".join(parts)))
    # Keys of two characters ("r1") are too ambiguous to find in free text.
    return {k for k in exact if len(k) >= 3}, {k for k in derived - exact if len(k) >= 3}


def _family_and_size(base: str) -> tuple[str, str] | None:
    """ "Llama 3.1 70B Instruct" → ("llama31", "70b"): the words before the parameter count
    and the count, as name keys; ``None`` without a count."""
    parts = re.split(r"[- ]", base.lower())
    at = next((i for i, p in enumerate(parts) if _SIZE_TOKEN.match(p)), None)
    if at is None or at == 0:
        return None
    family = name_key(" ".join(parts[:at]))
    return (family, parts[at]) if len(family) >= 3 else None


class NameIndex:
    """Lookup of catalog GPU and model names by normalized key."""

    def __init__(self, catalog: Catalog) -> None:
        self.gpu_specs: tuple[GpuSpec, ...] = tuple(catalog.gpus())
        self._models = tuple(catalog.models())
        self.gpu_keys: dict[str, tuple[str, ...]] = {}
        for gpu in self.gpu_specs:
            for raw in (gpu.name, gpu.label, *gpu.aliases):
                self._add(self.gpu_keys, name_key(raw), gpu.name)
        self.gpu_family: dict[str, tuple[str, ...]] = {}
        for gpu in self.gpu_specs:
            family = name_key(re.split(r"[- (]", gpu.name, maxsplit=1)[0])
            if family and family not in self.gpu_keys:
                self._add(self.gpu_family, family, gpu.name)
        self.model_keys: dict[str, tuple[str, ...]] = {}
        derived: dict[str, tuple[str, ...]] = {}
        for model in self._models:
            exact, more = _model_keys(model.id, model.name, model.aliases)
            for key in exact:
                self._add(self.model_keys, key, model.id)
            for key in more:
                self._add(derived, key, model.id)
        for key, ids in derived.items():
            # A derived key only counts when it is not an exact key and names one model.
            if key not in self.model_keys and len(ids) == 1:
                self.model_keys[key] = ids
        # family → size → ids, for a size said apart from the family ("the 70B one from the
        # Llama 3.1 family"); a (family, size) pair counts when it names one model
        sized: dict[tuple[str, str], tuple[str, ...]] = {}
        for model in self._models:
            for base in (model.id.split("/", 1)[-1], model.name):
                pair = _family_and_size(base)
                if pair is not None:
                    self._add(sized, pair, model.id)
        self.family_sizes: dict[str, dict[str, tuple[str, ...]]] = {}
        for (family, size), ids in sized.items():
            if len(ids) == 1:
                self.family_sizes.setdefault(family, {})[size] = ids
        self._family_first_chars = {k[:2] for k in self.family_sizes}
        # Words that start a name: only spans starting with one of them are tried.
        self._first_chars = {k[:2] for k in (*self.gpu_keys, *self.gpu_family, *self.model_keys)}

    @staticmethod
    def _add(table: dict[Any, tuple[str, ...]], key: Any, name: str) -> None:
        if key and name not in table.get(key, ()):
            table[key] = (*table.get(key, ()), name)

    def gpu(self, raw: str) -> tuple[str, ...]:
        """Canonical GPU names for a name as typed (a family gives all its members)."""
        key = name_key(raw)
        for candidate in (key, key[:-1] if key.endswith("s") else key):
            if candidate in self.gpu_keys:
                return self.gpu_keys[candidate]
            if candidate in self.gpu_family:
                return self.gpu_family[candidate]
        try:
            return (resolve_gpu(raw, self.gpu_specs).name,)
        except UnknownNameError:
            return ()

    def model(self, raw: str) -> tuple[str, ...]:
        """Catalog model ids for a model name as typed."""
        key = name_key(raw)
        if key in self.model_keys:
            return self.model_keys[key]
        try:
            return (resolve_model(raw, self._models).id,)
        except UnknownNameError:
            return ()

    def suggest_gpu(self, raw: str) -> UnknownNameError:
        try:
            resolve_gpu(raw, self.gpu_specs)
        except UnknownNameError as exc:
            return exc
        return UnknownNameError("GPU", raw, [])

    def suggest_model(self, raw: str) -> UnknownNameError:
        try:
            resolve_model(raw, self._models)
        except UnknownNameError as exc:
            return exc
        return UnknownNameError("model", raw, [])

    def scan(self, doc: Doc) -> tuple[list[NameHit], list[NameHit]]:
        """GPU and model mentions in the working text, longest match first; consumes them."""
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(doc.work)]
        gpu_hits: list[NameHit] = []
        model_hits: list[NameHit] = []
        i = 0
        while i < len(tokens):
            hit = self._match_at(doc, tokens, i)
            if hit is None:
                i += 1
                continue
            kind, names, j, family = hit
            start, end = tokens[i][0], tokens[j - 1][1]
            target = gpu_hits if kind == "gpu" else model_hits
            target.append(NameHit(names, start, end, family))
            i = j
        taken = [(h.start, h.end) for h in (*gpu_hits, *model_hits)]
        model_hits += self._family_hits(doc, tokens, taken)
        model_hits.sort(key=lambda h: h.start)
        for h in (*gpu_hits, *model_hits):
            doc.consume(h.start, h.end)
        return gpu_hits, model_hits

    def _family_hits(
        self, doc: Doc, tokens: list[tuple[int, int, str]], taken: list[tuple[int, int]]
    ) -> list[NameHit]:
        """Models named by family and size apart: "the 70B one from the Llama 3.1 family",
        "Qwen3, at 32B". The size is the nearest one in the same clause that, with the
        family, names one catalog model; the hit spans both and consumes them."""
        hits: list[NameHit] = []
        if _SIZE_IN_TEXT.search(doc.work) is None:
            return hits  # no parameter count anywhere: nothing to pair a family with
        for i in range(len(tokens)):
            if name_key(tokens[i][2])[:2] not in self._family_first_chars:
                continue
            if any(lo <= tokens[i][0] < hi for lo, hi in taken):
                continue
            for j in range(min(len(tokens), i + MAX_FAMILY_TOKENS), i, -1):
                if any(tokens[k + 1][0] - tokens[k][1] > 1 for k in range(i, j - 1)):
                    continue
                sizes = self.family_sizes.get(name_key(doc.work[tokens[i][0] : tokens[j - 1][1]]))
                if sizes is None:
                    continue
                start, end = tokens[i][0], tokens[j - 1][1]
                lo, hi = doc.clause_bounds(start)
                near = [
                    m
                    for m in _SIZE_IN_TEXT.finditer(doc.work, lo, hi)
                    if f"{m.group('size')}b" in sizes
                    and not any(a <= m.start() < b for a, b in taken)
                ]
                if near:
                    m = min(near, key=lambda m: min(abs(m.start() - end), abs(start - m.end())))
                    first = min(start, m.start())
                    hits.append(NameHit(sizes[f"{m.group('size')}b"], start, end, said_from=first))
                    taken += [(start, end), (m.start(), m.end())]
                    doc.consume(m.start(), m.end())
                break
        return hits

    def _match_at(
        self, doc: Doc, tokens: list[tuple[int, int, str]], i: int
    ) -> tuple[str, tuple[str, ...], int, bool] | None:
        if tokens[i][2][:2] not in self._first_chars and name_key(tokens[i][2])[:2] not in (
            self._first_chars
        ):
            return None
        for j in range(min(len(tokens), i + MAX_NAME_TOKENS), i, -1):
            # A name never spans a gap wider than a space or hyphen.
            if any(tokens[k + 1][0] - tokens[k][1] > 1 for k in range(i, j - 1)):
                continue
            raw = doc.work[tokens[i][0] : tokens[j - 1][1]]
            key = name_key(raw)
            if key in self.model_keys:
                return "model", self.model_keys[key], j, False
            for candidate in (key, key[:-1] if key.endswith("s") else ""):
                if candidate in self.gpu_keys:
                    if _quantity(doc.work, raw, tokens[i][0], tokens[j - 1][1]):
                        return None
                    return "gpu", self.gpu_keys[candidate], j, False
                if candidate and candidate in self.gpu_family and j == i + 1:
                    return "gpu", self.gpu_family[candidate], j, True
        return None


def _quantity(text: str, raw: str, start: int, end: int) -> bool:
    """Whether a bare model number ("4090") at ``text[start:end]`` is a quantity or a range,
    not a GPU (:data:`_QUANTITY_AFTER`)."""
    if not _BARE_NUMBER.match(raw):
        return False
    return bool(
        _SPLIT_NUMBER.search(raw.strip())
        or _QUANTITY_AFTER.match(text[end : end + 16])
        or _RANGE_BEFORE.search(text[max(0, start - 8) : start])
    )


def gpu_mentions(doc: Doc, hits: list[NameHit]) -> list[GpuMention]:
    """GPU mentions with counts ("4 H100s", "8x A100", "a single L4") and exclusions."""
    out: list[GpuMention] = []
    for hit in hits:
        before = doc.work[max(0, hit.start - 12) : hit.start]
        after = doc.work[hit.end : hit.end + 8]
        count: int | None = None
        m = _GPU_COUNT.search(before)
        if m is not None:
            count = int((m.group("n") or m.group("n2")).replace(",", ""))
            doc.consume(hit.start - (len(before) - m.start()), hit.start)
        else:
            m2 = _GPU_COUNT_AFTER.match(after)
            if m2 is not None:
                count = int(m2.group("n"))
                doc.consume(hit.end, hit.end + m2.end())
        count = count or None  # "0 A100s" states no count we can plan with
        lo, _ = doc.clause_bounds(hit.start)
        lead = _exclusion_scope(doc.text[max(lo, hit.start - 25) : hit.start])
        excluded = bool(_EXCLUDED.search(lead)) and not re.search(r"\bonly\b", lead)
        for name in hit.names:
            out.append(
                GpuMention(
                    name=name, count=count if len(hit.names) == 1 else None, excluded=excluded
                )
            )
    return out


_VENDORS = ("nvidia", "amd", "intel", "huawei")
_VENDOR_EXCLUDED = re.compile(
    rf"\b(?:no|not|without|avoid|except|excluding|never)\s+(?:any\s+)?(?P<v>{'|'.join(_VENDORS)})\b"
)
_VENDOR_ONLY = re.compile(
    rf"\b(?:only\s+(?P<a>{'|'.join(_VENDORS)})|(?P<b>{'|'.join(_VENDORS)})\s+only)\b"
)


def _exclusion_scope(lead: str) -> str:
    """The part of the words before a name that a negation in them can still reach."""
    cut = 0
    for m in _SCOPE_BREAK.finditer(lead):
        cut = m.end()
    return lead[cut:]


def vendor_exclusions(text: str, catalog_gpus: Sequence[GpuSpec]) -> list[GpuMention]:
    """GPUs ruled out by vendor: "no AMD" excludes AMD's, "NVIDIA only" everyone else's."""
    out: list[GpuMention] = []
    for m in _VENDOR_EXCLUDED.finditer(text):
        out.extend(
            GpuMention(name=g.name, excluded=True) for g in catalog_gpus if g.vendor == m.group("v")
        )
    for m in _VENDOR_ONLY.finditer(text):
        vendor = m.group("a") or m.group("b")
        out.extend(
            GpuMention(name=g.name, excluded=True) for g in catalog_gpus if g.vendor != vendor
        )
    return out


def models_required(doc: Doc, hits: list[NameHit]) -> bool:
    """Whether the text makes the named models a requirement ("must run X", "only X")."""
    for hit in hits:
        at = hit.start if hit.said_from is None else hit.said_from
        lo, _ = doc.clause_bounds(at)
        lead = doc.text[max(lo, at - 30) : at]
        tail = doc.text[hit.end : hit.end + 12]
        if _REQUIRED.search(lead) or re.match(r"\s*only\b", tail):
            return True
    return False


#: A token shaped like an accelerator model number (H900, B400, MI450, L80S, RTX 7090) said
#: where a GPU is meant: after "only/have/own/rent/use/on/prefer/need", after a count
#: ("4 x", "8"), or before "gpu(s)/card(s)", or as a plural ("H900s").
_GPU_SHAPED = re.compile(
    r"(?:(?<=\bonly )|(?<=\bhave )|(?<=\bown )|(?<=\brent )|(?<=\buse )|(?<=\busing )"
    r"|(?<=\bon )|(?<=\bprefer )|(?<=\bneed )|(?<=\d)|(?<=\dx)|(?<=\d x )|(?<=\d ))"
    r"(?P<name>(?:rtx ?|mi|gh|gb|[abhlt])\d{2,4}[a-rt-z]?)s?\b"
    r"|\b(?P<name2>(?:rtx ?|mi|gh|gb|[abhlt])\d{2,4}[a-rt-z]?)s?"
    r"(?= (?:gpus?|cards?|accelerators?)\b)"
)


def unknown_gpu_notes(doc: Doc, hits: Sequence[NameHit], gpus: Sequence[GpuSpec]) -> list[str]:
    """A note for each GPU-shaped name the catalog does not know, with "did you mean" (the
    request is planned without it; a silent drop would look like "any GPU")."""
    notes: list[str] = []
    for m in _GPU_SHAPED.finditer(doc.text):
        start = m.start("name") if m.group("name") else m.start("name2")
        if any(hit.start <= start < hit.end for hit in hits):
            continue
        name = (m.group("name") or m.group("name2")).upper()
        try:
            resolve_gpu(name, gpus)
        except UnknownNameError as error:
            hint = (f" (did you mean {' or '.join(error.suggestions)}?)"
                    if error.suggestions else "")
            notes.append(f"'{name}' is not a GPU in the catalog{hint}; planned without it")
    return list(dict.fromkeys(notes))
