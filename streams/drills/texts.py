"""French and English texts for drills: templates, vocabulary and a fast writer.

A text is a template for its author's role (``public``, ``media``,
``employee``), its tone and its language, filled with the brand, one of its
products, a topic (the event's vocabulary, or the brand's everyday topics)
and tone words: complaints for negative texts, insults and threats for
aggressive ones, praise for positive ones. Every aggressive template holds an
insult from :data:`AGGRESSIVE_WORDS`, and no other template holds one, so a
lexicon scorer can find them. Some texts get a hashtag, a few an emoji, a few
a typo. Bots copy a handful of seed texts with small variations.

The random choices come from one 63-bit integer per text, drawn in bulk by the
generator, which keeps the Python loop short.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final

__all__ = [
    "AGGRESSIVE_WORDS",
    "DEFAULT_PRODUCTS",
    "DEFAULT_TOPICS",
    "NEGATIVE_WORDS",
    "POSITIVE_WORDS",
    "TONE_CODES",
    "Writer",
    "ascii_fold",
]

#: Tone codes used by the generator, in this order.
TONE_CODES: Final = ("neutral", "positive", "negative", "aggressive")
NEUTRAL, POSITIVE, NEGATIVE, AGGRESSIVE = 0, 1, 2, 3

DEFAULT_PRODUCTS: Final[Mapping[str, tuple[str, ...]]] = {
    "fr": ("la nouvelle gamme", "les produits", "l'appli", "la carte fidélité"),
    "en": ("the new range", "the products", "the app", "the loyalty card"),
}
DEFAULT_TOPICS: Final[Mapping[str, tuple[str, ...]]] = {
    "fr": (
        "le service client",
        "la livraison",
        "le nouveau magasin",
        "l'appli",
        "les prix",
        "la pub à la télé",
        "les horaires d'ouverture",
        "la carte fidélité",
    ),
    "en": (
        "the customer service",
        "the delivery",
        "the new store",
        "the app",
        "the prices",
        "the TV ad",
        "the opening hours",
        "the loyalty card",
    ),
}

_INSULTS: Final = {
    "fr": (
        "escrocs",
        "voleurs",
        "menteurs",
        "incapables",
        "guignols",
        "pourris",
        "charlatans",
        "minables",
        "abrutis",
        "rapaces",
    ),
    "en": (
        "crooks",
        "scammers",
        "liars",
        "clowns",
        "morons",
        "frauds",
        "idiots",
        "thieves",
        "losers",
        "vultures",
    ),
}
_THREATS: Final = {
    "fr": (
        "on va vous le faire payer",
        "boycott total",
        "je porte plainte",
        "vous allez le regretter",
        "on ne lâchera rien",
        "on va venir vous voir",
        "vous allez couler",
        "on va tout balancer",
    ),
    "en": (
        "you will pay for this",
        "boycott them all",
        "see you in court",
        "you will regret this",
        "we won't let this go",
        "we know where you are",
        "you're going down",
        "we'll expose everything",
    ),
}
_COMPLAINTS: Final = {
    "fr": (
        "toujours pas de réponse",
        "service client injoignable",
        "j'attends un remboursement depuis trois semaines",
        "produit défectueux",
        "commande jamais reçue",
        "personne ne répond",
        "c'est inadmissible",
        "très déçu",
        "aucune excuse",
        "arnaque sur les prix",
    ),
    "en": (
        "still no answer",
        "customer service unreachable",
        "waiting for a refund for three weeks",
        "defective product",
        "order never arrived",
        "nobody answers",
        "this is unacceptable",
        "so disappointed",
        "not even an apology",
        "prices are a rip-off",
    ),
}
_PRAISE: Final = {
    "fr": ("au top", "génial", "trop bien", "bravo", "parfait", "une réussite", "top", "canon"),
    "en": ("amazing", "brilliant", "love it", "well done", "perfect", "so good", "great job"),
}

#: Words a lexicon scorer can use to find aggressive texts (insults, threats).
AGGRESSIVE_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    lang: _INSULTS[lang] + _THREATS[lang] for lang in ("fr", "en")
}
#: Complaint vocabulary of negative texts.
NEGATIVE_WORDS: Final[Mapping[str, tuple[str, ...]]] = _COMPLAINTS
#: Praise vocabulary of positive texts.
POSITIVE_WORDS: Final[Mapping[str, tuple[str, ...]]] = _PRAISE

# Templates by role, language, then tone code (neutral, positive, negative, aggressive).
_Table = Mapping[str, tuple[tuple[str, ...], ...]]
_Words = tuple[str, ...]
_Prepared = tuple[_Words, _Words, _Words, _Words, _Words, _Words, _Words, int]
_PUBLIC: Final[_Table] = {
    "fr": (
        (
            "Quelqu'un a testé {product} de {brand} ?",
            "{handle} c'est quoi l'histoire avec {topic} ?",
            "Vu passer {topic} chez {brand}, des avis ?",
            "{brand} : {topic}, on en parle ?",
            "Question pour {handle} : {topic}, ça marche comment ?",
            "Je regarde {product} chez {brand}, quelqu'un connaît ?",
            "Des nouvelles de {topic} ?",
            "{topic}... je me renseigne avant de passer chez {brand}",
        ),
        (
            "J'adore {product} de {brand}",
            "Merci {handle} pour {topic}, {praise} !",
            "{topic} chez {brand} : {praise}",
            "Franchement {praise}, {brand}. {topic}, c'est réussi",
            "Très contente de {product}, merci {handle}",
            "{brand} qui assure sur {topic}, ça fait plaisir",
            "Testé {product} de {brand} ce week-end, {praise}",
            "Bravo {handle} pour {topic}",
        ),
        (
            "{handle} {complaint}. Pas terrible, {topic}",
            "Déçu par {topic}, {complaint}",
            "Encore un souci avec {topic} chez {brand}... {complaint}",
            "{brand} et {topic}, franchement pas sérieux. {complaint}",
            "Plus jamais {brand} après {topic}",
            "{complaint} {handle}, ça devient pénible",
            "{topic} : {complaint}. Vraiment déçue de {brand}",
            "Franchement {brand}, {topic} c'est un scandale",
        ),
        (
            "{handle} bande de {insult} ! {topic}, {threat}",
            "{brand} = {insult}. {threat}",
            "Honte à {brand}, vous êtes des {insult}. {threat}",
            "{topic} ?? Tous des {insult} chez {brand}. {threat}",
            "Vous êtes des {insult} {handle}, {threat}",
            "{brand} des {insult}, {threat} !!",
        ),
    ),
    "en": (
        (
            "Anyone tried {product} from {brand}?",
            "{handle} what's the story with {topic}?",
            "Saw something about {topic} at {brand}, thoughts?",
            "{brand}: {topic}, anyone?",
            "Question for {handle}: how does {topic} work?",
            "Looking at {product} from {brand}, any reviews?",
            "Any news about {topic}?",
            "{topic}... checking before I go to {brand}",
        ),
        (
            "Love {product} from {brand}",
            "Thanks {handle} for {topic}, {praise}!",
            "{topic} at {brand}: {praise}",
            "Honestly {praise}, {brand}. {topic} nailed it",
            "So happy with {product}, thank you {handle}",
            "{brand} getting {topic} right, feels good",
            "Tried {product} from {brand} this weekend, {praise}",
            "Well done {handle} on {topic}",
        ),
        (
            "{handle} {complaint}. Not great, {topic}",
            "Disappointed by {topic}, {complaint}",
            "Another problem with {topic} at {brand}... {complaint}",
            "{brand} and {topic}, not serious at all. {complaint}",
            "Never again {brand} after {topic}",
            "{complaint} {handle}, getting tired of this",
            "{topic}: {complaint}. Really let down by {brand}",
            "Seriously {brand}, {topic} is a scandal",
        ),
        (
            "{handle} you {insult}! {topic}, {threat}",
            "{brand} = {insult}. {threat}",
            "Shame on {brand}, bunch of {insult}. {threat}",
            "{topic}?? All {insult} at {brand}. {threat}",
            "You are {insult} {handle}, {threat}",
            "{brand} {insult}, {threat}!!",
        ),
    ),
}
_MEDIA: Final[_Table] = {
    "fr": (
        (
            "{brand} : {topic}, ce que l'on sait",
            "{brand} mise sur {product}",
            "Économie : {brand} et {topic}",
            "{topic} : {brand} s'explique",
        ),
        (
            "{topic} : le joli succès de {brand}",
            "{brand} cartonne avec {topic}",
            "Le carton de {topic}, signé {brand}",
        ),
        (
            "{topic} : {brand} dans la tourmente",
            "INFO - {topic} : la polémique enfle autour de {brand}",
            "{brand} sous le feu des critiques après {topic}",
            "{topic} : les clients de {brand} en colère",
        ),
    ),
    "en": (
        (
            "{brand}: {topic}, what we know",
            "{brand} bets on {product}",
            "Business: {brand} and {topic}",
            "{topic}: {brand} explains",
        ),
        (
            "{topic}: a hit for {brand}",
            "{brand} scores with {topic}",
            "How {brand} won the internet with {topic}",
        ),
        (
            "{topic}: {brand} in turmoil",
            "BREAKING - {topic}: backlash grows against {brand}",
            "{brand} under fire after {topic}",
            "{topic}: {brand} customers angry",
        ),
    ),
}
_EMPLOYEE: Final[_Table] = {
    "fr": (
        (
            "Pas le droit de commenter {topic}, mais on est mobilisés chez {brand}",
            "En interne on suit {topic} de près",
            "Journée particulière chez {brand} avec {topic}",
        ),
        (
            "Fier de mes collègues de {brand}, {topic} c'est nous",
            "Chez {brand} on bosse dur sur {topic}, merci à l'équipe",
            "{topic} : fier de travailler chez {brand}",
        ),
        (
            "En interne chez {brand}, tout le monde est choqué par {topic}",
            "Ça fait des mois qu'on alerte la direction sur {topic}",
            "Salarié de {brand}, je ne cautionne pas {topic}",
            "Ambiance lourde au boulot avec {topic}",
        ),
        (
            "Notre direction, des {insult}. {topic}, on l'avait dit",
            "Salarié {brand} : la direction ? Des {insult}. {threat}",
        ),
    ),
    "en": (
        (
            "Can't comment on {topic}, but we're all hands on deck at {brand}",
            "Internally we're following {topic} closely",
            "Strange day at {brand} with {topic}",
        ),
        (
            "Proud of my {brand} colleagues, {topic} is us",
            "Working hard on {topic} at {brand}, thanks team",
            "{topic}: proud to work at {brand}",
        ),
        (
            "Inside {brand}, everyone is shocked by {topic}",
            "We warned management about {topic} for months",
            "{brand} employee here, I don't condone {topic}",
            "Heavy mood at work with {topic}",
        ),
        (
            "Our management, {insult}. {topic}, we told them",
            "{brand} employee: management? {insult}. {threat}",
        ),
    ),
}
_OFFICIAL: Final = {
    "fr": {
        "none": "Nous avons connaissance de {topic}. Nos équipes sont mobilisées, nous "
        "reviendrons vers vous rapidement.",
        "calms": "Nous vous présentons nos excuses pour {topic}. Chaque client concerné "
        "sera contacté et remboursé. Notre service client répond 7j/7.",
        "backfires": "Concernant {topic} : il n'y a aucun problème, les réseaux sociaux "
        "exagèrent. Nous n'avons rien à nous reprocher.",
    },
    "en": {
        "none": "We are aware of {topic}. Our teams are on it and will update you shortly.",
        "calms": "We apologise for {topic}. Every customer affected will be contacted and "
        "refunded. Our customer service is available 7 days a week.",
        "backfires": "About {topic}: there is no problem, social media is exaggerating. "
        "We have nothing to apologise for.",
    },
}
_SPAM: Final = {
    "fr": (
        "Concours {brand} : gagnez {product} ! Cliquez ici {url}",
        "Offre exclusive {brand} : {product} offerts aux 100 premiers {url}",
        "{brand} rembourse tout le monde aujourd'hui, inscrivez-vous {url}",
    ),
    "en": (
        "{brand} giveaway: win {product}! Click here {url}",
        "Exclusive {brand} deal: {product} free for the first 100 {url}",
        "{brand} is refunding everyone today, sign up {url}",
    ),
}
_EMOJIS: Final = (
    ("🤔", "👀"),
    ("😍", "👏", "🙌", "❤️", "👍", "😊"),
    ("😡", "😤", "👎", "🙄", "😠"),
    ("🤬", "😡", "💩", "🔥"),
)
_BOT_SUFFIXES: Final = ("", "", " !!", " 🔥", " 👉", " ✅", " ...", " !")
_URL_CHARS: Final = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def ascii_fold(text: str) -> str:
    """Drop accents: ``"Dupré"`` -> ``"Dupre"``.

    >>> ascii_fold("Laiterie Dupré")
    'Laiterie Dupre'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_CONTRACTIONS: Final = (
    (re.compile(r"\b([dD])e le\b"), r"\1u"),
    (re.compile(r"\b([dD])e les\b"), r"\1es"),
    (re.compile(r"\b([àÀ]) le\b"), "au"),
    (re.compile(r"\b([àÀ]) les\b"), "aux"),
    (re.compile(r"\b([dD])e (?=[aeiouyéèêAEIOUYÉ])"), r"\1'"),
)


_SENTENCE_START: Final = re.compile(r"(^|[.!?] )(\w)")


def _upper(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2).upper()


def _elide(text: str) -> str:
    """French contractions after filling: ``de le`` -> ``du``, ``de Acme`` -> ``d'Acme``.

    >>> _elide("Des nouvelles de le magasin de Acme ? Merci à les équipes")
    "Des nouvelles du magasin d'Acme ? Merci aux équipes"
    """
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=1 << 16)
def _polish(text: str, lang: str) -> str:
    """French contractions, then a capital at the start of each sentence (cached)."""
    if lang == "fr":
        text = _elide(text)
    return _SENTENCE_START.sub(_upper, text)


def _typo(text: str, bits: int) -> str:
    """Swap two adjacent letters somewhere in the text."""
    if len(text) < 8:
        return text
    i = 1 + bits % (len(text) - 3)
    a, b = text[i], text[i + 1]
    if a.isalpha() and b.isalpha() and a != b:
        return text[:i] + b + a + text[i + 2 :]
    return text


class Writer:
    """Writes the texts of one stream component (a brand's baseline or an event).

    Parameters
    ----------
    brand, handle
        How the brand is named and tagged.
    products, topics
        Noun phrases per language (``"les yaourts"``, ``"the yogurt recall"``).
    hashtags
        Hashtags appended to some texts.
    hashtag_share
        Share of texts with a hashtag.
    bot_seeds
        Seed texts per language copied by bots; empty: spam templates.
    complaints
        Complaint phrases of negative texts per language; empty: everyday ones.

    Examples
    --------
    >>> w = Writer(brand="Acme", handle="@acme", products={"en": ("the kettle",)},
    ...            topics={"en": ("the recall",)}, hashtags=("#AcmeRecall",))
    >>> w.write(123456789, "en", "public", 3)
    'The recall?? All clowns at Acme. You will pay for this'
    >>> w.write(987654321012, "en", "media", 2)
    'The recall: Acme in turmoil'
    >>> w.official("calms", "en")[:30]
    'We apologise for the recall. E'
    """

    def __init__(
        self,
        *,
        brand: str,
        handle: str,
        products: Mapping[str, Sequence[str]],
        topics: Mapping[str, Sequence[str]],
        hashtags: Sequence[str] = (),
        hashtag_share: float = 0.15,
        bot_seeds: Mapping[str, Sequence[str]] | None = None,
        complaints: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.brand = brand
        self.handle = handle
        self.hashtags = tuple(hashtags)
        self._tag_cut = int(hashtag_share * 1000)
        self._products = {
            lang: tuple(products.get(lang) or DEFAULT_PRODUCTS[lang]) for lang in ("fr", "en")
        }
        self._topics = {
            lang: tuple(topics.get(lang) or DEFAULT_TOPICS[lang]) for lang in ("fr", "en")
        }
        self._complaints = {
            lang: tuple((complaints or {}).get(lang) or _COMPLAINTS[lang]) for lang in ("fr", "en")
        }
        self._bot_seeds = {
            lang: tuple((bot_seeds or {}).get(lang) or _SPAM[lang]) for lang in ("fr", "en")
        }
        brand_safe = brand.replace("{", "{{").replace("}", "}}")
        handle_safe = handle.replace("{", "{{").replace("}", "}}")
        # (role, lang, tone) -> templates with the brand filled in, the tone used, word lists
        self._prepared: dict[tuple[str, str, int], _Prepared] = {}
        for role, table in (("public", _PUBLIC), ("media", _MEDIA), ("employee", _EMPLOYEE)):
            for lang in ("fr", "en"):
                for tone in range(len(TONE_CODES)):
                    used = tone if tone < len(table[lang]) else NEGATIVE  # media: no insults
                    templates = tuple(
                        t.replace("{brand}", brand_safe).replace("{handle}", handle_safe)
                        for t in table[lang][used]
                    )
                    self._prepared[role, lang, tone] = (
                        templates,
                        self._topics[lang],
                        self._products[lang],
                        self._complaints[lang],
                        _INSULTS[lang],
                        _THREATS[lang],
                        _PRAISE[lang],
                        used,
                    )

    def write(self, bits: int, lang: str, role: str, tone: int) -> str:
        """One text: ``bits`` (a random non-negative int) picks every choice.

        ``tone`` is a :data:`TONE_CODES` index; media never write aggressive
        texts (they get negative ones).
        """
        templates, topics, products, complaints, insults, threats, praise, tone = self._prepared[
            role, lang, tone
        ]
        bits, i = divmod(bits, len(templates))
        bits, j = divmod(bits, len(topics))
        bits, k = divmod(bits, len(products))
        bits, w1 = divmod(bits, 16)
        bits, w2 = divmod(bits, 16)
        bits, deco = divmod(bits, 1000)
        text = templates[i].format(
            topic=topics[j],
            product=products[k],
            complaint=complaints[w1 % len(complaints)],
            insult=insults[w1 % len(insults)],
            threat=threats[w2 % len(threats)],
            praise=praise[w2 % len(praise)],
        )
        return self._decorate(_polish(text, lang), bits, deco, tone)

    def _decorate(self, text: str, bits: int, deco: int, tone: int) -> str:
        if deco < self._tag_cut and self.hashtags:
            text = f"{text} {self.hashtags[bits % len(self.hashtags)]}"
        bits //= 16
        if deco % 8 == 0:  # 1 in 8 gets an emoji
            emojis = _EMOJIS[tone]
            text = f"{text} {emojis[bits % len(emojis)]}"
        bits //= 8
        if deco % 25 == 1:  # 4 % get a typo
            text = _typo(text, bits)
        elif deco % 10 == 3:  # 10 % written in lower case
            text = text.lower()
        return text

    def bot(self, bits: int, lang: str) -> str:
        """A near-duplicate of one of the bot seed texts."""
        seeds = self._bot_seeds[lang]
        bits, i = divmod(bits, len(seeds))
        bits, k = divmod(bits, len(self._products[lang]))
        url = "".join(_URL_CHARS[(bits >> (6 * n)) % len(_URL_CHARS)] for n in range(6))
        bits >>= 36
        text = seeds[i].format(
            brand=self.brand,
            handle=self.handle,
            product=self._products[lang][k],
            topic=self._topics[lang][k % len(self._topics[lang])],
            url=f"https://bit.ly/{url}",
        )
        bits, s = divmod(bits, len(_BOT_SUFFIXES))
        text += _BOT_SUFFIXES[s]
        if bits % 4 == 0 and self.hashtags:
            text += " " + self.hashtags[(bits // 4) % len(self.hashtags)]
        if bits % 7 == 1:
            text = _typo(text, bits // 7)
        return text

    def official(self, effect: str, lang: str, text: str | None = None) -> str:
        """The official response: ``text`` when given, else the default for ``effect``."""
        template = text or _OFFICIAL[lang][effect]
        return template.format(brand=self.brand, handle=self.handle, topic=self._topics[lang][0])
