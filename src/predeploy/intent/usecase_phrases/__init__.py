"""The phrase table of use-case cues: (regex, use case, weight) per way people name what the
model is for. Scored in :mod:`predeploy.intent.usecase`.

Weights: 5 = names the use case, 3-4 = strong cue, 1-2 = supporting cue. Tuned on our own test
requests, not on the development set. The table is kept by use-case family, one module each:
:mod:`.dialogue` (customer service, chatbots), :mod:`.programming` (code completion and
generation), :mod:`.documents` (retrieval QA, summarization), :mod:`.writing` (content,
translation) and :mod:`.batch` (batch processing).
"""

from __future__ import annotations

from predeploy.core.types import UseCase
from predeploy.intent.usecase_phrases.batch import BATCH_PHRASES
from predeploy.intent.usecase_phrases.dialogue import DIALOGUE_PHRASES
from predeploy.intent.usecase_phrases.documents import DOCUMENT_PHRASES
from predeploy.intent.usecase_phrases.programming import PROGRAMMING_PHRASES
from predeploy.intent.usecase_phrases.writing import WRITING_PHRASES

#: (phrase regex, use case, weight), every family's cues in one table.
USE_CASE_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
    *DIALOGUE_PHRASES,
    *PROGRAMMING_PHRASES,
    *DOCUMENT_PHRASES,
    *WRITING_PHRASES,
    *BATCH_PHRASES,
)
