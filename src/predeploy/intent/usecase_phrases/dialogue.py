"""Use-case cues of dialogue with a bot: customer service (the people a business or public
service answers, what they ask about) and general-purpose chatbots.
"""

from __future__ import annotations

from predeploy.core.types import UseCase

U = UseCase

#: Consumer devices with a built-in assistant.
_DEVICE = (
    r"smart ?speakers?|speakers?|smart ?(?:home|displays?|glasses|watch(?:es)?|tvs?|phones?)"
    r"|in[- ](?:car|vehicle|cabin)|cars?|vehicles?|wearables?|headsets?|earbuds|headphones"
    r"|tvs?|set[- ]top boxes|(?:consumer )?devices?|gadgets?|appliances?|robots?"
)

DIALOGUE_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
    # customer service
    (
        r"customer[- ](?:service|support|care|success|experience|helpdesk|helpline|hotline"
        r"|facing|inquiries|questions|queries)",
        U.CUSTOMER_SERVICE,
        4,
    ),
    (
        r"receptionist|front desk|concierge|phone calls|inbound calls|answering calls"
        r"|call handling",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (
        r"(?:support|service|care|helpdesk|help desk) (?:bot|chat ?bot|assistant|agent|chat"
        r"|widget|portal|inbox|queue|desk|copilot)s?|(?:help|support) widgets?",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (r"help ?desk|help ?lines?|hotlines?", U.CUSTOMER_SERVICE, 2.5),
    (
        r"(?:shoppers?|shopping assistant|online (?:store|shop)|e-?commerce (?:site|store|shop))",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (
        r"customers|policyholders|subscribers|clients|passengers|guests"
        # owners of what a business sells or services: "pet owners", "car owners"
        r"|(?:pet|car|vehicle|home|card|account|device|phone|policy|business) ?owners",
        U.CUSTOMER_SERVICE,
        1.5,
    ),
    (r"(?:call|contact)[- ]?(?:cent(?:er|re)|line)|support line", U.CUSTOMER_SERVICE, 2),
    # a generic helper for the people who do support: "copilot for our support reps",
    # "assistant for care specialists" (a named function, "search for support agents", decides
    # by itself)
    (
        r"(?:copilot|co-pilot|assistant|helper|sidekick|tool)s? for (?:our |the |their )?"
        r"(?:[\d,.]+k? )?(?:customer )?(?:support|service|care|helpdesk|help desk|cx|cs) (?:reps?"
        r"|representatives?|agents?|staff|teams?|specialists?|associates?|advisors?|advisers?"
        r"|workers|operators?)",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (
        r"(?:billing|account|order|shipping|warranty|delivery|payment|subscription|booking"
        r"|reservation|appointment|rebooking|baggage|luggage|check-?in|cancellation|flight"
        r"|upgrade|loyalty|return|exchange)s? (?:questions|status|issues|inquiries|problems)"
        r"|(?:questions"
        r"|issues|inquiries|problems|help|ask(?:s|ing)?|check(?:s|ing)?) (?:about|with|on"
        r"|regarding) (?:their |the |an? |my |our )?(?:billing|accounts?|orders?|shipping"
        r"|warrant(?:y|ies)|deliver(?:y|ies)|payments?|invoices?|subscriptions?|bookings?"
        r"|reservations?|plans?|bills?|appointments?|prescriptions?|refills?|claims?"
        r"|opening hours|parcels?|tracking"
        # what a public or utility service is asked about: "ask about trash pickup, permits"
        r"|permits?|fines?|licen[cs]es?|benefits|taxes|tax returns|(?:trash|garbage|waste"
        r"|recycling|bulk)(?: pickups?| collections?)?|parking(?: tickets| fines| permits)?"
        r"|outages?|fees|renewals?|registrations?|passports?|visas?|rent|repairs?|leases?)"
        r"|refunds?|returns|complaints",
        U.CUSTOMER_SERVICE,
        2,
    ),
    (r"faq (?:bot|assistant|chat ?bot)", U.CUSTOMER_SERVICE, 3),
    # agent assist: replies written to customers or their tickets ("drafts replies to customer
    # tickets", "suggest responses to client emails") name the use case, over the writing cue
    (
        r"(?:replies|responses|answers|reply|response) (?:to|for) (?:our |the |their |incoming )?"
        r"(?:customers|clients|shoppers|guests|callers|(?:customer|client|support|helpdesk"
        r"|service) (?:tickets?|emails?|messages?|chats?|complaints|inquiries|enquiries|queries))"
        r"|(?:customer|client) tickets?",
        U.CUSTOMER_SERVICE,
        5,
    ),
    # "answering customer order questions", "client billing inquiries"
    (
        r"(?:customer|client|shopper|guest|patient|member)(?:s'|'s)? (?:[a-z-]+ )?(?:questions"
        r"|queries|inquiries|enquiries|issues|requests|complaints)",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (
        r"(?:bot|chat ?bot|assistant|agent|chat)s? (?:for|serving|that (?:helps|serves|talks to))"
        r" (?:our |the |its |their )?(?:\w+ )?(?:customers|clients|shoppers|subscribers"
        r"|policyholders|passengers|guests|buyers)",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (r"(?:voice|phone) (?:agent|bot|assistant)s?|callers", U.CUSTOMER_SERVICE, 2),
    # an assistant built into a consumer device answers its owner about anything: "voice
    # assistant for a smart-speaker line", "in-car assistant", "assistant on our smart TVs"
    (
        rf"(?:{_DEVICE}) (?:[a-z-]+ )?(?:voice )?assistants?"
        rf"|(?:voice )?assistants? (?:for|in|on|inside|built into|running on) (?:an? |our |the"
        rf" |their |its )?(?:[a-z-]+ )?(?:{_DEVICE})"
        r"|(?:alexa|siri|google assistant)(?:[- ]?(?:like|style))?",
        U.CHATBOT,
        3,
    ),
    # the people a public or utility service answers: "residents ask about permits",
    # "taxpayers with questions", "311 service"
    (
        r"residents|citizens|taxpayers|constituents|tenants|ratepayers|claimants|beneficiaries"
        r"|(?:members of )?the public",
        U.CUSTOMER_SERVICE,
        1.5,
    ),
    (
        r"311 (?:service|line|hotline|app|calls|requests|system)s?|(?:city|municipal) 311"
        r"|(?:city|citizen|public|government|council"
        r"|municipal|county|state) services",
        U.CUSTOMER_SERVICE,
        3,
    ),
    (r"virtual (?:assistant|agent)|visitors", U.CUSTOMER_SERVICE, 1.5),
    (
        r"(?:bank|airline|telecom|telco|isp|utility|insurance|insurer|retail|retailer|hotel)(?:'s)?\b",
        U.CUSTOMER_SERVICE,
        1,
    ),
    # chatbot
    (r"chat ?bots?", U.CHATBOT, 2.5),
    (r"chat (?:assistant|app|interface|widget)|(?:general|multi)[- ]purpose", U.CHATBOT, 3),
    (r"conversational (?:agent|assistant|ai|bot|interface)", U.CHATBOT, 3),
    (
        r"companion|tutor(?:ing)?|coach(?:es|ing)?|small talk|role[- ]?play|persona"
        r"|ask (?:me )?anything",
        U.CHATBOT,
        3,
    ),
    (r"(?:internal|personal|employee|company|general) (?:chat )?assistant", U.CHATBOT, 2),
    # an open-domain helper: "a general Q&A chatbot", "general questions bot"
    (
        r"general (?:q ?& ?a|qa|questions?|knowledge|chat|conversation)(?: ?bots?| assistants?)?",
        U.CHATBOT,
        3,
    ),
    (r"discord|gaming community|community|chatgpt-like|chatgpt", U.CHATBOT, 2),
    (
        r"(?:gives?|giving|provides?|providing|offers?|offering) (?:\w+ )?feedback"
        r"|feedback on (?:their|students'?|learners'?|the learner's|the student's)",
        U.CHATBOT,
        2,
    ),
    (
        r"(?:math|maths|mathematical|reasoning|logic|general[- ]knowledge|trivia|homework)"
        r"(?: \w+)? (?:q ?& ?a|qa|questions|problems|puzzles|help)",
        U.CHATBOT,
        4,
    ),
    # people talking with a bot (the kind of talk, not who pays, names the product): "fans chat
    # with a bot about the match", "players talk to an AI companion"
    (
        r"(?:chat|chats|chatting|talk|talks|talking|banter|chit-?chat) (?:with|to) (?:a|an|the"
        r"|our) (?:[a-z-]+ )?(?:bot|chat ?bot|ai|assistant|llm)",
        U.CHATBOT,
        2,
    ),
    (r"chat(?:ting|s)?", U.CHATBOT, 1),
    # open-ended thinking with the model: "doing long reasoning", "brainstorming"
    (r"reasoning|brainstorm(?:ing|s)?|thinking partner|sparring partner", U.CHATBOT, 1),
    (r"assistant", U.CHATBOT, 0.5),
)
