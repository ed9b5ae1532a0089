"""Use-case cues of producing text: content generation (what is written, for whom) and
translation (a change of language).
"""

from __future__ import annotations

from predeploy.core.types import UseCase
from predeploy.intent.domain import LANGUAGES

U = UseCase

_LANGS = "|".join(LANGUAGES)

WRITING_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
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
)
