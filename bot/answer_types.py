"""What kind of answer a question wants, and where answers of that kind stand in a sentence.

"How many…" wants a number, "who…" a person, "which company…" an organisation, "where…"
a place, "when…" a date, "how long…" a duration. A sentence that holds such an answer, not
already said in the question, is a better candidate than one that only repeats the
question's words. Pure functions over English text, no model: the cues are the question
words and the head noun after "which"/"what", and in sentences the shapes of numbers,
amounts, dates, durations and capitalised names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.terms import STOPWORDS, stem, words


class AnswerType(StrEnum):
    NUMBER = "number"  # counts, amounts, prices, rates, percentages, scores
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    DATE = "date"  # a day, month, year or time of day
    DURATION = "duration"
    NAME = "name"  # something named, of a kind these rules don't type ("which hurricane")
    STATEMENT = "statement"  # what someone said ("What did Russia say?")
    OTHER = "other"


NAMED = frozenset({AnswerType.PERSON, AnswerType.ORGANISATION, AnswerType.PLACE, AnswerType.NAME})


@dataclass(frozen=True)
class Span:
    start: int  # character offsets into the text searched
    end: int
    type: AnswerType
    text: str


# -- the question -----------------------------------------------------------------------

_UNITS = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centuries)"
# Nouns whose value is a number: "what is the unemployment rate", "the new high".
_MEASURES = frozenset(
    """rate rates price prices cost costs level levels figure figures number numbers amount
    amounts total totals sum percentage percent proportion share shares score scores toll
    magnitude value values high low tally margin majority turnout inflation growth deficit
    surplus debt budget salary salaries wage wages fine fines fee fees bill population age
    temperature speed height depth distance capacity output production yield index average
    count bid offer valuation revenue revenues profit profits loss losses sales fare fares
    ransom reward jackpot premium tariff tax taxes vote votes odds record close category
    strength size""".split()
)
_PLACES = frozenset(
    """country countries city cities town towns state states region regions province provinces
    county counties capital island islands port ports venue venues stadium village villages
    nation nations continent district districts neighbourhood neighborhood area areas location
    site sea river airport prison hospital territory""".split()
)
_ORGANISATIONS = frozenset(
    """company companies firm firms bank banks party parties team teams club clubs group groups
    organisation organization organisations organizations agency agencies airline airlines
    carrier network newspaper paper union unions government governments ministry court band
    maker manufacturer retailer chain giant broadcaster channel publisher university school
    charity bidder buyer insurer lender automaker carmaker exchange brand label studio army
    militia faction coalition alliance council committee board fund regulator watchdog
    operator supplier rival rivals side""".split()
)
_PEOPLE = frozenset(
    """person people man men woman women player players candidate candidates politician
    minister president leader leaders official officials executive executives economist
    writer author actor actress singer director chairman chairwoman chair spokesman
    spokeswoman spokesperson judge senator governor mayor general commander officer coach
    manager founder winner winners scientist physicist chemist novelist poet artist member
    academic lawmaker legislator premier chancellor king queen prince princess pope
    bishop driver pilot captain striker goalkeeper champion rider athlete boxer
    billionaire businessman businesswoman activist lawyer prosecutor doctor envoy
    ambassador diplomat economist successor predecessor nominee""".split()
)
_WH_HEAD = re.compile(r"\b(?:which|what)\b((?:\s+[\w'’.-]+){1,4})", re.I)


_WH = re.compile(r"\b(how|who|whom|whose|which|what|when|where|why)\b")
# What someone said: the verbs of a question about it, and of a sentence reporting it.
_SAY = (
    r"(?:say|said|claim|announce|tell|warn|add|state|report|argue|reply|respond|react|"
    r"comment|answer|accuse|blame|insist|deny|declare|call|describe|think|make of)"
)
_REPORTING = re.compile(
    r"\b(?:said|says|say|stated|states|announced|announces|claimed|claims|told|tells|warned|"
    r"warns|added|adds|argued|argues|insisted|insists|denied|denies|denounced|denounces|"
    r"accused|accuses|blamed|blames|condemned|condemns|called|calls|described|describes|"
    r"replied|replies|responded|declared|declares|asserted|stressed|urged|demanded|vowed|"
    r"pledged|promised|according to|statement|spokesman|spokeswoman|spokesperson)\b",
    re.I,
)
# "Where does the rate stand?", "where did the index close?": a level, not a place.
_LEVEL_VERBS = (
    r"(?:stand|stands|stood|close|closed|closes|end|ended|finish|finished|settle|settled"
    r"|sit|sits|trade|traded)"
)


def expected_type(question: str) -> AnswerType:
    """The type of answer `question` asks for (OTHER when it can't tell).

    The question word that leads the asking sentence decides ("Who led the union when it
    struck?" wants a person, not a date); the noun after "which"/"what" refines it."""
    whole = " ".join(question.replace("’", "'").split())
    q = _asking_sentence(whole).lower()
    lead = _WH.search(q)
    wh = lead.group(1) if lead else ""
    rest = q[lead.start() :] if lead else q
    if re.match(rf"(?:what|how) (?:did|does|do|has|have|will|would) [\w'., -]+? {_SAY}\b", rest):
        return AnswerType.STATEMENT
    if wh == "how":
        return _how(rest)
    if wh == "when":
        return AnswerType.DATE
    if wh == "where":
        if re.match(rf"where (?:[\w'.]+ ){{0,8}}?{_LEVEL_VERBS}\b", rest) or _measure_asked(rest):
            return AnswerType.NUMBER
        return AnswerType.PLACE
    if wh in {"who", "whom", "whose"}:
        return AnswerType.PERSON
    if wh in {"which", "what"}:
        if re.match(r"(?:what|which) (?:date|day|year|month|time of day|week|season)\b", rest):
            return AnswerType.DATE
        head = _head_noun(rest)
        if head is not None:
            return head
        if _measure_asked(rest) or (rest.startswith("what was it") and _measure_asked(whole)):
            return AnswerType.NUMBER
        if wh == "which":
            return AnswerType.NAME  # "which hurricane", "which Toyota model": something named
    return AnswerType.OTHER


def _asking_sentence(q: str) -> str:
    """The sentence that asks: "Oil hit a record this week. Where did it close?" -> the last."""
    parts = [p for p in re.split(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", q) if p.strip()]
    asking = [p for p in parts if p.endswith("?")]
    return asking[-1] if asking else q


def _how(rest: str) -> AnswerType:
    if re.match(r"how long ago\b", rest):
        return AnswerType.DATE
    if re.match(r"how long\b", rest):
        return AnswerType.DURATION
    if re.match(
        r"how (?:many|much|high|low|far|big|large|old|fast|badly|deep|tall|strong|close|thin"
        r"|wide|heavy|hot|cold|often|steep|sharply|severe)\b",
        rest,
    ):
        return AnswerType.NUMBER
    if re.match(r"how (?:did|does|do) [\w' ]+ (?:do|fare|finish|perform|rank)\b", rest):
        return AnswerType.NUMBER
    return AnswerType.OTHER


def _head_noun(q: str) -> AnswerType | None:
    """The type named by the noun after "which"/"what" ("which American economist")."""
    m = _WH_HEAD.match(q)
    if m:
        for word in m.group(1).split():
            word = re.sub(r"'s$", "", word.strip(".,;:?!'’"))
            if word in _PLACES:
                return AnswerType.PLACE
            if word in _ORGANISATIONS:
                return AnswerType.ORGANISATION
            if word in _PEOPLE:
                return AnswerType.PERSON
            if word in _MEASURES:
                return AnswerType.NUMBER
            if word in {"is", "was", "were", "are", "did", "does", "do", "has", "had", "will"}:
                break  # "what did the bank set…": no head noun right after the wh-word
    return None


def _measure_asked(q: str) -> bool:
    """ "What did the bank set its rate at?", "what did inflation rise to?": a measure noun
    with a question word and no other cue."""
    return any(w.strip("?.,") in _MEASURES for w in q.split()) or bool(
        re.search(r"\b(?:to|at) what\b|\b(?:rise|fall|climb|drop|cut|raise|set) \w+ (?:to|at)\?", q)
    )


# -- answers in a sentence --------------------------------------------------------------

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|hundreds|thousand|thousands|dozen|dozens|million|millions|"
    "billion|billions|half|a half|quarter|a third"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|bn|mln|m|k)\b)?"
_CURRENCY = r"(?:(?:US|USD|EUR|GBP|AU|A|C|NZ|HK)\s?)?[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|CHF|Rs\.?)\s?"
_NUM = r"\d+(?:[.,]\d+)*"
# Units of measure read as part of an amount ("3,100 tonnes", "70 mph"); counted nouns
# ("people", "homes") are not units: the question's own noun says what is counted.
_UNIT = (
    r"(?:\s(?:metric\s)?(?:tonnes|tons|tonne|ton|kilograms|kilogrammes|kg|grams|pounds|lbs?|ounces|"
    r"kilometres|kilometers|km|miles|mi|metres|meters|feet|ft|inches|centimetres|cm|"
    r"millimetres|mm|acres|hectares|ha|litres|liters|gallons|barrels|degrees|mph|km/h|"
    r"square\s(?:kilometres|kilometers|miles|metres|meters|feet)|megawatts|MW|gigawatts|GW|"
    r"kilowatts|kW|knots|years|months|weeks|days|hours|minutes|seconds)\b)?"
)
_AMOUNT = re.compile(
    rf"(?:{_CURRENCY})\s?{_NUM}{_SCALE}"  # $86.13, US $1 trillion, EUR 1.295
    rf"|\b{_NUM}\s?(?:%|percent\b|per cent\b|percentage points?\b)"  # 4.9 percent, 53,9%
    rf"|\b{_NUM}(?:st|nd|rd|th)\b"  # 64th
    rf"|\b{_NUM}{_SCALE}(?:\s(?:to|-|–)\s{_NUM})?{_UNIT}"  # 2.47 million, 70 to 30, 3,100 tonnes
    rf"|\b(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}|and))*\b",
    re.I,
)
_MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
)
_WEEKDAY_NAMES = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATE = re.compile(
    rf"\b(?:(?:early|mid|late|end of)[\s-])?(?:{_MONTH_NAMES})(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?"
    rf"(?:,?\s(?:1[89]|20)\d\d)?\b"  # March 5, 2008; mid-October
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?(?:{_MONTH_NAMES})(?:,?\s(?:1[89]|20)\d\d)?\b"
    rf"|\b(?:last |next |this )?(?:{_WEEKDAY_NAMES})\b"
    r"|\b(?:1[89]|20)\d\d(?:s)?\b"  # a year, or the 1990s
    r"|\b(?:yesterday|today|tomorrow|tonight)\b"
    r"|\b\d{1,2}:\d\d(?:\s?[ap]\.?m\.?)?|\b\d{1,2}(?:\.\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)"
)
_DURATION = re.compile(
    rf"\b(?:{_NUM}|{_NUMBER_WORDS}|a|an|several|few|a few|many)[\s-]+(?:and a half[\s-]+)?"
    # three-hour, 12 days, two and a half years
    rf"{_UNITS.replace('s?', '(?:s)?')}\b(?:[\s-]long)?"
    r"|\bovernight\b|\b(?:a|one) decade\b",
    re.I,
)
# A capitalised name: words starting upper-case, initials ("F."), and the small words that
# sit inside names ("Bank of England", "Rohm and Haas", "Charles de Gaulle").
_NAME = re.compile(
    r"(?:[A-Z][\w'’&.-]*|[A-Z]\.)(?:(?:\s(?:of|de|du|da|del|der|van|von|bin|al|la|le|and|&)"
    r")?\s(?:[A-Z][\w'’&.-]*|[A-Z]\.))*"
)
_TITLES = frozenset(
    """mr mrs ms dr sir dame lord lady president prime minister senator sen rep governor gov
    mayor general gen colonel col major maj captain capt lieutenant lt sergeant sgt admiral
    adm judge justice chancellor king queen prince princess pope rev father sheikh chairman
    secretary commissioner chief inspector professor prof ambassador""".split()
)
_ORG_WORDS = frozenset(
    """inc corp corporation co company companies ltd plc llc group bank party union council
    ministry department agency association committee commission university college institute
    foundation fund federation league club airlines airways motors holdings partners
    organisation organization reserve board court parliament congress senate police army
    navy force forces assembly authority exchange times post news network""".split()
)
_NOT_NAMES = frozenset(
    """the a an in on at for from to by with of and but or as if it its he she they we i you
    this that these those there here his her their our my your when where while after before
    however meanwhile also although though because since during according under over some
    many most all both each other another such no not yes so then still yet police officials
    authorities""".split()
)
_LOCATIVE = re.compile(r"\b(?:in|at|near|from|to|into|across|outside|inside)\s$")


def answer_spans(text: str, wanted: AnswerType, question: str = "") -> list[Span]:
    """Spans of `text` that could answer a question wanting `wanted`, leaving out those
    whose words all appear in `question` (an answer says something new)."""
    if wanted is AnswerType.OTHER:
        return []
    if wanted is AnswerType.STATEMENT:
        return _statements(text, question)
    asked = set(words(question))
    return [s for s in _find(text, wanted) if not _said(s.text, asked)]


def _statements(text: str, question: str) -> list[Span]:
    """Reporting verbs ("said", "according to") with a name the question asks about just
    before them (the speaker: "the Kremlin said") or right after ("said the Kremlin").
    The sentence as a whole is the answer, so these spans are evidence, not a short answer."""

    names = name_phrases(question)
    if not names:
        return _find(text, AnswerType.STATEMENT)
    found = []
    for verb in _find(text, AnswerType.STATEMENT):
        before = text[max(0, verb.start - 60) : verb.start]
        after = text[verb.end : verb.end + 40]
        near = {stem(w) for w in words(before)[-6:] + words(after)[:2]}
        if any(mentions(n, near) for n in names):
            found.append(verb)
    return found


def has_answer(text: str, wanted: AnswerType, question: str = "") -> bool:
    return bool(answer_spans(text, wanted, question))


def _said(span: str, asked: set[str]) -> bool:
    span_words = [w for w in words(span) if w not in STOPWORDS]
    return bool(span_words) and all(w in asked for w in span_words)


def _find(text: str, wanted: AnswerType) -> list[Span]:
    if wanted is AnswerType.NUMBER:
        dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
        return [
            Span(m.start(), m.end(), wanted, m.group())
            for m in _AMOUNT.finditer(text)
            if not _inside(m.start(), m.end(), dates) and not _is_year(m.group())
        ]
    if wanted is AnswerType.DATE:
        return [Span(m.start(), m.end(), wanted, m.group()) for m in _DATE.finditer(text)]
    if wanted is AnswerType.DURATION:
        return [Span(m.start(), m.end(), wanted, m.group()) for m in _DURATION.finditer(text)]
    if wanted is AnswerType.STATEMENT:
        return [Span(m.start(), m.end(), wanted, m.group()) for m in _REPORTING.finditer(text)]
    return _names(text, wanted)


_PLACE_NOUNS = (
    "zoo|city|town|village|airport|station|hospital|school|stadium|building|office|home|"
    "house|headquarters|port|harbou?r|border|capital|camp|square|street|road|park|church|"
    "court|palace|embassy|river|sea|lake|coast|island|region|province|state|country|"
    "district|area|market|mall|store|shop|factory|plant|mine|prison|base|bridge|farm|"
    "hotel|restaurant|museum|library|university|campus|centre|center|hall|arena|field"
)
# "at the city zoo", "near the northern border": a place without a capitalised name.
_PLACE_PHRASE = re.compile(
    rf"\b(?:in|at|near|outside|inside|into|across|from|to)\s+((?:the|a|an|its|their)\s+"
    rf"(?:[\w'-]+\s+){{0,3}}(?:{_PLACE_NOUNS})s?)\b",
    re.I,
)


def _names(text: str, wanted: AnswerType) -> list[Span]:
    """Capitalised names, best typed first: a title before it or a first and last name
    for a person, an organisation word or an acronym for an organisation, a locative
    preposition before it for a place. Names of the other named types still count (a
    "who" question may be answered by a team), after those."""
    found: list[tuple[int, Span]] = []
    dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    for m in _NAME.finditer(text):
        start, end = _trim_name(text, m.start(), m.end())
        if start >= end or _inside(start, end, dates):
            continue
        name = text[start:end]
        if any(ch.isdigit() for ch in name) or text[max(0, start - 1) : start] in {"@", "#", "/"}:
            continue  # "U0BOSS", "@handle", a path: codes, not names
        guess = _name_type(text, start, name)
        found.append((0 if guess is wanted else 1, Span(start, end, guess, name)))
    if wanted is AnswerType.PLACE:
        found += [
            (2, Span(m.start(), m.end(), wanted, m.group())) for m in _PLACE_PHRASE.finditer(text)
        ]
    found.sort(key=lambda x: x[0])
    return [s for _, s in found]


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading capitalised function words ("The", "In") and trailing periods."""
    tokens = list(re.finditer(r"\S+", text[start:end]))
    while tokens and tokens[0].group().lower().strip(".,") in _NOT_NAMES:
        tokens.pop(0)
    if not tokens:
        return start, start
    s, e = start + tokens[0].start(), start + tokens[-1].end()
    while e > s and text[e - 1] in ".’'":
        if text[e - 1] == "." and re.search(
            r"\b[A-Z]\.$|\b(?:Jr|Sr|Inc|Co|Corp|Ltd)\.$", text[s:e]
        ):
            break
        e -= 1
    return s, e


def _name_type(text: str, start: int, name: str) -> AnswerType:
    tokens = [t.lower().strip(".,") for t in name.split()]
    before = text[max(0, start - 30) : start]
    if tokens[0] in _TITLES or re.search(r"\b(?:Mr|Mrs|Ms|Dr|Sir)\.?\s$", before):
        return AnswerType.PERSON
    if any(t in _ORG_WORDS for t in tokens) or (len(name) >= 2 and name.isupper()):
        return AnswerType.ORGANISATION
    if _LOCATIVE.search(before.lower()):
        return AnswerType.PLACE
    if len(tokens) >= 2:
        return AnswerType.PERSON
    return AnswerType.OTHER


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _is_year(text: str) -> bool:
    return bool(re.fullmatch(r"(?:1[89]|20)\d\d", text.strip()))


_HOW_MANY = re.compile(r"\bhow many\s+(?:more\s+|of\s+the\s+)?([a-z][\w-]*)", re.I)


def counted_noun(question: str) -> str | None:
    """The stem of what "how many" counts ("How many tonnes of cherries…": "tonn"), or None
    ("How many were killed?")."""

    m = _HOW_MANY.search(question)
    if m is None or m.group(1).lower() in STOPWORDS:
        return None
    return stem(m.group(1).lower())


def counts(text: str, span: Span, noun: str) -> bool:
    """Whether the amount `span` may count `noun`: the noun is in it or among the three
    words after it ("3,100 tonnes", "100 pro-government troops"), or it stands alone ("39
    are confirmed dead"); not when it counts something else ("half of the blossoms")."""

    after = words(text[span.end : span.end + 40])
    if after and after[0] != "of" and after[0] in STOPWORDS:
        return True
    near = words(text[span.start : span.end]) + after[:4]
    return any(stem(w) == noun or stem(w).endswith(noun) for w in near)


def is_question(sentence: str) -> bool:
    """A sentence that asks rather than tells ("Which company is accused of …?")."""
    return sentence.rstrip(" \"'”’)»]").endswith("?")


_WH_WORDS = frozenset("who whom whose which what when where why how".split())


def name_phrases(question: str) -> list[str]:
    """The names a question is about, as phrases ("Bank of Japan", "Nobel Peace Prize"),
    lower-cased; question words and a capital that only opens the sentence don't count."""
    found = []
    for m in _NAME.finditer(question):
        start, end = _trim_name(question, m.start(), m.end())
        tokens = question[start:end].split()
        while tokens and tokens[0].lower().strip(".,?") in _WH_WORDS | _NOT_NAMES:
            tokens.pop(0)
        if not tokens:
            continue
        at_start = start == 0 or bool(re.search(r"[.!?]\s*[\"'“‘(]*$", question[:start]))
        if at_start and len(tokens) == 1 and tokens[0] == question[start:end].split()[0]:
            continue  # "Crude hit a high...": a capital that only opens the sentence
        kept = [
            re.sub(r"'s$", "", w)
            for w in words(" ".join(tokens))
            if w not in _CALENDAR and w not in STOPWORDS
        ]
        if kept:
            found.append(" ".join(kept))
    return found


_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday""".split()
)


def mentions(phrase: str, terms: set[str]) -> bool:
    """Whether every word of a name phrase is among `terms` (stems), allowing a demonym or
    inflection that shares a long enough start ("Asian" trading, "in Asia")."""

    return all(_mentioned(stem(w), terms) for w in phrase.split())


def _mentioned(term: str, terms: set[str]) -> bool:
    if term in terms:
        return True
    if len(term) < 4:
        return False
    return any(t.startswith(term) or (len(t) >= 4 and term.startswith(t)) for t in terms)


_ASKING = re.compile(
    r"\bhow (?:long|many|much|far|old|big|large|high|low|often|soon|fast|close|strong)\b"
    r"|\b(?:what|which) (?:date|day|year|month|time)\b",
    re.I,
)
_DURATION_VERBS = re.compile(r"\b(?:last|lasted|lasts|take|took|takes|taken)\b", re.I)
_EVENT_VERBS = re.compile(
    r"\b(?:happen|happened|happens|occur|occurred|occurs|take place|took place|takes place|"
    r"held|be held|is held)\b",
    re.I,
)


def asked_terms_text(question: str) -> str:
    """The question without the words that only say what kind of answer it wants ("how
    long ... last", "when did it happen"): an answer holds the fact instead of them."""
    text = _ASKING.sub(" ", question)
    wanted = expected_type(question)
    if wanted is AnswerType.DURATION:
        text = _DURATION_VERBS.sub(" ", text)
    if wanted in {AnswerType.DATE, AnswerType.PLACE, AnswerType.DURATION}:
        text = _EVENT_VERBS.sub(" ", text)
    return text
