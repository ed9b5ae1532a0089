"""Use-case cues of work over documents: retrieval-augmented question answering (a source
that is asked or searched) and summarization (a source reduced to something shorter; split
into short and long documents afterwards).
"""

from __future__ import annotations

from predeploy.core.types import UseCase

U = UseCase

#: One word of a phrase with its trailing space; digits keep their separators ("1,200-token").
_WORD = r"(?:(?:[^\s,;.]|(?<=\d)[,.](?=\d))+ )"

DOCUMENT_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
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
    # answers taken out of a source: "pull answers out of the policy wordings", "dig the answer
    # out of our contracts", "get answers from the fine print"
    (
        r"(?:pull|pulls|pulling|get|gets|getting|dig|digs|digging|fish|fishes|fishing|extract"
        r"|extracts|extracting|find|finds|finding|grab|grabs|draw|draws|dredge|dredges)"
        r" (?:the |their |our )?answers? (?:out of|from|in)"
        r"(?= (?!(?:the |a |an )?(?:model|llm|ai|bot|gpt)\b))",
        U.RAG_QA,
        4,
    ),
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
    # a reduction verb that names the summary by itself, however long its object ("boils down
    # contracts that usually run to 40 pages into a short brief", "boil each thread down to two
    # lines"); "it boils down to cost" (no object) is an idiom, no summary
    (r"boil(?:s|ed|ing)? down(?! to\b)|boil(?:s|ed|ing)? (?:[a-z'-]+ ){1,4}?down\b",
     U.SUMMARIZATION, 5),
    # a short written product made from a source: "get back a one-page study guide", "want
    # a two-page brief out", "cheat sheets", "one-pagers" (number words arrive as digits)
    (
        r"(?:1|2|single|half|half a)[- ]pages? (?:[a-z-]+ )?(?:briefs?|briefings?|guides?"
        r"|overviews?|memos?|outlines?|notes|reports?|write-?ups?|sheets?|handouts?|digests?"
        r"|versions?|recaps?)|study guides?|cheat ?sheets?|crib sheets?|(?:one|1)[- ]pagers?"
        r"|(?:briefs?|briefings?|recaps?|digests?) (?:out|back)",
        U.SUMMARIZATION,
        3,
    ),
    (
        r"long[- ](?:documents?|docs?|contracts?|reports?|forms?|texts?|context|papers?|files?)"
        r"|book-length|lengthy",
        U.LONG_DOCUMENT_SUMMARIZATION,
        3,
    ),
    (
        r"contracts?|filings?|books?|manuscripts?|annual reports?|research papers?|10-k"
        r"|theses|legal documents|case files|depositions?|(?<!as )(?<!so )long(?! as\b)",
        U.LONG_DOCUMENT_SUMMARIZATION,
        1.5,
    ),
)
