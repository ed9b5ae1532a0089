"""The phrase table of priority cues: (regex, priority, weight) per way people say what they
optimise for. Negative weights are relaxations ("we can tolerate higher latency"). Scored in
:mod:`predeploy.intent.priority`, with the comparisons and the idiom families.
"""

from __future__ import annotations

from predeploy.core.types import Priority

P = Priority

#: What people say an aspect "is" when it decides: "speed is king", "cost is non-negotiable".
_DECIDES = (
    r"critical|crucial|key|essential|paramount|everything|king|all that matters|what counts"
    r"|non-negotiable|number one|#1|the name of the game|a must|vital"
)
#: "<aspect>-oriented", "<aspect>-first" and the like.
_ORIENTED = r"[- ](?:oriented|focused|first|optimi[sz]ed|driven|centric|bound)"


#: "the main", "our top", "the only" … before :data:`CONCERN`.
RANK = r"(?:main |primary |biggest |key |top |only |first )?"
MAIN = rf"(?:the |our )?{RANK}"
#: What an aspect "is" when it leads: "cost efficiency is the primary consideration".
CONCERN = (
    r"(?:concern|priority|focus|goal|factor|requirement|consideration|driver|objective|thing"
    r"|worry|issue|constraint)"
)

#: (phrase regex, priority, weight); negative weights are relaxations of that aspect.
PRIORITY_PHRASES: tuple[tuple[str, Priority, float], ...] = (
    # "<aspect> is the main concern / our top priority / the key factor"
    (
        rf"(?:latency|speed|response times?|responsiveness) (?:is|are) {MAIN}{CONCERN}",
        P.LATENCY,
        4,
    ),
    (
        r"(?:cost|costs|price|money|spend(?:ing)?|budget)(?:[- ]efficiency| control)?"
        rf" (?:is|are) {MAIN}(?:{CONCERN}|constraint)",
        P.COST,
        4,
    ),
    (
        rf"(?:quality|accuracy|correctness) (?:is|are) {MAIN}{CONCERN}",
        P.QUALITY,
        4,
    ),
    (
        rf"throughput (?:is|are) {MAIN}{CONCERN}",
        P.THROUGHPUT,
        4,
    ),
    # "we care (most) about <aspect>"
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:answer |output"
        r" |code )?(?:quality|accuracy|correctness)",
        P.QUALITY,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:latency|speed"
        r"|response times?)",
        P.LATENCY,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:cost|costs"
        r"|price|spend(?:ing)?|the bill)",
        P.COST,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about throughput",
        P.THROUGHPUT,
        3,
    ),
    # latency
    (
        r"low[- ]latency|latency[- ](?:sensitive|critical)|real[- ]?time|instant(?:ly|aneous)?"
        r"|snappy|responsive|ultra[- ]fast|blazing|as fast as possible|minimal latency"
        r"|(?:super|ultra|hyper|extra|very)[- ](?:responsive|fast|quick|snappy|speedy"
        r"|low[- ]latency)"
        r"|lowest latency",
        P.LATENCY,
        3,
    ),
    # "lag is unacceptable", "delays are not an option"
    (
        r"(?:lag|lags|delays?|latency|waiting|slowness|slow (?:answers|responses|replies))"
        r" (?:is|are) (?:unacceptable|not acceptable|not an option|a no-?go|not ok(?:ay)?)"
        r"|(?:no|zero|without) (?:noticeable |perceptible |visible )?(?:lag|delay)",
        P.LATENCY,
        4,
    ),
    # an obligation to answer within a fraction of a second: "has to spit out a line within a
    # tenth of a second", "must reply in under 300 ms" (a mild cue: stated bounds beside
    # another priority are only constraints)
    (
        r"(?:must|has to|have to|needs? to|got to|gotta) (?:[\w'-]+ ){1,5}?(?:within|in under"
        r"|under|in less than|below|inside(?: of)?) (?:0?\.\d+ ?(?:s|secs?|seconds?)"
        r"|[1-9]\d{0,2} ?(?:ms|milliseconds?))",
        P.LATENCY,
        2,
    ),
    # a latency bound the product cannot live without: "sub-200ms or it's useless"
    (
        r"or (?:it's|it is|they're|they are|that's|it becomes|it'?ll be) (?:useless|pointless"
        r"|worthless|unusable|a deal-?breaker|dead on arrival)"
        r"|(?:latency|speed) is a deal-?breaker",
        P.LATENCY,
        3,
    ),
    (
        rf"(?:latency|speed|response time|responsiveness|fast responses?|being fast)"
        rf"(?: \w+){{0,2}} (?:is|are) (?:{_DECIDES}"
        r"|the (?:top |main |first |highest )?priority|what matters|most important|important)",
        P.LATENCY,
        4,
    ),
    (
        r"(?:latency|response times?|responses?|speed|ttft|wait(?:ing)? times?|replies)"
        r"(?: \w+)? (?:must|should|needs? to|has to|have to) (?:be |stay |remain |feel )?"
        r"(?:very |really |super )?(?:low|minimal|fast|quick|short|snappy|instant|tiny|small)"
        rf"|(?:latency|speed){_ORIENTED}",
        P.LATENCY,
        4,
    ),
    (
        r"(?:latency|speed|response time) (?:matters|counts)(?: the)? most|latency first"
        r"|speed first|prioriti[sz]e (?:latency|speed)|optimi[sz]e for (?:latency|speed)",
        P.LATENCY,
        4,
    ),
    # a reply verb with a speed adverb: "has to reply snappily", "answers promptly" (adds to
    # the adverb's own weight below, so "reply quickly" is a strong cue, "quickly" a mild one)
    (
        r"(?:reply|replies|replied|replying|respond|responds|responded|responding|answer|answers"
        r"|answering|react|reacts|reacting|come back|comes back|get back|gets back|load|loads"
        r"|appear|appears|show up|shows up|stream|streams)"
        r" (?:\w+ )?(?:snappily|swiftly|promptly|speedily|rapidly|instantly|immediately"
        r"|quickly|fast|right away|straight away|without delay|in a flash|in no time)",
        P.LATENCY,
        1,
    ),
    (r"snappily|swiftly|speedily|promptly", P.LATENCY, 2),
    (
        r"fast|quick(?:ly)?|speedy|rapid|low wait|no lag|without lag|sub-second"
        r"|(?:fast|quick|rapid)[- ](?:respon\w+|answer\w*|reacting|replying)",
        P.LATENCY,
        2,
    ),
    (
        r"(?:tolerate|accept|fine with|ok with|okay with|live with) (?:a )?(?:bit |little "
        r"|slightly |somewhat |marginally |a bit |a little )?(?:higher|more|some"
        r"|slower|longer|extra)(?: \w+)? (?:latency|wait|response times?|responses|replies"
        r"|answers|turnaround)"
        # a quantity of delay that is fine: "a minute of delay is fine", "some lag is okay"
        r"|(?<!no )(?<!zero )(?:an? (?:few )?[\w-]+ of |some |a bit of |a little )(?:delay|latency"
        r"|waiting|lag|wait) (?:is|would be) (?:fine|ok|okay|acceptable|tolerable|no problem"
        r"|not a problem)"
        r"|latency (?:is not|isn't) (?:a )?(?:big |major )?(?:concern|issue|priority|critical)"
        r"|no latency requirement|not latency[- ]sensitive|not time[- ]sensitive|can wait"
        r"|slower is fine|don't need real[- ]?time|doesn't need to be fast"
        # nobody waits on the result: "nobody is waiting on the other end"
        r"|(?:nobody|no one|no-one|no human|no user|no person)(?: is|'s)? (?:actually |really )?"
        r"(?:waiting|waits|sitting) (?:on|for|around)"
        r"|(?:rather|happy to|willing to|can|could|don't mind|do not mind|ok to|okay to|fine to)"
        r" (?:\w+ )?wait(?:ing)? (?:a (?:bit|little) )?(?:longer|more|a bit|a while)",
        P.LATENCY,
        -5,
    ),
    # cost
    (
        r"cheap(?:est|er|ly)?|inexpensive|low[- ]cost|lowest cost|cost[- ](?:sensitive|conscious"
        r"|efficient|effective|optimi[sz]ed)|budget[- ](?:friendly|conscious|sensitive|constrained)"
        r"|affordable|economical|frugal|tight budget|limited budget|shoestring|save money"
        r"|lowest (?:possible )?(?:price|prices|spend|bill|cost)s?|least expensive"
        r"|(?:spend|spending|pay|paying|cost|costs|costing) as little as (?:possible|we can)"
        r"|(?:price|cost|spend|bill)s? as low as possible"
        r"|(?:minimi[sz]e|reduce|keep down|lower|cut)(?: the)? (?:cost|costs|spend|spending|bill)"
        r"|(?:don't|do not|doesn't|does not|don't really) have (?:a lot of|lots of|much|a big"
        r"|a large|big|deep) (?:money|budget|cash|funds?|funding|pockets)|not (?:a lot of|much)"
        r" (?:money|budget|cash|funding)|limited (?:funds|funding|money|cash|means)"
        r"|(?:small|low|modest|tiny|lean|strict) budget|on a budget|money is tight"
        r"|cash[- ]strapped|(?:can't|cannot|can not) afford(?! (?:to (?:get|have|give|make|ship"
        r"|send|show|be|wait)|any |mistakes|errors|wrong|hallucinat|inaccura|lag|delays?|slow))"
        r"|tight on (?:money|budget|cash)"
        # "keep the GPU bill in check", "keeping our cloud spend low", "as long as the bill
        # stays small"
        r"|(?:keep(?:ing|s)?|as long as|so long as|provided|if) (?:the |our )?(?:(?:gpu|cloud"
        r"|compute|hosting|infra|inference|monthly|aws|azure|gcp|serving|api) )?(?:costs?"
        r"|spend(?:ing)?|bills?)(?: (?:stays?|remains?|is kept|are kept|is|are|keeps?))?"
        r" (?:down|low|sane|reasonable|in check|under control|manageable|predictable|modest"
        r"|lean|small|tiny|minimal)"
        r"|(?:almost|practically|virtually|basically|next to|very little) (?:no )?(?:money|budget"
        r"|funds|funding|cash)|no money"
        # spending less, or the least money: "we'd rather spend less", "for the least money
        # possible", "as little money as we can"
        r"|(?:spend|spending|pay|paying) less"
        # "the smallest possible invoice", "the leanest bill"
        r"|(?:smallest|lowest|leanest|cheapest) (?:possible )?(?:invoices?|bills?|spend|price"
        r"|costs?)"
        r"|(?:the )?(?:least|smallest|minimum|minimal) (?:amount of )?(?:money|spend|spending"
        r"|dollars|cash)(?: possible)?|as little (?:money|cash) as (?:possible|we can)",
        P.COST,
        3,
    ),
    # each moment of delay does harm: "every second of delay hurts", "each millisecond counts",
    # "delays cost us sales"
    (
        r"(?:every|each) (?:single )?(?:second|millisecond|ms)"
        r"(?: of (?:delay|latency|waiting|lag))? (?:hurts|counts|matters|costs(?: us)?)"
        r"|(?:delays?|latency|lag|waiting) (?:hurts|kills|costs us)",
        P.LATENCY,
        3,
    ),
    # how much work gets through: "how many documents we can process per hour"
    (
        r"how many (?:documents|docs|requests|queries|items|jobs|records|pages|tokens|files"
        r"|messages|tickets) (?:we |it |the (?:cluster|system) )?(?:can )?(?:process|handle"
        r"|serve|push|get through|churn through|crunch)",
        P.THROUGHPUT,
        3,
    ),
    # giving up speed to get something else: "even if it takes longer", "even if slower"
    (
        r"even if (?:it |that |they |answers |responses |results |jobs )?(?:'s |is |are |takes? "
        r"|runs? |gets? )?(?:a (?:bit|little) |much |way )?(?:longer|slower)",
        P.LATENCY,
        -3,
    ),
    (
        rf"(?:cost|price|money|spend(?:ing)?|budget) (?:is|are) (?:{_DECIDES}|the (?:top"
        r" |main |first )?priority|what matters|most important|tight)"
        r"|(?:cost|costs|spend(?:ing)?|bill|price)s? (?:must|should|needs? to|has to|have to)"
        r" (?:be |stay |remain )?(?:low|minimal|small|down|modest)"
        rf"|(?:cost|budget){_ORIENTED}"
        r"|(?:cost|price) (?:matters|counts)(?: the)? most|cost first|prioriti[sz]e cost"
        r"|optimi[sz]e for cost",
        P.COST,
        4,
    ),
    (
        r"(?:cost|money|price|budget) (?:is (?:not|no)|isn't)"
        r"(?: really| much| that much| too much)?(?: of)?(?: an?)? (?:issue|concern|object"
        r"|problem|constraint)|money is no object|regardless of cost|whatever it costs",
        P.COST,
        -5,
    ),
    # quality
    (
        r"(?:best|high(?:est)?|top|better|maximum|max) (?:possible )?(?:\w+ )?(?:quality|accuracy"
        r"|answers|results|outputs?|suggestions|completions|code|summaries|translations)"
        r"|most (?:accurate|capable|intelligent)|smartest"
        r"|state[- ]of[- ]the[- ]art|frontier",
        P.QUALITY,
        3,
    ),
    (
        rf"(?:quality|accuracy|correctness|precision|reasoning) (?:\w+ )?(?:is|are) (?:{_DECIDES}"
        r"|the (?:top |main |first |highest )?priority"
        r"|what matters|most important|important)|(?:quality|accuracy|correctness)"
        r" (?:matters|counts|comes)(?: the)? (?:most|first)|(?:quality|accuracy|correctness)"
        r" first|prioriti[sz]e (?:quality|accuracy)|optimi[sz]e for (?:quality|accuracy)"
        r"|(?:quality|accuracy) over everything"
        rf"|(?:quality|accuracy){_ORIENTED}",
        P.QUALITY,
        4,
    ),
    (r"accurate|high[- ]quality|hallucinat\w*|reliable answers", P.QUALITY, 1.5),
    # "correct explanations are non-negotiable", "accurate answers are what matters"
    (
        r"(?:correct|accurate|precise|right|factual|reliable|exact) (?:\w+ )?(?:answers?"
        r"|explanations?|outputs?|results?|responses?|information|facts|code|translations?"
        rf"|summaries|solutions?) (?:is|are) (?:{_DECIDES}|the (?:top |main |first |highest )?"
        r"priority|what matters|most important)",
        P.QUALITY,
        4,
    ),
    # a relaxation bought with quality: "fine with slower responses if the code is right"
    (
        r"(?:if|as long as|provided) (?:the )?(?:code|answers?|outputs?|results?|suggestions"
        r"|summaries|translations|quality) (?:is|are|gets?) (?:\w+ )?(?:right|correct|better"
        r"|accurate|good)",
        P.QUALITY,
        3,
    ),
    # "getting the answers right matters most", "it has to get the facts right", "getting
    # clauses right" (any plural noun: what is produced has to be right)
    (
        r"(?:get|gets|getting) (?:the |our |its |their |every )?(?:answers?|facts?|it|things"
        r"|details|results?|code|outputs?|[a-z]{3,}s)(?: \w+)? right"
        r"|(?:right|correct) answers (?:matter|count|first)",
        P.QUALITY,
        4,
    ),
    (
        r"(?:but|while|whereas) (?:answer |code |output )?(?:quality|accuracy|correctness)"
        r" (?:is|does|matters|counts)",
        P.QUALITY,
        3,
    ),
    (r"(?:but|while|whereas) (?:cost|price|budget) (?:is|does|matters|counts)", P.COST, 3),
    (
        r"(?:but|while|whereas) (?:latency|speed|response time) (?:is|does|matters|counts)",
        P.LATENCY,
        3,
    ),
    # throughput
    (
        r"(?:high|max(?:imum|imi[sz]e)?|maximal|more) throughput|throughput (?:is|matters)"
        r"|throughput over|throughput first|as many (?:\w+ )?as possible|(?:huge|high|large)"
        # work pushed through: "push as many tokens per second through the cluster as possible"
        r" volumes?|as many (?:tokens|requests|queries|documents|docs|items|jobs|messages"
        r"|completions|generations|records|pages|calls)(?: [\w/-]+){0,6}? as (?:possible|we can)"
        r"|(?:huge|high|large)"
        r" volumes?|tokens per dollar|prioriti[sz](?:e|es|ing) (?:the )?throughput"
        r"|(?:max(?:imum|imi[sz]e)?|most) tokens per (?:gpu[- ]?hours?|gpu|dollar|second)"
        r"|tokens per gpu[- ]?hours?"
        r"|(?:aggregate|total|overall|cluster[- ]wide) (?:throughput|tokens? per (?:second|sec|s)"
        r"|tok/s|tokens/s)"
        r"|optimi[sz](?:e|es|ing) for throughput",
        P.THROUGHPUT,
        3,
    ),
    # a goal on a volume rate: "optimise for tokens per second", "maximize documents per
    # hour"; a rate per user or per stream is a speed each user sees, not volume
    (
        r"(?:optimi[sz](?:e|es|ed|ing) for|maximi[sz](?:e|es|ing)|max(?:ing)? out|tuned? for"
        r"|aim(?:ing)? for|prioriti[sz](?:e|es|ing)|care (?:most )?about|all about|push(?:ing)?)"
        r" (?:the |our |raw |total |aggregate |overall |max(?:imum)? |more |most |high )?"
        r"(?:tokens|tok|requests|items|documents|docs|jobs|records|pages|rows|completions"
        r"|generations|files|tickets|emails) ?(?:per|/|an?) ?(?:second|sec|s|minute|min|hour"
        r"|hr|day|dollar|gpu[- ]?hours?|gpu|node)"
        r"(?! (?:per|for|each|of) (?:each |every |a |one )?(?:user|stream|request|session"
        r"|person|client|reader))",
        P.THROUGHPUT,
        3,
    ),
    (
        rf"throughput(?: \w+){{0,2}} (?:is|are) (?:{_DECIDES}|what matters|the (?:top |main )?"
        r"priority|most important)|throughput (?:matters|counts)(?: the)? most"
        rf"|throughput{_ORIENTED}",
        P.THROUGHPUT,
        4,
    ),
    # balanced
    (
        r"balanced?|balance between|trade-?off|good compromise|middle ground|best value"
        r"|(?:good|reasonable|decent) (?:cost|price|latency|speed|quality) and"
        r" (?:cost|price|latency|speed|quality|performance)",
        P.BALANCED,
        4,
    ),
)
