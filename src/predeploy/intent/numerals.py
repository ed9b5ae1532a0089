"""Numbers as people write them: digits with separators and scales ("1,200", "1.5k",
"2.5 million"), number words ("two hundred and fifty", "a dozen", "a couple hundred").

:func:`spell_out_numbers` turns number words into digits before the finders run;
:data:`NUMBER` / :func:`number_pattern` match what they read and :func:`number_from` parses it.
"""

from __future__ import annotations

import re

_WORD_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a dozen": 12,
    "dozen": 12,
    "a couple": 2,
    "a couple of": 2,
    "a pair of": 2,
    "a single": 1,
    "single": 1,
    "half a million": 500_000,
}
_WORD_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
#: Fixed phrases that are numbers but not compounds of number words.
_WORD_PHRASES = "half a million|a dozen|a couple of|a couple|a pair of|a single|dozen|single"
_UNIT_WORD = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen"
)
_TENS_WORD = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_SCALE_WORD = r"hundred|thousand|million|billion"
_FIRST_WORD = rf"(?:(?:{_TENS_WORD})(?:-(?:{_UNIT_WORD}))?|{_UNIT_WORD})"
_ONE_WORD = rf"(?:{_FIRST_WORD}|{_SCALE_WORD})"
#: A fixed phrase, or a run of number words: "two hundred and fifty", "twenty-five thousand",
#: "a hundred and twenty", "three thousand five hundred". "and" only joins after a scale word.
_NUMBER_WORDS = re.compile(
    rf"\b(?P<phrase>{_WORD_PHRASES})\b"
    rf"|\b(?P<run>(?:a (?=(?:{_SCALE_WORD})\b)|(?={_FIRST_WORD}\b)){_ONE_WORD}"
    rf"(?:(?:\s+|-|\s+and\s+){_ONE_WORD})*)\b"
)
_SMALL_KIND = {
    **dict.fromkeys(_UNIT_WORD.split("|"), "unit"),
    **dict.fromkeys(_TENS_WORD.split("|"), "tens"),
}


def _compound_groups(words: list[str]) -> list[list[str]]:
    """Split a run of number words into the numbers it writes.

    A unit or teen may follow only a tens word or a scale word, and a tens word only a scale
    word: "five ten" is two numbers, "two hundred fifty" one.
    """
    groups: list[list[str]] = []
    for word in words:
        kind = "scale" if word in _WORD_SCALES else _SMALL_KIND.get(word, "unit")
        prev = groups[-1][-1] if groups else None
        prev_kind = (
            None
            if prev is None
            else ("scale" if prev in _WORD_SCALES else _SMALL_KIND.get(prev, "unit"))
        )
        joins = prev is not None and (
            kind == "scale"
            or prev_kind == "scale"
            or (prev_kind == "tens" and kind == "unit" and int(_WORD_UNITS[word]) < 10)
        )
        if joins:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def _word_number(phrase: str) -> int:
    """Value of number words: total += current · scale at each thousand/million/billion."""
    if phrase in _WORD_UNITS:
        return _WORD_UNITS[phrase]
    total = current = 0
    for word in phrase.replace("-", " ").split():
        if word == "hundred":
            current = max(current, 1) * 100
        elif word in _WORD_SCALES:
            total += max(current, 1) * _WORD_SCALES[word]
            current = 0
        else:
            current += _WORD_UNITS.get(word, 0)
    return total + current


#: Loose quantities of a scale: "a couple hundred" = 2 × 100, "a few thousand" = 3 × 1000,
#: "half a dozen" = 0.5 × 12. "A few" is read as three (its usual lower reading).
_QUANTITY_OF_SCALE = re.compile(
    r"\b(?P<q>a couple(?: of)?|couple of|a few|half an?)\s+"
    r"(?P<s1>hundred|thousand|million|billion|dozen)(?:\s+(?P<s2>thousand|million))?\b"
)
_QUANTITY = {"a couple": 2.0, "a couple of": 2.0, "couple of": 2.0, "a few": 3.0}
_DOZEN = 12
#: Fractions written as words, read before a scale or a time unit.
FRACTION_WORDS = {
    "half": 0.5,
    "halves": 0.5,
    "third": 1 / 3,
    "thirds": 1 / 3,
    "quarter": 0.25,
    "quarters": 0.25,
    "fifth": 0.2,
    "fifths": 0.2,
    "tenth": 0.1,
    "tenths": 0.1,
    "hundredth": 0.01,
    "hundredths": 0.01,
}
_FRACTION_COUNT = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0}
#: A fraction of a scale or of a time unit: "a quarter of a million" = 250000, "three
#: quarters of a million" = 750000, "a fifth of a second" = "0.2 seconds", "a quarter
#: second", "a tenth of an hour". "Half a second" stays words (read in targets.py); "a
#: quarter of our users", "a third of the traffic" name no scale or unit and stay as they are.
_FRACTION_OF = re.compile(
    r"\b(?P<count>an?|one|two|three|four)[ -](?P<frac>half|halves|thirds?|quarters?|fifths?"
    r"|tenths?|hundredths?)(?: of)?(?: an?| one)? (?P<what>hundred|thousand|million|billion"
    r"|seconds?|minutes?|hours?)\b"
)
#: A count of dozens: "two dozen" = 24, "3 dozen" = 36 ("a dozen" alone is 12).
_COUNT_OF_DOZENS = re.compile(
    r"(?<![\w.,])(?P<count>\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"\s+dozens?\b"
)
#: Informal thousands of dollars: "eight grand", "10 grand", "2.5 grand" = "$8k", "$10k",
#: "$2.5k" (a number right before "grand" is always money).
_GRAND = re.compile(r"(?:\$\s*)?(?<![\w.,])(?P<num>\d+(?:\.\d+)?)\s*(?:k\s+)?grand\b")


#: A whole number and a fraction of a scale, "grand", a dozen or a time unit: "one and a half
#: thousand" = 1500, "two and a half grand" = "$2.5k", "3 and a quarter million", "one and a
#: half seconds" = "1.5 seconds". Read before :data:`_FRACTION_OF`, which would take "a half
#: thousand" alone.
_WHOLE_AND_FRACTION = re.compile(
    rf"(?<![\w.,-])(?P<whole>\d+|{_FIRST_WORD}) and (?:a |one )?"
    r"(?P<frac>half|quarter|third|three quarters|three-quarters) (?:of an? )?"
    r"(?P<what>hundred|thousand|million|billion|grand|dozen|seconds?|minutes?|hours?)\b"
)
_WHOLE_FRACTIONS = {
    "half": 0.5,
    "quarter": 0.25,
    "third": 1 / 3,
    "three quarters": 0.75,
    "three-quarters": 0.75,
}
#: "forty-odd pages", "20-odd engineers": a round number and some more, read as the number
#: (the lower reading; only round numbers: "3 odd requests" is no approximation).
_ROUND_ODD = re.compile(r"(?<![\w.,])(?P<num>\d*[1-9]0+)(?:-| )odd\b")


#: A plural fraction after a small number word: "two thirds", "three quarters" (kept as words).
_FRACTION_AFTER = re.compile(r"[ -](?:halves|thirds|quarters|fifths|tenths)\b")


def _whole_and_fraction(m: re.Match[str]) -> str:
    whole = m.group("whole")
    value = (int(whole) if whole.isdigit() else _word_number(whole)) + _WHOLE_FRACTIONS[
        m.group("frac")
    ]
    what = m.group("what")
    if what in _WORD_SCALES:
        return f"{value * _WORD_SCALES[what]:.0f}"
    if what == "dozen":
        return f"{value * _DOZEN:.0f}"
    if what == "grand":
        return f"{value:.4g} grand"
    unit = what if what.endswith("s") else what + "s"
    return f"{value:.4g} {unit}"


def _fraction_of(m: re.Match[str]) -> str:
    count = _FRACTION_COUNT[m.group("count")]
    value = count * FRACTION_WORDS[m.group("frac")]
    what = m.group("what")
    if what in _WORD_SCALES:
        return f"{value * _WORD_SCALES[what]:.0f}"
    unit = what if what.endswith("s") else what + "s"
    return f"{value:.4g} {unit}"


def _count_of_dozens(m: re.Match[str]) -> str:
    count = m.group("count")
    n = int(count) if count.isdigit() else _WORD_UNITS[count]
    return str(n * _DOZEN)


def _quantity_of_scale(m: re.Match[str]) -> str:
    q = m.group("q")
    factor = 0.5 if q.startswith("half") else _QUANTITY[q]
    value = factor * (_DOZEN if m.group("s1") == "dozen" else _WORD_SCALES[m.group("s1")])
    if m.group("s2"):
        value *= _WORD_SCALES[m.group("s2")]
    return f"{value:.0f}"


def spell_out_numbers(text: str) -> str:
    """Replace number words by digits: "two hundred and fifty" → "250", "a dozen" → "12",
    "a couple hundred" → "200", "half a dozen" → "6", "two dozen" → "24", "a quarter of a
    million" → "250000", "a fifth of a second" → "0.2 seconds", "eight grand" → "$8k",
    "one and a half thousand" → "1500", "two and a half grand" → "$2.5k", "forty-odd" → "40".

    "one" stays a word before "of" ("one of our teams") and in "no one"/"anyone".
    """
    text = _WHOLE_AND_FRACTION.sub(_whole_and_fraction, text)
    text = _FRACTION_OF.sub(_fraction_of, text)
    text = _COUNT_OF_DOZENS.sub(_count_of_dozens, text)
    text = _QUANTITY_OF_SCALE.sub(_quantity_of_scale, text)

    def repl(m: re.Match[str]) -> str:
        if m.group("phrase"):
            return str(_WORD_UNITS[m.group("phrase")])
        run = m.group("run")
        after = text[m.end() : m.end() + 4]
        before = text[max(0, m.start() - 3) : m.start()]
        if run == "one" and (after.startswith(" of") or before.endswith("no ")):
            return run
        if _FRACTION_AFTER.match(text, m.end()) and run in _WORD_UNITS:
            return run  # "two thirds of the nurses": a share, never a count of thirds
        words = re.split(r"[\s-]+", run)
        if words[0] == "a":
            words = ["one", *words[1:]]
        # "and" joins only after a scale word ("two hundred and fifty"), else it separates.
        parts: list[list[str]] = [[]]
        for i, word in enumerate(words):
            if word != "and":
                parts[-1].append(word)
            elif words[i - 1] not in _WORD_SCALES:
                parts.append([])
        return " and ".join(
            " ".join(str(_word_number(" ".join(g))) for g in _compound_groups(part))
            for part in parts
        )

    text = _NUMBER_WORDS.sub(repl, text)
    text = _ROUND_ODD.sub(lambda m: m.group("num"), text)
    return _GRAND.sub(lambda m: f"${m.group('num')}k", text)


#: A number as people write it: "1,200", "5 000" (after cleaning), "1.5k", "2.5 million", "20k".
#: A match never stops inside a number (before a thousands group or a decimal part), so a
#: pattern that fails on "1,000 freshmen" cannot backtrack into reading "1" before ",000".
NUMBER = (
    r"(?<![\w.])(?P<{name}>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?!,\d{{3}}(?!\d)|\.\d)"
    r"(?:\s*(?P<{name}_scale>k|m|mm|mn|b|bn|thousand|million|mil|billion|trillion)\b)?"
)
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "trillion": 1e12,
}


def number_pattern(name: str = "num") -> str:
    """Regex fragment for :data:`NUMBER` with named groups ``name`` and ``name_scale``."""
    return NUMBER.format(name=name)


def parse_number(digits: str, scale: str | None) -> float:
    """``("1.5", "k")`` → 1500.0; ``("12,000", None)`` → 12000.0."""
    value = float(digits.replace(",", ""))
    if scale:
        value *= _SCALES[scale]
    return value


def number_from(match: re.Match[str], name: str = "num") -> float:
    """The number a :func:`number_pattern` group matched."""
    return parse_number(match.group(name), match.group(f"{name}_scale"))


def range_low(match: re.Match[str], low: str = "num2", high: str = "num") -> float:
    """The low end of a range whose scale is written once: "30-40k" = 30k–40k, "1.5-2m" =
    1.5M–2M; "500-2k" keeps 500 (a low end above the high end's digits has no scale)."""
    value = number_from(match, low)
    scale = match.group(f"{high}_scale")
    high_digits = float(match.group(high).replace(",", ""))
    if match.group(f"{low}_scale") is None and scale and value <= high_digits:
        value *= _SCALES[scale]
    return value


_SPACE_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?: \d{3})+)(?![\d.,]|\s*(?:k|m)\b)")


def join_space_thousands(text: str) -> str:
    """ "5 000 employees" → "5000 employees" (space as a thousands separator)."""
    return _SPACE_THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), text)
