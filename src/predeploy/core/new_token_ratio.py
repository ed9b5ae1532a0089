"""SGLang's optimistic admission: the ``new_token_ratio`` and retraction of decoding requests.

SGLang does not reserve a running request's whole answer. Its scheduler
(``python/sglang/srt/managers/scheduler.py``, ``schedule_policy.py`` ``PrefillAdder``,
``schedule_batch.py`` ``retract_decode``; constants in ``global_config.py``/``environ.py``):

* **Admission.** A waiting request joins a prefill batch while its prompt plus its remaining
  requested tokens (``max_new_tokens`` less those already generated, clipped at
  :data:`CLIP_MAX_NEW_TOKENS`) is below what the pool has left: the free tokens, less the
  running requests' remaining requested tokens *times the ratio*, less what the requests
  admitted to the same batch already claimed (their prompt in full, and their answers in full
  too when the whole prompt is in this batch).
* **The ratio** starts at :data:`INIT_NEW_TOKEN_RATIO`, falls by ``(init − min)/600`` every
  decode step to ``init × 0.14``, and returns to ``init`` when the server idles: the longer
  a batch decodes without trouble, the more optimistic admission gets.
* **Retraction.** When a decode step finds fewer free tokens than it needs, the decoders with
  the fewest generated tokens (then the longest prompts) are retracted, at least one and
  until :data:`RETRACT_DECODE_STEPS` tokens per remaining decoder are free. A retracted
  request frees its cache, keeps its output so far and goes to the back of the waiting queue;
  when admitted again it prefills its prompt and that output. The ratio becomes ``(Σ generated
  + 20·n)/(Σ max_new_tokens + 1)`` of the ``n`` decoders kept, at most 1.

In a benchmark client the requested tokens are the dataset's output lengths, so the simulation
takes each request's output length as its ``max_new_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: SGLang's ``SGLANG_INIT_NEW_TOKEN_RATIO`` (global_config.py: 0.7), times the default
#: ``--schedule-conservativeness`` 1.0.
INIT_NEW_TOKEN_RATIO = 0.7
#: ``--schedule-conservativeness`` with data-parallel attention: SGLang multiplies it by 0.3
#: (server_args.py ``_handle_data_parallelism``): a rank admits on a ratio of 0.21, not 0.7.
DP_ATTENTION_CONSERVATIVENESS = 0.3
#: ``SGLANG_MIN_NEW_TOKEN_RATIO_FACTOR`` (0.14): the floor is ``init × 0.14``.
MIN_NEW_TOKEN_RATIO_FACTOR = 0.14
#: ``SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS`` (600): decode steps from ``init`` to the floor.
NEW_TOKEN_RATIO_DECAY_STEPS = 600
#: ``retract_decode_steps`` (20): free tokens per decoder a retraction makes room for.
RETRACT_DECODE_STEPS = 20
#: ``SGLANG_CLIP_MAX_NEW_TOKENS_ESTIMATION`` (4096): requested tokens counted per request.
CLIP_MAX_NEW_TOKENS = 4096


@dataclass(slots=True)
class NewTokenRatio:
    """The scheduler's current ratio, with SGLang's default schedule."""

    init: float = INIT_NEW_TOKEN_RATIO
    current: float = INIT_NEW_TOKEN_RATIO
    floor: float = field(init=False)
    #: The fall per decode step.
    decay: float = field(init=False)

    @classmethod
    def with_conservativeness(cls, conservativeness: float) -> NewTokenRatio:
        """The schedule of ``--schedule-conservativeness`` (the init ratio scales with it)."""
        init = min(INIT_NEW_TOKEN_RATIO * conservativeness, 1.0)
        return cls(init=init, current=init)

    def __post_init__(self) -> None:
        self.floor = min(self.init * MIN_NEW_TOKEN_RATIO_FACTOR, 1.0)
        self.decay = (self.init - self.floor) / NEW_TOKEN_RATIO_DECAY_STEPS

    def decode_steps(self, steps: int) -> None:
        """``steps`` decode steps ran without a retraction."""
        self.current = max(self.current - steps * self.decay, self.floor)

    def reset(self) -> None:
        """The server idled."""
        self.current = self.init

    def after_retraction(self, generated: int, requested: int, decoders: int) -> None:
        """The estimate from the ``decoders`` kept: ``generated`` tokens of ``requested``."""
        self.current = min((generated + RETRACT_DECODE_STEPS * decoders) / (requested + 1), 1.0)


def schedule_conservativeness(dp_attention: bool) -> float:
    """SGLang's ``--schedule-conservativeness`` as it runs: the default 1.0, times
    :data:`DP_ATTENTION_CONSERVATIVENESS` under data-parallel attention."""
    return DP_ATTENTION_CONSERVATIVENESS if dp_attention else 1.0


def initial_ratio(dp_attention: bool) -> float:
    """The ratio a server starts from (and returns to when idle): the share of the running
    requests' requested tokens its admission counts while they have decoded little."""
    return NewTokenRatio.with_conservativeness(schedule_conservativeness(dp_attention)).init


def clipped(tokens: int) -> int:
    """Requested tokens as the admission counts them."""
    return min(max(tokens, 0), CLIP_MAX_NEW_TOKENS)
