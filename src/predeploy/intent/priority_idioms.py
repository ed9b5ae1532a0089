"""Idiom families for the priority: one grammar per family, filled with each aspect's words.

A priority is said in a handful of shapes, whatever the aspect: a verdict on an aspect noun
("accuracy is king", "the cloud bill is our top priority"), a devotion to it ("obsessed with
accuracy", "it's all about speed"), a direction applied to it ("minimize latency", "maximize
throughput"), "every millisecond counts" / "every penny counts", and the cost of getting one
aspect wrong ("we can't afford wrong answers", "no room for error"). Each family below is
generated from :data:`ASPECT_NOUNS`, so a new noun for an aspect works in every shape.

Weights follow :mod:`predeploy.intent.priority`: 4 = states the priority outright, 3 = a
strong cue.
"""

from __future__ import annotations

import re

from predeploy.core.types import Priority

P = Priority

#: Nouns that name each aspect (regex alternatives, longest first where they overlap).
ASPECT_NOUNS: dict[Priority, str] = {
    P.LATENCY: (
        r"latency|latencies|speed|response[- ]times?|responsiveness|snappiness|turnaround"
        r"|wait(?:ing)? times?|time to first token|ttft|(?:fast|quick|instant) (?:answers"
        r"|responses|replies)|being (?:fast|quick|snappy)"
    ),
    P.COST: (
        r"cost|costs|price|prices|pricing|money|budget|spend(?:ing)?|(?:the |our |monthly"
        r" |cloud |gpu |hosting |inference )?bills?|(?:hosting|gpu|cloud|inference) costs?"
        r"|cost efficiency|being cheap|the bottom line|savings"
    ),
    P.QUALITY: (
        r"quality|accuracy|correctness|precision|factuality|faithfulness|fidelity"
        r"|(?:answer|output|code|translation|summary) quality|(?:factual )?accuracy"
        r"|(?:correct|accurate|right) answers|getting (?:it|things|the answers?) right"
        r"|being (?:right|correct|accurate)"
    ),
    P.THROUGHPUT: (r"throughput|volume|capacity|tokens per (?:second|dollar|gpu)"),
}

#: What one says an aspect is, or does, when it decides.
_VERDICT = (
    r"(?:is|are|'s) (?:(?:absolutely|really|truly|clearly|simply) )?(?:king|queen|paramount"
    r"|critical|crucial|key|essential|vital|everything|non-negotiable|sacred|priority (?:one"
    r"|number one|#1|1)|(?:the |our )?(?:top|main|first|highest|number one|#1|biggest|overriding"
    r"|primary) (?:priority|concern|goal|focus)|what (?:really )?(?:matters|counts)(?: most)?"
    r"|all that (?:matters|counts)|(?:the )?most important(?: thing)?|(?:our|the) north star"
    r"|the (?:only )?thing (?:that matters|we care about)|top of (?:the|our) list"
    r"|front and cent(?:er|re)|the whole point|make[- ]or[- ]break)"
    r"|(?:matters|counts|comes) (?:most|first|above all(?: else)?|before anything(?: else)?)"
    r"|above all(?: else)?|first and foremost|over everything(?: else)?|trumps everything"
    r"|wins every time"
)
#: What one says before an aspect noun when it decides.
_DEVOTION = (
    r"(?:obsess(?:ed|ing)?|fixated|laser[- ]focused) (?:with|on|about|over) (?:the |our |its )?"
    r"|(?:focus(?:ed|ing)?|concentrat(?:e|ed|ing)) (?:mainly |mostly |entirely )?on"
    r" (?:the |our |its )?"
    r"|(?:top|main|number one|#1|first|only|overriding|primary) (?:priority|concern|goal) is"
    r" (?:the |our )?"
    r"|(?:what|all) (?:really )?(?:we care about|matters(?: most)?|counts(?: most)?) is"
    r" (?:the |our )?"
    r"|(?:it's|it is) all about (?:the |our )?"
)
#: Directions that decide an aspect: the verb and the aspects it points at.
_DIRECTIONS: tuple[tuple[str, Priority], ...] = (
    (r"(?:minimi[sz]e|reduce|cut|slash|shave)(?: the| our)?", P.LATENCY),
    (r"(?:minimi[sz]e|reduce|cut|slash|trim)(?: the| our)?", P.COST),
    (r"(?:maximi[sz]e|max out|improve|boost)(?: the| our)?", P.QUALITY),
    (r"(?:maximi[sz]e|max out|boost|push)(?: the| our)?", P.THROUGHPUT),
)
#: Adjectives that name each aspect: "correct above all", "fast at all costs".
ASPECT_ADJECTIVES: dict[Priority, str] = {
    P.LATENCY: r"fast|quick|snappy|instant|responsive|speedy|low[- ]latency",
    P.COST: r"cheap|inexpensive|affordable|economical|low[- ]cost",
    P.QUALITY: r"right|correct|accurate|precise|reliable|trustworthy|factual|faithful",
}
#: What makes an adjective decide: "(needs to be) correct above all", "fast, no matter what".
_ADJECTIVE_VERDICT = (
    r",? (?:above all(?: else)?|first and foremost|more than anything(?: else)?|before anything"
    r"(?: else)?|at all costs|no matter what|whatever (?:else|it takes))"
)
#: Words that hedge an adjective into a floor rather than a goal: "reasonably quick".
HEDGES = (
    r"reasonably|fairly|decently|moderately|acceptably|relatively|somewhat|sufficiently"
    r"|adequately|not too|not overly|not terribly|still"
)
_HEDGED = tuple(
    (re.compile(rf"(?<![\w-])(?:{HEDGES}) (?:{adjectives})(?![\w-])"), prio)
    for prio, adjectives in ASPECT_ADJECTIVES.items()
)
#: Adjectives for failing an aspect: refusing one names that aspect as a floor.
FAILURE_ADJECTIVES: dict[Priority, str] = {
    P.LATENCY: r"slow|sluggish|laggy|unresponsive",
    P.COST: r"expensive|pricey|costly|overpriced",
    P.QUALITY: r"sloppy|mediocre|unreliable|inaccurate",
}
#: A refused failure is a floor, not a goal: "we can't have it sluggish (either)", "it
#: mustn't be too pricey", "without being slow", "shouldn't feel laggy".
_REFUSALS = (
    r"(?:can't|cannot|can not|mustn't|must not|shouldn't|should not|won't|will not|can't"
    r" afford to|don't want (?:it|them|answers|replies) to|do not want (?:it|them) to)"
    r" (?:have (?:it|them|answers|replies) |let (?:it|them) )?(?:be |get |feel |look |seem )?"
    r"|without (?:it |them )?(?:being |getting |feeling )"
    r"|(?:but|and|while) not "
)
_REFUSED = tuple(
    (
        re.compile(
            rf"(?<![\w-])(?:{_REFUSALS})(?:too |overly |painfully |noticeably |horribly )?"
            rf"(?:{adjectives})(?![\w-])"
        ),
        prio,
    )
    for prio, adjectives in FAILURE_ADJECTIVES.items()
)
#: Adjectives (and comparatives) that make a result worth waiting or paying for: "wait longer
#: for a careful answer", "pay more for faster replies", "wait a day for cheaper runs".
_WORTH_ADJECTIVES: dict[Priority, str] = {
    P.LATENCY: rf"{ASPECT_ADJECTIVES[P.LATENCY]}|faster|quicker|snappier|speedier",
    P.COST: rf"{ASPECT_ADJECTIVES[P.COST]}|cheaper|less expensive",
    P.QUALITY: (
        rf"{ASPECT_ADJECTIVES[P.QUALITY]}|careful|thorough|thoughtful|rigorous|solid|better"
        r"|higher[- ]quality|high[- ]quality|more (?:accurate|reliable|precise|careful|thorough)"
        r"|well[- ](?:reasoned|researched|written)"
    ),
}
#: What is waited or paid for: the result nouns.
_RESULT_NOUNS = (
    r"answers?|results?|outputs?|responses?|replies|reply|summar(?:y|ies)|translations?|code"
    r"|suggestions?|completions?|drafts?|analys[ie]s|reviews?|work|quality|job|one|runs?"
)
#: Giving time or money for a better result names what is bought: "we'd rather wait longer
#: for a careful answer", "happy to pay extra for more accurate results".
_WORTH_IT = (
    r"(?:wait|waiting|pay|paying|spend|spending)(?: (?:a (?:bit|little|lot)|somewhat|much|way))?"
    r"(?: (?:longer|more|extra|a while|a bit|a day|a few (?:seconds|minutes)|seconds|minutes))?"
    r" for (?:a |an |the )?(?:much |far |a bit |slightly )?(?:{adjectives}) (?:[\w-]+ )?"
    rf"(?:{_RESULT_NOUNS})\b"
)
#: Units whose every instance matters: "every millisecond counts", "every penny counts".
_EVERY_UNIT: dict[Priority, str] = {
    P.LATENCY: r"millisecond|ms|second|tick",
    P.COST: r"penny|cent|dollar|euro|buck|pound",
}

#: The cost of getting one aspect wrong: "can't afford wrong answers", "no room for error".
_QUALITY_STAKES = (
    r"(?:can't|cannot|can not|couldn't) afford (?:to (?:get|have|give|make|ship|send|show)"
    r" (?:\w+ ){0,2}?(?:wrong|mistakes?|errors?|bad)\w*|(?:any )?(?:mistakes|errors|wrong"
    r" (?:answers|results|numbers|translations)|hallucinations|inaccura\w+))"
    r"|(?:no|zero|little) (?:room|margin|tolerance) for (?:error|errors|mistakes"
    r"|hallucinations|inaccura\w+)"
    r"|(?:mistakes|errors|wrong answers|hallucinations|inaccuracies) (?:are|would be)"
    r" (?:costly|expensive|unacceptable|not an option|dangerous|a disaster)"
    r"|(?:must|should|can) (?:never|not) (?:hallucinate|make (?:things|stuff) up|be wrong)"
    # completeness at stake: "care that nothing important gets dropped", "can't miss a clause"
    r"|nothing (?:important |essential |critical |relevant |key )?(?:gets |is |should be |must"
    r" be |can be )?(?:dropped|missed|lost|left out|omitted|overlooked)"
    r"|(?:can't|cannot|can not|mustn't|must not|shouldn't) (?:afford to )?(?:miss|drop|lose"
    r"|omit|skip) (?:anything|a single|any) ?(?:important|critical|relevant|detail|clause"
    r"|fact)?"
)
#: Keeping a cost noun low: "keep the GPU bill as low as humanly possible", "hold spend down".
_COST_KEPT_LOW = (
    r"(?:keep|keeping|hold|holding|keeps|get|getting) (?:the |our |its |their )?(?:{nouns})"
    r" (?:as low as (?:\w+ )?possible|as small as (?:\w+ )?possible|low|down|minimal|to a"
    r" minimum|in check|under control|lean|tight)"
)
#: People who will not wait: "nobody wants to wait", "users won't wait".
_LATENCY_STAKES = (
    r"(?:nobody|no one|no-one) (?:wants|likes|will|is going) to wait|(?:users|customers"
    r"|people|players|agents|developers|devs|shoppers) (?:won't|will not|don't|do not|hate to"
    r"|hate) wait(?:ing)?|(?:can't|cannot) keep (?:\w+ )?waiting|(?:can't|cannot|can not)"
    r" afford (?:any )?(?:lag|delays?|slow (?:answers|responses|replies)|to be slow|to wait"
    r"|waiting)"
    r"|in the blink of an eye|feels? (?:instant|immediate|live|instantaneous)"
)
#: Spending carefully: "without breaking the bank", "pinching pennies".
_COST_STAKES = (
    r"without breaking the bank|(?:pinch|pinching|count|counting) (?:every )?pennies"
    r"|watch(?:es|ing)? (?:every|each) (?:dollar|penny|cent|line item|invoice|expense)"
    # the spend bounded by the price of one small thing: "has to fit in what one L4 costs",
    # "must stay within the price of a single GPU"
    r"|(?:fit|fits|stay|stays|live|lives|stick) (?:in|into|within|inside|under) (?:what (?:one"
    r"|1|a single|a|an) (?:[\w-]+ ){1,2}costs?|the (?:price|cost) of (?:one|1|a single|a|an)"
    r" [\w-]+)"
    r"|on a (?:tight |strict |shoestring )?"
    r"budget|(?:don't|do not|can't|cannot|won't|will not)(?: want to| afford to)?"
    r" (?:overspend|blow the budget|break the bank)"
    # value for money: "the most bang for the buck", "more bang for our buck"
    r"|(?:the most |more |the best |the biggest |max(?:imum)? )?bang for (?:the|our|your|each)"
    r" (?:buck|dollar)"
    # the people who police the spend: "finance watches every line item", "the CFO will kill
    # it if the bill grows"
    r"|(?:finance|our cfo|the cfo|procurement|accounting)(?: team)?"
    r" (?:watch(?:es)?|scrutini[sz]es?|pushes back on|will kill|would kill|kills|balks? at"
    r"|will balk|is watching)"
)
#: Pushing volume: "chew through the backlog", "as much as we can per GPU".
_THROUGHPUT_STAKES = (
    r"(?:chew|chewing|crunch|crunching|plough|plow|ploughing|plowing|burn|burning)"
    r" through|"
    # a queue worked off: "what matters is getting through the queue", "clear the backlog"
    r"(?:(?:get|gets|getting|work|works|working|grind|grinding|power|powering|blast|blasting)"
    r" through|(?:clear|clears|clearing|drain|drains|draining|empty|emptying|burn down"
    r"|burning down|work off|working off)) (?:the |our |this |that |a |its )?(?:[\w-]+ )?"
    r"(?:queue|backlog|pile|workload)s?\b"
    r"|(?:as much|as many \w+) as (?:possible|we can) per (?:gpu|hour|dollar|node)"
    r"|(?:maximum|max|most) volume|(?:just|only|pure) throughput"
    # volume out of each piece of hardware: "as much volume through each GPU as possible",
    # "squeeze the most out of every card"
    r"|as (?:much|many)(?: [\w-]+){0,2} (?:through|per|out of|from|on) (?:each|every|a single"
    r"|one|our|the) (?:gpus?|cards?|nodes?|servers?|boxe?s?|machines?|accelerators?)"
    r"(?: as (?:possible|we can))?"
    # a rate pushed to its maximum: "as many articles per hour as we can", "the maximum
    # number of lines translated per GPU-hour"
    r"|as (?:much|many)(?: [\w-]+){0,2} (?:per|an|a|each) (?:gpu[- ]hours?|hour|minute|second"
    r"|day|night|dollar|gpu|card|node) as (?:possible|we can|it can|we could|the hardware"
    r" (?:allows|can take))"
    r"|(?:the )?(?:maximum|max|most|highest|largest) (?:possible )?(?:number|count|amount)"
    r" of(?: [\w-]+){1,3}? per (?:gpu[- ]hours?|hour|minute|second|day|gpu|card|dollar)"
    r"|squeez(?:e|ing) (?:the most|every (?:last )?(?:\w+ )?(?:token|request|drop|bit)|as much"
    r"(?: \w+)? as (?:possible|we can)) (?:out of|from) (?:each|every|our|the) (?:gpus?|cards?"
    r"|hardware|nodes?|servers?|accelerators?)"
)


#: Failures named as nouns, by aspect: "made-up facts", "lag", "surprise bills".
_FAILURE_NOUNS: dict[Priority, str] = {
    P.QUALITY: (
        r"made[- ]up (?:facts|answers|citations|numbers|references)|hallucinations?"
        r"|wrong (?:answers|numbers|facts|results|advice)|errors|mistakes|inaccuracies"
        r"|fabricat\w+"
    ),
    P.LATENCY: r"lag|delays?|pauses|stalls|dead air|slow (?:answers|responses|replies)|waiting",
    P.COST: r"(?:cost|budget) overruns|surprise bills|overspend\w*|runaway (?:costs|bills)",
}
#: Refusing a failure outright: "what we can't have is made-up facts", "we won't tolerate lag".
_REFUSE_VERB = (
    r"(?:can't|cannot|can not|won't|will not|mustn't|must not) (?:have|tolerate|accept|allow"
    r"|live with|stand|risk)(?: is| are)? (?:any |even one |a single )?(?:[\w-]+ )?"
)
_REFUSED_NOUN_WEIGHT: dict[Priority, float] = {P.QUALITY: 4, P.LATENCY: 4, P.COST: 3}


def hedged_aspects(text: str) -> list[Priority]:
    """Aspects named only as a floor: hedged ("keep it reasonably quick", "fairly cheap") or
    as a refused failure ("we can't have it sluggish either", "without being pricey")."""
    found = [prio for pattern, prio in (*_HEDGED, *_REFUSED) if pattern.search(text)]
    return list(dict.fromkeys(found))


def refused_aspects(text: str) -> list[Priority]:
    """Aspects whose failure the text refuses outright ("it can't be slow", "mustn't get
    pricey"), without a hedge."""
    found = [prio for pattern, prio in _REFUSED if pattern.search(text)]
    return list(dict.fromkeys(found))


def idiom_phrases() -> tuple[tuple[str, Priority, float], ...]:
    """(regex, priority, weight) for every idiom family and aspect."""
    out: list[tuple[str, Priority, float]] = []
    for prio, nouns in ASPECT_NOUNS.items():
        out.append((rf"(?:{nouns})(?: \w+){{0,2}} (?:{_VERDICT})", prio, 4))
        out.append((rf"(?:{_DEVOTION})(?:{nouns})", prio, 4))
        out.append((rf"(?:{nouns})[- ]obsess(?:ed|ive)", prio, 4))
    for prio, adjectives in ASPECT_ADJECTIVES.items():
        out.append((rf"(?:{adjectives}){_ADJECTIVE_VERDICT}", prio, 4))
        out.append((rf"(?:{ASPECT_NOUNS[prio]}) at all costs", prio, 4))
    for verb, prio in _DIRECTIONS:
        out.append((rf"{verb} (?:{ASPECT_NOUNS[prio]})", prio, 3))
    for prio, units in _EVERY_UNIT.items():
        out.append((rf"every (?:single )?(?:{units}) (?:counts|matters)", prio, 4))
    for prio, nouns in _FAILURE_NOUNS.items():
        out.append((rf"{_REFUSE_VERB}(?:{nouns})", prio, _REFUSED_NOUN_WEIGHT[prio]))
    for prio, adjectives in _WORTH_ADJECTIVES.items():
        out.append((_WORTH_IT.format(adjectives=adjectives), prio, 4))
    out.append((_QUALITY_STAKES, P.QUALITY, 4))
    out.append((_LATENCY_STAKES, P.LATENCY, 4))
    out.append((_COST_STAKES, P.COST, 3))
    out.append((_COST_KEPT_LOW.format(nouns=ASPECT_NOUNS[P.COST]), P.COST, 3))
    out.append((_THROUGHPUT_STAKES, P.THROUGHPUT, 3))
    return tuple(out)
