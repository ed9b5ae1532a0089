"""Mechanisms found by blind round 13, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading. Priorities are read through the extractor, so
the normalized text ("one" written as "1") is what the phrase tables see.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority
from predeploy.intent.rules import RuleExtractor

P = Priority


# --- priority: damage done by a failure (to a party, to the experience, seen by the audience) --


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("if a dosage comes back wrong it could cost the hospital millions", P.QUALITY),
        ("a bad figure in a filing costs our clients dearly", P.QUALITY),
        ("one laggy reply ruins the whole experience for shoppers", P.LATENCY),
        ("choppy streaming kills retention on the app", P.LATENCY),
        ("our readers notice every factual mistake", P.QUALITY),
        ("gamers notice even the slightest delay in the NPC's replies", P.LATENCY),
    ],
)
def test_damage_done_by_a_failure(rules: RuleExtractor, text: str, want: Priority) -> None:
    assert rules.read(text).priority == want


@pytest.mark.parametrize(
    "text",
    [
        "the old vendor cost the team thousands of dollars in licences",
        "we notice that usage peaks on mondays",
    ],
)
def test_damage_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None


# --- priority: time or money given for a better result names what is bought -------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("reviewers are happy to wait a bit longer for a more thorough analysis", P.QUALITY),
        ("we would gladly pay extra for well-researched answers", P.QUALITY),
        ("we'll pay more for snappier replies in the app", P.LATENCY),
        ("the team can wait a few minutes for cheaper runs", P.COST),
    ],
)
def test_what_is_waited_or_paid_for(rules: RuleExtractor, text: str, want: Priority) -> None:
    assert rules.read(text).priority == want


def test_waiting_for_an_answer_is_no_priority(rules: RuleExtractor) -> None:
    assert rules.read("callers wait for the answer while on the phone").priority is None


# --- priority: a queue worked off is throughput; the spend capped at one small item is cost ---


@pytest.mark.parametrize(
    "text",
    [
        "the only goal is clearing the backlog of scanned forms",
        "we're draining a queue of 3M support emails",
        "all we need is to work through the pile of invoices",
    ],
)
def test_queue_worked_off_is_throughput(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.THROUGHPUT


def test_waiting_in_a_queue_is_no_throughput(rules: RuleExtractor) -> None:
    assert rules.read("customers hate waiting in the phone queue").priority != P.THROUGHPUT


@pytest.mark.parametrize(
    "text",
    [
        "the monthly bill must stay within the cost of a single A10G",
        "honestly it has to fit in what one T4 costs",
    ],
)
def test_spend_capped_at_one_item_is_cost(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.COST


# --- priority: equal weights, relaxed lists, speed asked of a job -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "cost and latency are equally important to us",
        "we put equal weight on accuracy and response time",
        "speed matters just as much as accuracy for this helpdesk",
        "both price and quality matter",
    ],
)
def test_equal_weights_are_balanced(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.BALANCED


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # every aspect in the list is given up; what is left decides
        ("interns are forgiving about latency and cost, but answers must be accurate", P.QUALITY),
        ("we're not picky about speed or quality; keep it cheap", P.COST),
        # a relaxed list alone states no priority, and takes back the wishes it names
        ("testers are lenient on speed and quality", None),
        ("we'd like it fast and accurate, but our beta testers are forgiving about speed and"
         " accuracy", None),
    ],
)
def test_relaxed_lists(rules: RuleExtractor, text: str, want: Priority | None) -> None:
    assert rules.read(text).priority == want


@pytest.mark.parametrize(
    "text",
    [
        "re-embed the archive; it should run as fast as the GPUs can go",
        "the backfill needs to be done as quickly as possible",
        "no user waits on the result; the batch must finish asap",
    ],
)
def test_speed_asked_of_a_job_is_throughput(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.THROUGHPUT


def test_speed_asked_of_an_answer_stays_latency(rules: RuleExtractor) -> None:
    assert rules.read("answers must come back as fast as possible").priority == P.LATENCY


def test_nobody_waiting_relaxes_latency(rules: RuleExtractor) -> None:
    assert rules.read("nobody is waiting on these; process them fast").priority is None


# --- users: "each <group> is/has N people" and the groups counted later ------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("each squad has 9 developers, and there are 7 squads", 63),
        ("a typical clinic has about 12 nurses; we run 15 clinics", 180),
        ("Every class is 28 pupils. The school has 11 classes.", 308),
        ("one department is 40 analysts and we have 3 departments", 120),
    ],
)
def test_group_size_then_group_count(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("each team has 8 engineers", 8),
        # other groups than the ones sized
        ("each team has 8 engineers spread over 3 regions", 8),
        # more than one sentence away
        ("Each team has 8 engineers. Latency under 2 s. 3 teams.", 8),
    ],
)
def test_group_size_near_misses(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


# --- rates: a period named by an example, and the day's active window -------------------------


@pytest.mark.parametrize(
    ("text", "rps"),
    [
        ("around 8,640 questions on a typical day", 8640 / 86400),
        ("the desk gets 2,000 tickets in an average week", 2000 / (7 * 86400)),
        ("7,200 chats a day over an 8-hour business day", 7200 / (8 * 3600)),
        ("we're open 12 hours a day and answer 4,320 calls daily", 4320 / (12 * 3600)),
        ("30k lookups per day, nearly all between 8am and 6pm", 30000 / (10 * 3600)),
        ("9,000 requests a day during our 9 business hours", 9000 / (9 * 3600)),
        ("each agent closes 40 chats a day within a 10-hour shift; 90 agents", 90 * 40 / 36000),
    ],
)
def test_daily_volume_over_its_active_window(rules: RuleExtractor, text: str, rps: float) -> None:
    assert rules.read(text).requests_per_s == pytest.approx(rps, rel=1e-3)


@pytest.mark.parametrize(
    ("text", "rps"),
    [
        # a window changes only a daily volume
        ("1,800 requests an hour during a 10-hour window", 0.5),
        # a deadline bounds the job, not the arrivals: the day's average stays
        ("150k forms a day; the run must complete within an 8-hour window", 150000 / 86400),
        # a clock range needs a clock mark: "from 9 to 5" may be any numbers
        ("50k requests a day, from 9 to 5 replicas", 50000 / 86400),
    ],
)
def test_active_window_near_misses(rules: RuleExtractor, text: str, rps: float) -> None:
    assert rules.read(text).requests_per_s == pytest.approx(rps, rel=1e-3)


def test_opening_hours_are_no_rate(rules: RuleExtractor) -> None:
    assert rules.read("a bot for our shop, open 10 hours a day").requests_per_s is None


# --- budget: a day or a week is a whole number of hours --------------------------------------


@pytest.mark.parametrize(
    ("text", "hourly", "monthly"),
    [
        ("we can spend $240 a day on inference", 10.0, 240 * 365.25 / 12),
        ("budget: 1,680 dollars per week", 10.0, 1680 * 365.25 / 12 / 7),
        ("a daily budget of $72", 3.0, 72 * 365.25 / 12),
    ],
)
def test_daily_and_weekly_budgets_are_exact_per_hour(
    rules: RuleExtractor, text: str, hourly: float, monthly: float
) -> None:
    draft = rules.read(text)
    assert draft.budget_hourly_usd == pytest.approx(hourly)
    assert draft.budget_monthly_usd == pytest.approx(monthly)


def test_stated_hourly_limit_wins_over_a_daily_one(rules: RuleExtractor) -> None:
    draft = rules.read("$300 a day in total, never more than $10 an hour")
    assert draft.budget_hourly_usd == pytest.approx(10.0)


@pytest.mark.parametrize("text", ["$5,000 a month", "$30,000 a year for compute"])
def test_monthly_and_yearly_budgets_set_no_hourly_limit(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).budget_hourly_usd is None


# --- lengths: "<noun> of N words" whose noun has no role takes the nearest cue's --------------


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("emails of 300 words in; the reply is a short paragraph of about 90 words", 400, 120),
        ("reports of 3k tokens; write a memo on the key findings of roughly 150 words", 3000, 200),
        ("send back an overview of the main risks of ~600 tokens for 2k-token filings", 2000, 600),
    ],
)
def test_role_of_a_length_after_a_roleless_noun(
    rules: RuleExtractor, text: str, prompt: int, output: int
) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens == pytest.approx(prompt, rel=0.01)
    assert draft.output_tokens == pytest.approx(output, rel=0.01)


def test_roleful_noun_keeps_its_role(rules: RuleExtractor) -> None:
    draft = rules.read("answer questions about chapters of about 3,000 words")
    assert draft.prompt_tokens == pytest.approx(4000)


# --- models: a family and a size said apart ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("we must use the 405B one of the Llama 3.1 line", "meta-llama/Llama-3.1-405B-Instruct"),
        ("Qwen2.5, the 14B variant, on L4s", "Qwen/Qwen2.5-14B-Instruct"),
        ("the 8x7B version of Mixtral", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
        ("we like Qwen3 at 32 billion parameters", "Qwen/Qwen3-32B"),
    ],
)
def test_model_family_and_size_apart(rules: RuleExtractor, text: str, model: str) -> None:
    assert rules.read(text).models == (model,)


def test_model_family_and_size_required(rules: RuleExtractor) -> None:
    draft = rules.read("legal requires the 70B one from the Llama 3.1 family")
    assert draft.models == ("meta-llama/Llama-3.1-70B-Instruct",)
    assert draft.models_required


@pytest.mark.parametrize(
    "text",
    [
        "something from the Llama 3.1 family",  # no size
        "Llama 3.1 family; budget 70 dollars an hour",  # a number that is no size
        "a Qwen2.5 model for 5 teams. Each has 14 people on 8 GPUs",  # no size in the clause
    ],
)
def test_model_family_without_a_size(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).models == ()
