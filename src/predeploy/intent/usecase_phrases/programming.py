"""Use-case cues of programming help: code completion in the editor (the unit completed, as
you type) and code generation (what is written, in which language).
"""

from __future__ import annotations

from predeploy.core.types import UseCase

U = UseCase

PROGRAMMING_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
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
)
