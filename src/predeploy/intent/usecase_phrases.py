"""The phrase table of use-case cues: (regex, use case, weight) per way people name what the
model is for. Scored in :mod:`predeploy.intent.usecase`.
"""

from __future__ import annotations

from predeploy.core.types import UseCase
from predeploy.intent.domain import LANGUAGES

U = UseCase

#: Nobody waits on the answer: "nobody is waiting on it", "no one's waiting", "no human waits
#: for the results", "nobody reads them until morning", "not user-facing", "non-interactive".
NOBODY_WAITS = (
    r"(?:no ?one|no-one|nobody|no user|no human|no person|no customer)(?:'s| is| will be"
    r"| are)? (?:actually |really |ever )?(?:waiting|waits?|will wait|sitting there|watching"
    r"|in the loop|(?:needs?|reads?|sees?|looks? at|opens?|checks?) (?:it|them|the \w+)"
    r" (?:until|before|till|right away|immediately|live))"
    r"|(?:not|nothing is|isn't|is not) (?:user|customer|client)[- ]facing"
    r"|non-?interactive(?:ly)?|not interactive(?:ly)?|no (?:live|interactive) users"
)

_LANGS = "|".join(LANGUAGES)

#: One word of a phrase with its trailing space; digits keep their separators ("1,200-token").
_WORD = r"(?:(?:[^\s,;.]|(?<=\d)[,.](?=\d))+ )"

#: (phrase regex, use case, weight). Weights: 5 = names the use case, 3-4 = strong cue,
#: 1-2 = supporting cue. Tuned on our own test requests, not on the development set.
USE_CASE_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
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
    (r"chat(?:ting|s)?", U.CHATBOT, 1),
    # open-ended thinking with the model: "doing long reasoning", "brainstorming"
    (r"reasoning|brainstorm(?:ing|s)?|thinking partner|sparring partner", U.CHATBOT, 1),
    (r"assistant", U.CHATBOT, 0.5),
    # code completion
    (r"auto-?complet(?:e|es|ion|ions|ing)|autocompletion", U.CODE_COMPLETION, 5),
    (r"code[- ]complet(?:e|ion|ions)|tab[- ]complet(?:e|ion|ions)", U.CODE_COMPLETION, 5),
    # what is completed names the unit of code: "line completion", "multi-line completions",
    # "completes whole functions as you type" is caught by "as you type" below
    (
        r"(?:(?:single|multi|whole|next|full)[- ])?(?:line|lines|function|method|statement"
        r"|snippet|argument|import|block|symbol|identifier|sql|query)[- ]complet(?:e|ion|ions)",
        U.CODE_COMPLETION,
        5,
    ),
    (
        r"fill[- ]in[- ]the[- ]middle|fim|inline (?:code )?(?:suggestions?|completions?)"
        r"|ghost text|as (?:they|you|developers|devs|users) type|keystrokes?",
        U.CODE_COMPLETION,
        4,
    ),
    (r"complet(?:e|ion|ions) in (?:the|our|their) (?:ide|editor)", U.CODE_COMPLETION, 4),
    (
        # paper notebooks ("lab notebooks") are records, not an editor
        r"ide|editor|vs ?code|jetbrains|intellij|neovim|vim|jupyter"
        r"|(?<!lab )(?<!field )(?<!paper )(?<!research )notebooks?",
        U.CODE_COMPLETION,
        1.5,
    ),
    (r"(?:code )?suggestions", U.CODE_COMPLETION, 1.5),
    # code generation
    (
        r"code[- ]gen(?:eration|erator)?|generat(?:e|es|ing) (?:the )?code|writ(?:e|es|ing) "
        r"(?:the )?code|code (?:from|based on)",
        U.CODE_GENERATION,
        4,
    ),
    (
        r"coding (?:assistant|copilot|agent|help|tool)|(?:programming|developer|dev) assistant"
        r"|pair[- ]programm(?:ing|er)",
        U.CODE_GENERATION,
        4,
    ),
    (
        r"text[- ]to[- ](?:sql|code|python|queries)|nl[- ]?(?:2|to)[- ]?sql"
        r"|natural[- ]language (?:to|into) (?:sql|code|queries)",
        U.CODE_GENERATION,
        5,
    ),
    (
        r"(?:generat\w*|writ\w*|produc\w*|turn\w*) (?:\w+ )?(?:sql|python|code|scripts|queries"
        r"|functions|programs)",
        U.CODE_GENERATION,
        3,
    ),
    # software artifacts written: "generate React components", "writes data pipelines in Spark"
    (
        r"(?:generat\w*|writ\w*|produc\w*|build\w*|scaffold\w*|implement\w*) (?:[\w-]+ ){0,2}?"
        r"(?:components|classes|modules|endpoints|apis|microservices|(?:data|etl|elt) pipelines"
        r"|dags|dockerfiles|migrations|regex(?:es)?|test (?:cases|suites)|frontends?|backends?"
        r"|sdks?|cli tools|helm charts|manifests)",
        U.CODE_GENERATION,
        3,
    ),
    (
        r"code (?:explanation|assistance|help|questions|search)|monorepo|codebase"
        # a repository of documents is not code ("our contract repository")
        r"|(?<!contract )(?<!contracts )(?<!document )(?<!documents )(?<!policy )(?<!legal )"
        r"(?<!case )(?<!paper )(?<!research )(?<!knowledge )(?<!content )(?<!records )"
        r"repositor(?:y|ies)",
        U.CODE_GENERATION,
        2,
    ),
    (
        r"code review|pull requests?|unit[- ]tests?|refactor(?:s|ing)?|bug ?fix(?:es|ing)?"
        r"|whole functions|boilerplate",
        U.CODE_GENERATION,
        2.5,
    ),
    (
        r"sql|python|typescript|javascript|java|golang|rust|c\+\+|c#|kotlin|bash scripts?"
        r"|terraform|snippets?|scripts|react|vue|angular|svelte|pyspark|spark|scala|swift|php"
        r"|ruby|rails|django|html|css|graphql|dbt|ansible|kubernetes|helm|cobol|fortran|matlab",
        U.CODE_GENERATION,
        1.5,
    ),
    (r"copilot|coding|programming|code", U.CODE_GENERATION, 1),
    (r"developers|devs|engineers|programmers", U.CODE_GENERATION, 0.5),
    # retrieval-augmented question answering
    (r"rag|retrieval[- ]augmented|retrieval", U.RAG_QA, 5),
    (
        r"chat with (?:your |our |the |their |my )?(?:[a-z-]+ ){0,2}?(?:pdfs?|docs|documents|data"
        r"|textbooks?|books?|slides|papers|reports|contracts|records|policies|handbooks?"
        r"|knowledge ?base|wiki|spreadsheets|codebase|notes"
        r"|files|manuals?)",
        U.RAG_QA,
        5,
    ),
    (
        r"question[- ]answering|q ?& ?a|qa(?! (?:scor|review|check|test|process|team|audit)\w*)"
        r"|ask[- ](?:our|your|the|my|their)[- ](?:docs|documents|data|pdfs|files|manuals|wiki)"
        r"|doc(?:s|ument)? (?:q&a|qa|search)",
        U.RAG_QA,
        3,
    ),
    # chat over a source of documents: "document chat", "PDF chat", "knowledge-base chatbot"
    (
        r"(?:documents?|docs?|pdfs?|files?|manuals?|wiki|knowledge[- ]?base|handbook)"
        r" chat(?: ?bots?)?",
        U.RAG_QA,
        5,
    ),
    # "questions about X" names the topic, not a source: only "from/over/using" a source is
    # the strong retrieval cue.
    (
        r"(?:answer(?:s|ing)?|respond(?:s|ing)?(?: to)?) (?:\w+ ){0,2}questions? "
        r"(?:from|over|using|based on|against)",
        U.RAG_QA,
        4,
    ),
    (
        r"(?:from|over|on|using|across|against|about|into|in) (?:our |the |its |their |your )?"
        r"(?:[a-z&-]+ ){0,2}"
        r"(?:docs|documentation|manuals?|wiki|handbook|knowledge ?base|kb|confluence|jira"
        r"|sharepoint|notion|runbooks?|policies|guidelines|pdfs?|documents|contracts|intranet"
        r"|knowledge|knowledge-base|case law|regulations|codebase|articles|filings|papers"
        r"|data ?sheets|specs|procedures|sops|notes|records|files"
        # clinical and reference sources: "drug interactions from our formulary"
        r"|formular(?:y|ies)|pharmacop(?:o)?eias?|(?:clinical |care )?protocols|monographs"
        r"|care pathways|reference (?:guides?|manuals?|material))",
        U.RAG_QA,
        3,
    ),
    (r"(?:answer(?:s|ing)?|respond(?:s|ing)?) (?:only )?(?:from|using|based on|over)", U.RAG_QA, 3),
    (r"look(?:s|ing)? up|find answers|search(?:es|ing)? (?:through|across|in)", U.RAG_QA, 2),
    # asking a body of documents: "query our internal papers archive", "search the case library",
    # "chat with our contract repository"
    (
        r"(?:query|querying|search|searching|interrogate|interrogating|ask|asking|explore"
        r"|chat(?:ting)? with|talk(?:ing)? to)"
        r" (?:our |the |their |its |your )?(?:(?:\d+|many|several) (?:years|decades|months)"
        r" of )?(?:[a-z&-]+ ){0,2}?(?:archives?|corpus|corpora"
        r"|librar(?:y|ies)|repositor(?:y|ies)|docs|documents|documentation|knowledge ?base|wiki"
        r"|papers|manuals|records|pdfs|data ?rooms?|handbooks?|policies|contracts"
        r"|(?:lab|field|research|case) notebooks|case files|reports|transcripts|filings"
        r"|patents|studies|literature|notes|logs)",
        U.RAG_QA,
        4,
    ),
    (
        r"(?:ask|asking|answer|answers|answering) (?:\w+ )?questions? "
        r"(?:about|on|over|from|against)|faq answering|help[- ]?cent(?:er|re)",
        U.RAG_QA,
        3,
    ),
    (
        r"knowledge[- ]?base|kb articles?|wiki|handbook|manuals?|confluence|runbooks?|intranet"
        r"|sharepoint|internal documents",
        U.RAG_QA,
        2,
    ),
    (
        r"cited answers|citations?|grounded|semantic search|enterprise search|search over"
        r"|research assistant",
        U.RAG_QA,
        2.5,
    ),
    # summarization (split into short/long afterwards)
    (
        r"summar(?:y|ies|ize|ise|izes|ises|ized|ised|izing|ising|ization|isation|izer|iser)",
        U.SUMMARIZATION,
        4,
    ),
    (
        r"abstracts?|digests?|tl;?dr|recaps?|condens(?:e|es|ing)|synops(?:is|es)|key points"
        # "minutes" of a meeting, not a count of minutes ("every 2 minutes", "a few minutes")
        r"|meeting notes|(?<!\d )(?<!\d)(?<!few )(?<!of )(?<!every )minutes"
        r"|highlights|compress(?:es|ing)?|shorten(?:s|ing)?|takeaways",
        U.SUMMARIZATION,
        2,
    ),
    # a reduction of a source into something shorter: "compress articles into headlines",
    # "executive briefs from due diligence packs"
    (
        r"(?:condens|compress|shorten|distil|boil(?:s|ing)? down|reduc)\w* "
        rf"{_WORD}{{0,5}}?into"
        r"|(?:exec(?:utive)?|management|board) (?:briefs?|briefings?|overviews?|summar\w*)"
        r"|(?:briefs?|briefings?|overviews?|synops(?:is|es)) (?:from|of) "
        r"|(?:the |a )?(?:gist|pr[eé]cis|short version|cliff ?notes) of"
        r"|(?:turn\w*|convert\w*|transform\w*|distill?\w*) "
        rf"{_WORD}{{1,5}}?into {_WORD}{{0,2}}?"
        r"(?:briefs?|briefings?|summar\w+|notes"
        r"|bullets|bullet points|abstracts?|recaps?|takeaways|highlights|tl;?drs?|one-liners"
        r"|blurbs?"
        r"|synops\w+|digests?|action items)",
        U.SUMMARIZATION,
        5,
    ),
    (
        r"long[- ](?:documents?|docs?|contracts?|reports?|forms?|texts?|context|papers?|files?)"
        r"|book-length|lengthy",
        U.LONG_DOCUMENT_SUMMARIZATION,
        3,
    ),
    (
        r"contracts?|filings?|books?|manuscripts?|annual reports?|research papers?|10-k"
        r"|theses|legal documents|case files|depositions?|long",
        U.LONG_DOCUMENT_SUMMARIZATION,
        1.5,
    ),
    # content generation
    (
        r"blog(?: posts?| articles?)?|newsletters?|ad copy|copy ?writ(?:ing|er|ers)|slogans?"
        r"|taglines?|captions?|product descriptions?|description (?:writer|generator)"
        r"|social media(?: posts)?|linkedin posts?|press releases?|creative writing|stories"
        r"|story (?:generator|writer)|poems?|essays?|outreach emails|cover letters|seo"
        r"|marketing (?:copy|content|emails?|texts?)|landing pages?"
        # promotional writing: "promotional blurbs", "episode teasers", "loglines"
        r"|loglines?|promos|promotional (?:copy|texts?|materials?|content"
        r"|blurbs?|emails?|descriptions?)|ad scripts|video scripts|microcopy",
        U.CONTENT_GENERATION,
        3,
    ),
    (
        r"(?:(?:re-?)?writ\w*|draft\w*|generat\w*|compos\w*|creat\w*|produc\w*|paraphras\w*"
        r"|rephras\w*|polish\w*) (?:\w+ ){0,3}?"
        r"(?:emails?|posts?|articles?|copy|descriptions?|texts?|content|stories|newsletters?"
        r"|replies|responses|ads|job (?:ads|postings|descriptions|listings)"
        r"|captions?|ads|memos?|letters?|briefs?|announcements?|headlines?|bios"
        # a synopsis or blurb that is written, not a source reduced ("synopses of X" is)
        r"|synops(?:is|es)(?! (?:of|from))|blurbs?|teasers?|loglines?)",
        U.CONTENT_GENERATION,
        3,
    ),
    (
        r"marketing|content|articles|drafting|drafts?|writ(?:e|es|ing|er)|copy|personali[sz]ed",
        U.CONTENT_GENERATION,
        1.5,
    ),
    (r"marketers|content creators|copywriters|writers|creators", U.CONTENT_GENERATION, 1.5),
    # short texts that are written or cut down alike ("3-sentence blurbs" of an article is a
    # summary): a supporting cue only
    (r"blurbs?|teasers?", U.CONTENT_GENERATION, 1.5),
    # the kind of message names what is written: "personalized sales emails", "cold outreach"
    (
        r"(?:sales|outreach|cold|follow-?up|promotional|nurture|welcome|campaign|newsletter"
        r"|fundraising|recruiting) (?:e-?mails?|messages?|letters?|dms?|sequences?)",
        U.CONTENT_GENERATION,
        3,
    ),
    (
        r"(?:rewrit|rephras|paraphras|proofread|copy-?edit)\w*"
        r"(?! (?:\w+ )?(?:code|functions?|scripts?|sql|queries|modules?|classes|tests?))"
        r"|release notes|changelogs?|headlines?|standfirsts?|subheads?",
        U.CONTENT_GENERATION,
        3,
    ),
    (r"newspapers?|newsroom|editorial|journalists?|editors|publishers?", U.CONTENT_GENERATION, 1.5),
    (r"generat(?:e|es|ing|or|ion)", U.CONTENT_GENERATION, 0.5),
    # translation
    (r"translat(?:e|es|ed|ing|ion|ions|or|ors)|locali[sz](?:e|es|ed|ing|ation)", U.TRANSLATION, 5),
    (r"interpret(?:er|ers|ing|ation)|subtitles?|\d+ languages", U.TRANSLATION, 2),
    # a change of language: "turn our English manuals into German", "Japanese-to-English"
    (
        rf"(?:into|to) (?:{_LANGS})(?! (?:speakers|users|customers|summar\w+))"
        rf"|(?:{_LANGS})[- ](?:to|into)[- ](?:{_LANGS})",
        U.TRANSLATION,
        3,
    ),
    (r"multilingual", U.TRANSLATION, 0.5),
    # batch processing
    (
        r"batch(?:es|ed)?|in bulk|bulk|offline|overnight|nightly|every night|backfill"
        r"|asynchronous|async|etl|cron|over the weekend|no latency requirement|batch-\w+"
        r"|rubric|scor(?:e|es|ed|ing) against|qa scoring|quality assurance|next[- ]day"
        r"|re-?(?:scor|rank|classif|tag|label|process|index|categori[sz])\w*"
        r"|(?:each|every) (?:weekend|night|sunday|saturday)|weekends"
        r"|(?:by|before) (?:the )?(?:next )?morning"
        r"|not time[- ]sensitive|throughput job",
        U.BATCH_PROCESSING,
        3,
    ),
    # nobody waits on the answer: "nobody is waiting on it", "no one's waiting",
    # "not user-facing", "non-interactive"
    (NOBODY_WAITS, U.BATCH_PROCESSING, 3),
    (
        r"classif(?:y|ies|ying|ication)|tag(?:s|ging)?|label(?:s|ling|ing)?|extract(?:s|ing|ion)?"
        r"|annotat(?:e|es|ed|ing|ion)"
        r"|categori[sz](?:e|es|ing|ation)|moderat(?:e|ion)|sentiment|entities|ner|dedup(?:e)?"
        r"|enrich(?:ment)?|pull out|parse|parsing|structured fields|analy[sz]e",
        U.BATCH_PROCESSING,
        2,
    ),
    (
        r"pipeline|process(?:es|ing)?|job(?! (?:ads?|postings?|descriptions?|listings?|offers?"
        r"|titles?|seekers?|candidates?|applicants?))",
        U.BATCH_PROCESSING,
        1,
    ),
)
