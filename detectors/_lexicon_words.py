"""Word lists of the built-in tone lexicon: data only, read by :mod:`detectors.lexicon`.

Every form is written as the tokenizer sees it: lower case and one token. The
tokenizer splits on apostrophes, hyphens and punctuation, so ``n'achetez`` is
``n achetez``, ``don't`` is ``don t`` and ``rip-off`` is ``rip off``:
expressions of several tokens go in :data:`PHRASES`. Accents may be written or
not: every accented form is also entered without its accents, as people type
them.

A whitespace-separated list may use the suffix notation ``base|suf1|suf2``,
which stands for ``base base+suf1 base+suf2``: ``nul|le|s|les`` is ``nul nulle
nuls nulles``. A stem ending in ``-eu`` is not a form itself: ``honteu|x|se|ses``
is ``honteux honteuse honteuses``.

Valences are on VADER's scale, from -4 (worst) to +4 (best). Aggression weights
are in [0, 1] and combine by noisy-or; a text is flagged aggressive from 0.5, so
a weight of 0.5 or more flags on its own. Aggressive groups are keyed by
``(valence, aggression, aggression when addressed)``, where "addressed" means a
second-person or group word (vous, tu, you, bande de, these...) stands close.

French and English lists are separate: a form scored differently in the two
languages (French *retard* "delay" and English *retard*, a slur) is a false
friend, and the post's language decides. A form scored in one language that is
an ordinary word of the other goes in :data:`NEUTRAL_IN_EN` or
:data:`NEUTRAL_IN_FR`, so that it is a false friend too. Everything else is
read the same way in both languages, so mixed posts work.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BUT_WORDS",
    "EMOJI",
    "EMOTICONS",
    "EN_AGGRESSION",
    "EN_NEGATED_VALENCE",
    "EN_VALENCE",
    "FR_AGGRESSION",
    "FR_NEGATED_VALENCE",
    "FR_VALENCE",
    "HASHTAG_STEMS",
    "INTENSIFIERS",
    "LANG_VOTES",
    "NEGATORS",
    "NEUTRAL_IN_EN",
    "NEUTRAL_IN_FR",
    "PHRASES",
    "PHRASE_FILLERS",
    "POST_NEGATORS",
    "RATINGS",
    "SHARED_AGGRESSION",
    "SHARED_VALENCE",
    "SMALL_AMOUNT",
    "YOU_WORDS",
]

# --------------------------------------------------------------------------- #
# Valence: score -> forms.
# --------------------------------------------------------------------------- #

FR_VALENCE: Final[dict[float, str]] = {
    -3.5: """
        catastrophique|s scandaleu|x|se|ses honteu|x|se|ses inadmissible|s
        inacceptable|s dégueulasse|s dégueu degueux immonde|s abject|e|s|es
        ignoble|s odieu|x|se|ses cauchemar|s cauchemardesque|s escroquerie|s
        lamentable|s exécrable|s déplorable|s
        """,
    -3.0: """
        horrible|s affreu|x|se|ses atroce|s catastrophe|s scandale|s
        arnaquer arnaqué|e|s|es désastre|s désastreu|x|se|ses
        infect|e|s|es écœurant|e|s|es écoeurant|e|s|es dégoûtant|e|s|es
        dégoûté|e|s|es dégoût pire|s médiocre|s merdique|s pourri|e|es
        pourrave|s nullissime|s mensonge|s mensonger|s mensongère|s
        trompeu|r|se|ses déçu|e|s|es décevant|e|s|es déception|s
        inexcusable|s impardonnable|s révoltant|e|s|es révolté|e|s|es
        furieu|x|se|ses intolérable|s insupportable|s invivable|s
        racisme raciste|s sexisme sexiste|s homophobe|s harcèlement|s
        empoisonné|e|s|es intoxication|s intoxiqué|e|s|es contaminé|e|s|es
        """,
    -2.5: """
        bidon foireu|x|se|ses navrant|e|s|es mauvais|e|es moche|s
        laid|e|s|es inutile|s inutilisable|s galère|s galérer cata colère|s
        énervé|e|s|es énervant|e|s|es vénère|s vener relou|s ridicule|s
        saoulant|e|s|es soûlant|e|s|es gavé|e|s|es marre déplaisant|e|s|es
        désagréable|s irrespectueu|x|se|ses méprisant|e|s|es mépris
        incompétence|s amateurisme abusé|e|s|es abusif|s abusive|s abus
        escroquer mentir menti triste|s tristesse malhonnête|s malhonnêteté
        injoignable|s panne|s plantage|s flop|s toxique|s dangereu|x|se|ses
        danger|s frauduleu|x|se|ses fraude|s piraté|e|s|es piratage|s
        dysfonctionnement|s défaillant|e|s|es défectueu|x|se|ses
        boycotté|e|s|es trahi|e|s|es trahison|s humiliant|e|s|es
        humiliation|s insulte|s insulter insultant|e|s|es harcelé|e|s|es
        """,
    -2.0: """
        mal problème|s souci|s bug|s beug|s bugué|e|s|es beugué|e|s|es
        retard|s retardé|e|s|es annulé|e|s|es annulation|s perdu|e|s|es
        cassé|e|s|es abîmé|e|s|es endommagé|e|s|es plante plantent
        planté|e|s lent|e|s|es lenteur|s grave|s inquiet|s inquiète|s
        inquiétant|e|s|es inquiétude|s peur|s fâché|e|s|es agacé|e|s|es
        agaçant|e|s|es pénible|s chiant|e|s|es ennuyeu|x|se|ses déçoit
        décevoir regrette regretter regret|s fuite|s fuir faux fausse|s
        incorrect|e|s|es erreur|s défaut|s grève|s licenciement|s plainte|s
        scandalisé|e|s|es choqué|e|s|es choquant|e|s|es honteusement
        douteu|x|se|ses suspect|e|s|es louche|s déplorer dénoncer dénonce
        dénoncent polémique|s crise|s manque|s manquant|e|s|es rupture|s
        insatisfait|e|s|es mécontent|e|s|es mécontentement|s attente|s
        interminable|s injuste|s injustice|s inutilement stress
        stressé|e|s|es stressant|e|s|es angoisse|s blessé|e|s|es mort|s
        morte|s décès accident|s incendie|s explosion|s pénurie|s faillite|s
        procès condamné|e|s|es tourmente|s enfer
        """,
    -1.5: """
        sale|s moyen|ne|s|nes bizarre|s chelou|s étrange|s compliqué|e|s|es
        difficile|s galèrent ralenti|e|s|es bloqué|e|s|es coupé|e|s|es
        remboursez surtaxé|e|s|es surfacturé|e|s|es onéreu|x|se|ses
        coûteu|x|se|ses dépassé|e|s|es obsolète|s arrêtez stop triche
        tricher tricheu|r|se|ses perte|s regrettable|s malheureusement hélas
        dommage|s inquiéter zut mince bâclé|e|s|es brouillon|s rappel
        """,
    -1.0: """
        attendre attends attendu trompé|e|s|es blague|s bordélique|s
        désolé|e|s|es excuse|s limite|s critique|s cher chère|s chers
        lourd|e|s|es alerte|s exagère exagèrent exagéré|e|s|es
        """,
    0.8: """
        ok okay correct|e|s|es convenable|s acceptable|s potable|s honnête|s
        """,
    1.5: """
        bien bon|ne|s|nes sympa|s sympathique|s pratique|s rapide|s
        efficace|s utile|s agréable|s joli|e|s|es chouette|s aime aiment
        aimé|e|s|es apprécie apprécié|e|s|es apprécions facile|s fiable|s
        réactif|s réactive|s aimable|s gentil|le|s|les poli|e|s|es
        professionnel|le|s|les pro serviable|s satisfait|e|s|es
        content|e|s|es heureu|x|se|ses soulagé|e|s|es rassuré|e|s|es
        confiance fier|s fière|s réussi|e|s|es réussite|s solide|s
        confortable|s délicieu|x|se|ses bonheur plaisir remboursé|e|s|es
        résolu|e|s|es réglé|e|s|es dépanné|e|s|es merci mercii merki
        cimer recommande recommandé|e|s|es recommandons recommander
        conseille conseillé|e|s|es incroyable|s ouf hâte succès
        """,
    2.0: """
        génial|e|s|es géniaux excellent|e|s|es parfait|e|s|es
        parfaitement magnifique|s superbe|s formidable|s fantastique|s
        merveilleu|x|se|ses impeccable|s nickel|s adore adorent
        adoré|e|s|es kiffe kiffé kiff kiffer ravi|e|s|es chapeau
        félicitations félicite félicitons remercie remercions enchanté|e|s|es
        idéal|e|s|es idéaux exceptionnel|le|s|les extra génialissime|s
        chanmé magique|s sublime|s splendide|s épatant|e|s|es
        impressionnant|e|s|es meilleur|e|s|es bravissimo canon|s cartonne|nt
        """,
    3.0: "adorable|s jadore",
}

EN_VALENCE: Final[dict[float, str]] = {
    -3.5: """
        worst horrendous atrocious abysmal disgusting disgraceful disgrace
        despicable appalling unacceptable outrageous inexcusable unforgivable
        scandalous deplorable
        """,
    -3.0: """
        terrible horrible awful dreadful pathetic shameful fraud fraudulent
        ripoff|s nightmare|s disaster|s disastrous rubbish useless worthless
        hate|s|d hating hateful furious livid enraged outraged outrage
        disgusted sickening lied lying lies deceptive deceitful misleading
        dishonest racist|s racism sexist|s sexism homophobic harassment
        abuse|d abusive betrayed betrayal ruined ruin|s poisoned poisoning
        toxic dangerous unsafe sucks suck|ed|ing sux shitty crappy lousy trashy
        contaminated listeria salmonella
        """,
    -2.5: """
        bad worse poor disappointed disappointing disappointment|s
        unprofessional incompetence rude|ness angry mad upset annoyed annoying
        frustrated frustrating frustration infuriating irritating ridiculous
        absurd laughable joke|s mediocre overpriced unreliable unusable
        broken faulty defective outage|s crash|ed|es|ing failed failing
        failure|s scandal|s lawsuit|s sued recall|s|ed breach|es hacked leak|s|ed
        stolen theft robbed robbery cheated cheating greed greedy exploit|ed
        exploitation unfair injustice sad sadly miserable regret|s|ted
        dissatisfied unhappy unsatisfied worried scary scared terrified
        unhelpful ignored ignoring ghosted neglect|ed negligence dead died
        death deaths killed injured injury injuries fired layoffs boycotted
        bogus shady sketchy nonsense grave unreachable turmoil backlash shocked
        """,
    -2.0: """
        problem|s issue|s bug|s|gy glitch|es|y error|s slow|ly delay|s|ed
        late lost missing damaged wrong expensive pricey cancelled canceled
        cancellation|s complaint|s complain|s|ed|ing difficult confusing
        confused concern|s|ed worry worrying weird sorry unfortunately
        regrettable awkward ugly boring waiting stuck down lame sucky crap
        wasted waste|s downgrade|d inconvenience|d struggle|s|d|ing painful
        pain|s hurt|s|ing warning|s overcharged overcharging denied declined
        rejected refused crisis shortage|s bankrupt bankruptcy strike|s
        controversy controversial protest|s|ers fined penalty risk|s|y sick
        hell dire
        """,
    -1.5: "refund wait|ed nope rip tired warned",
    -1.0: "hmm sigh ugh smh yikes oops unclear hard fire heavy",
    0.8: "ok okay fine decent alright acceptable fair honest like",
    1.5: """
        good liked likes fun helpful useful fast quick easy smooth reliable
        friendly kind polite pleasant happy glad pleased satisfied thanks
        thank ty tysm recommend|s|ed reasonable affordable solid comfortable
        tasty safe|ly fixed fixing resolved refunded sorted supportive enjoy|s|ed
        enjoying win|s|ning proud welcome clean improved improvement|s better
        trust|ed respect|ed
        """,
    2.0: """
        great love|s|d lovely loving excellent amazing awesome fantastic
        wonderful brilliant perfect|ly beautiful gorgeous stunning superb
        outstanding incredible impressive impressed delighted thrilled
        excited exciting grateful appreciate|d congrats congratulations
        kudos yay wow best favorite favourite delicious epic dope
        legend|ary exceptional flawless stellar nailed
        """,
    3.0: "masterpiece phenomenal spectacular",
}

#: Words read the same way in French and English posts (loanwords, slang,
#: abbreviations, interjections).
SHARED_VALENCE: Final[dict[float, str]] = {
    -2.5: "fail|s fiasco shitstorm badbuzz",
    -2.0: "fake|s",
    -1.5: "bof meh wth",
    0.6: "lol mdr ptdr xd lmao lmfao rofl haha hahaha ahah ahahah hihi",
    1.5: "cool|s nice thx",
    2.0: "top super bravo goat",
}

# --------------------------------------------------------------------------- #
# Aggression: (valence, aggression, aggression when addressed) -> forms.
# --------------------------------------------------------------------------- #

FR_AGGRESSION: Final[dict[tuple[float, float, float], str]] = {
    # Strong insults and slurs: flag on their own.
    (-3.5, 0.8, 0.92): """
        connard|s connasse|s enculé|e|s|es encule|s fdp ntm tg ftg
        salope|s salaud|s pute|s bâtard|e|s|es batard|e|s|es
        enfoiré|e|s|es salopard|s trouduc|s ordure|s raclure|s pourriture|s
        merdeu|x|se|ses niquez nique tapette|s pd|s bougnoule|s bicot|s
        youpin|s négro|s nègre|s
        """,
    # Insults, accusations of theft or lies, dehumanising words.
    (-2.5, 0.55, 0.78): """
        abruti|e|s|es crétin|e|s|es imbécile|s débile|s idiot|e|s|es
        teubé|s gogol|s attardé|e|s|es mongol|s boloss|e|es bouffon|ne|s|nes
        guignol|s clown|s tocard|e|s|es charlot|s nullard|e|s|es nullos
        escroc|s voleu|r|rs|se|ses voyou|s menteu|r|rs|se|ses arnaqueu|r|rs|se|ses
        mafieu|x|se|ses mafia|s criminel|le|s|les bandit|s racaille|s
        vermine|s parasite|s sangsue|s rapace|s vautour|s porc|s pourris
        incapables incompétents incompétentes minables
        con|s|ne|nes charlatan|s
        """,
    (-2.0, 0.35, 0.62): """
        incapable incompétent|e minable cafard|s rat|s stupide|s
        hypocrite|s traître|s traitre|s lâche|s bite|s
        """,
    (-3.0, 0.25, 0.45): "honte|s arnaque|s",
    (-2.5, 0.05, 0.45): "nul|le|s|les naze|s nase|s pitoyable|s",
    (0.0, 0.05, 0.5): "chien|s animaux bétail moutons",
    # Profanity: angry but not flagged alone.
    (-2.0, 0.3, 0.45): """
        merde|s merdier chier chié bordel foutre fout foutent foutez
        foutu|e|s|es foutage gueule connerie|s emmerde emmerdent emmerdeur|s
        emmerdant|e|s|es tabarnak tabarnac câlisse calisse osti crisse
        """,
    (-1.0, 0.3, 0.45): "putain ptn putin",
    # Threats and calls to violence.
    (-2.5, 0.35, 0.88): "tuer tue tuez buter bute flinguer flingue crever crève crevez crèvent",
    (-1.0, 0.1, 0.85): """
        brûler bruler brûlez brulez cramer cramez incendier frapper défoncer démolir
        """,
    (-3.0, 0.6, 0.92): "égorger égorgez pendre pendez lyncher lynchez massacrez guillotine",
    # Calls to boycott or to leave.
    (-1.5, 0.6, 0.65): """
        boycotter boycottez boycottons boycotte boycottent boycottage fuyez
        désabonnez désinstallez résiliez
        """,
}

EN_AGGRESSION: Final[dict[tuple[float, float, float], str]] = {
    (-3.5, 0.8, 0.92): """
        asshole|s bastard|s motherfucker|s motherfucking cunt|s dickhead|s
        fucker|s bitch|es wanker|s twat|s prick|s scumbag|s douchebag|s
        dumbass|es jackass|es shithead|s retard|s retarded faggot|s fag|s
        tranny nigger|s kys stfu gtfo
        """,
    (-2.5, 0.55, 0.78): """
        idiot|s idiotic moron|s moronic imbecile|s cretin|s clown|s loser|s
        liar|s thief thieves crook|s scammer|s fraudster|s criminal|s
        frauds charlatan|s gangster|s scum vermin subhuman|s cockroach|es parasite|s pig|s
        leech|es vulture|s
        """,
    (-2.0, 0.35, 0.62): """
        stupid dumb fool|s incompetent clueless hypocrite|s hypocritical
        coward|s cowardly traitor|s rats snake|s ass
        """,
    (-3.0, 0.25, 0.45): "shame scam|s|med scamming",
    (-2.5, 0.15, 0.45): "trash garbage",
    (0.0, 0.05, 0.5): "animals sheep",
    (-2.0, 0.3, 0.45): "shit sh*t bullshit bs piss pissed ffs fml screwed",
    (-2.0, 0.4, 0.85): "fucked fuckin fck fk f*ck f**k fuk fucks",
    (-1.0, 0.15, 0.3): "damn dammit goddamn bloody",
    (-2.5, 0.35, 0.88): "kill|ing murder destroy",
    (-1.0, 0.1, 0.85): "shoot burn punch",
    (-1.0, 0.3, 0.4): "expose",
    (-2.5, 0.3, 0.55): "steal|s|ing",
    (-3.0, 0.6, 0.92): "lynch behead slaughter",
}

#: Aggressive words shared by both languages.
SHARED_AGGRESSION: Final[dict[tuple[float, float, float], str]] = {
    (-2.0, 0.3, 0.45): "wtf",
    (-2.0, 0.4, 0.85): "fuck",
    (-1.0, 0.3, 0.45): "fucking",
    (-1.5, 0.6, 0.65): "boycott|s|ing",
}

# --------------------------------------------------------------------------- #
# What negation turns a word into, where flipping its sign is wrong.
# --------------------------------------------------------------------------- #

FR_NEGATED_VALENCE: Final[dict[float, str]] = {
    # "pas terrible" is bad, "pas de souci" is fine, "ne marche pas" is a complaint.
    -1.5: """
        terrible|s répond répondent réponse|s joignable|s remboursé|e|s|es
        reçu|e|s|es livré|e|s|es arrivé|e|s|es dispo|s disponible|s
        sérieux sérieuse|s excuse|s cautionne|r|nt remboursement|s
        """,
    -2.0: """
        marche marchent fonctionne fonctionnent fonctionnel marché
        recommande recommandons recommander conseille
        """,
    -1.6: "aime aiment",
    1.0: "souci|s problème|s cher chère|s chers",
    1.5: "mal",
}

EN_NEGATED_VALENCE: Final[dict[float, str]] = {
    -0.5: "cheap",
    -1.5: """
        work|s|ed|ing respond|ed response reply replied received delivered
        arrived refunded available answer|s|ed apology apologies serious condone
        like refund|s
        """,
    -2.0: "recommend recommended",
    0.3: "terrible awful horrible",
    1.0: "problem|s issue|s worries worry",
    1.2: "bad",
}

# --------------------------------------------------------------------------- #
# Grammar words, per language.
# --------------------------------------------------------------------------- #

#: Negators flip the next few sentiment words of the clause.
NEGATORS: Final[dict[str, str]] = {
    "fr": "ne n pas jamais rien aucun aucune sans ni non nullement guère",
    "en": """
        not no never none nobody nothing neither nor without cannot cant
        doesnt didnt isnt wasnt arent werent wouldnt couldnt shouldnt havent
        hasnt hadnt aint wont don doesn didn isn wasn aren weren couldn
        wouldn shouldn haven hasn hadn ain t dont barely hardly
        """,
}

#: French negation after the verb ("j'aime pas", "ça marche plus").
POST_NEGATORS: Final[dict[str, str]] = {"fr": "pas plus jamais rien", "en": ""}

#: Degree words: language -> multiplier -> forms; below 1 softens.
INTENSIFIERS: Final[dict[str, dict[float, str]]] = {
    "fr": {
        1.5: """
            tellement hyper ultra méga archi complètement totalement extrêmement
            carrément vraiment absolument grave trop vachement putain ptn putin
            super fucking
            """,
        1.3: "très tres franchement particulièrement sacrément énormément bien beaucoup",
        0.6: "assez plutôt légèrement moyennement",
    },
    "en": {
        1.5: """
            extremely totally completely absolutely utterly incredibly insanely
            fucking freaking frickin bloody hella super so too really truly
            seriously
            """,
        1.3: "very such highly quite way literally damn lot",
        0.6: "slightly somewhat kinda fairly rather bit",
    },
}

#: "peu" and "little" soften after an article ("un peu cher", "a little slow")
#: and negate otherwise ("peu fiable", "little help").
SMALL_AMOUNT: Final[dict[str, str]] = {"fr": "peu", "en": "little"}

#: Contrast: what comes after counts more than what comes before.
BUT_WORDS: Final[dict[str, str]] = {
    "fr": "mais pourtant cependant sauf",
    "en": "but however although though except",
}

#: Second-person and group words: insults close to them are addressed to someone.
YOU_WORDS: Final[dict[str, str]] = {
    "fr": "vous tu te toi vos votre ton ta tes bande espèce ces t sale|s",
    "en": "you u ur your youre yours yourself yourselves ya yall these those bunch",
}

#: Forms scored in French that are ordinary English words, and the reverse.
NEUTRAL_IN_EN: Final[str] = "sale sales con cons bite lent tue mince ton ta pro extra plus"
NEUTRAL_IN_FR: Final[str] = "pain dire fine ya dont don like ass"

# --------------------------------------------------------------------------- #
# Multi-word expressions, in tokenized form: phrase -> (valence, aggression,
# aggression when addressed). Their words are not scored on their own.
# --------------------------------------------------------------------------- #

PHRASES: Final[dict[str, tuple[float, float, float]]] = {
    # French
    "pris feu": (-2.5, 0.0, 0.0),
    "prend feu": (-2.5, 0.0, 0.0),
    "fils de pute": (-3.5, 0.9, 0.95),
    "nique ta mère": (-3.5, 0.95, 0.95),
    "ta gueule": (-3.0, 0.8, 0.85),
    "ferme ta gueule": (-3.0, 0.85, 0.9),
    "fermez vos gueules": (-3.0, 0.85, 0.9),
    "va te faire foutre": (-3.5, 0.9, 0.95),
    "allez vous faire foutre": (-3.5, 0.9, 0.95),
    "va chier": (-3.0, 0.8, 0.85),
    "allez chier": (-3.0, 0.8, 0.85),
    "sale con": (-3.0, 0.75, 0.9),
    "sales cons": (-3.0, 0.75, 0.9),
    "mort aux": (-3.5, 0.9, 0.95),
    "mort de rire": (1.0, 0.0, 0.0),
    "morte de rire": (1.0, 0.0, 0.0),
    "honte à vous": (-3.0, 0.55, 0.6),
    "foutage de gueule": (-3.0, 0.45, 0.6),
    "se foutent de": (-2.5, 0.35, 0.55),
    "se fout de": (-2.5, 0.35, 0.55),
    "vous foutez de": (-2.5, 0.45, 0.6),
    "foutent de la gueule": (-3.0, 0.4, 0.6),
    "fout de la gueule": (-3.0, 0.4, 0.6),
    "foutez de la gueule": (-3.0, 0.45, 0.65),
    "foutez de notre gueule": (-3.0, 0.45, 0.65),
    "n importe quoi": (-2.0, 0.0, 0.0),
    "rien à redire": (2.0, 0.0, 0.0),
    "rien à dire": (1.5, 0.0, 0.0),
    "ne commandez pas": (-2.0, 0.6, 0.65),
    "ne commandez jamais": (-2.0, 0.6, 0.65),
    "crève en enfer": (-3.5, 0.85, 0.9),
    "crevez en enfer": (-3.5, 0.85, 0.9),
    "crèvent en enfer": (-3.5, 0.85, 0.9),
    "fait chier": (-2.5, 0.35, 0.45),
    "casser la gueule": (-3.0, 0.7, 0.88),
    "péter la gueule": (-3.0, 0.7, 0.88),
    "faire sauter": (-2.5, 0.45, 0.8),
    "on va venir": (-1.5, 0.5, 0.75),
    "on sait où": (-1.5, 0.5, 0.75),
    "vous allez payer": (-2.5, 0.65, 0.7),
    "vous allez le payer": (-2.5, 0.65, 0.7),
    "sous hommes": (-3.5, 0.85, 0.9),
    "sale race": (-3.5, 0.9, 0.95),
    "n achetez": (-1.5, 0.6, 0.65),
    "achetez plus": (-1.5, 0.55, 0.6),
    "ne plus acheter": (-1.5, 0.5, 0.6),
    "ne pas acheter": (-1.5, 0.5, 0.6),
    "passez votre chemin": (-2.5, 0.45, 0.55),
    "à fuir": (-2.5, 0.4, 0.5),
    "faites tourner": (-0.5, 0.2, 0.2),
    "porte plainte": (-1.5, 0.3, 0.3),
    "porter plainte": (-1.5, 0.3, 0.3),
    "faire payer": (-2.0, 0.45, 0.75),
    "allez le regretter": (-2.0, 0.5, 0.7),
    "allez regretter": (-2.0, 0.5, 0.7),
    "allez couler": (-2.0, 0.45, 0.65),
    "le carton de": (2.0, 0.0, 0.0),
    "tout balancer": (-1.5, 0.4, 0.45),
    "on va tout balancer": (-1.5, 0.45, 0.5),
    "lâchera rien": (-1.0, 0.3, 0.4),
    "plus jamais": (-2.5, 0.15, 0.2),
    "jamais plus": (-2.5, 0.15, 0.2),
    "pas de souci": (1.0, 0.0, 0.0),
    "pas de soucis": (1.0, 0.0, 0.0),
    "pas de problème": (1.0, 0.0, 0.0),
    "sans souci": (1.0, 0.0, 0.0),
    "sans problème": (1.0, 0.0, 0.0),
    "aucun souci": (1.0, 0.0, 0.0),
    "aucun problème": (1.0, 0.0, 0.0),
    "pas mal": (1.5, 0.0, 0.0),
    "pas terrible": (-1.5, 0.0, 0.0),
    "pas top": (-1.5, 0.0, 0.0),
    "sans plus": (-0.8, 0.0, 0.0),
    "hors de prix": (-2.5, 0.0, 0.0),
    "hors service": (-2.0, 0.0, 0.0),
    "ras le bol": (-2.5, 0.1, 0.1),
    "toujours en attente": (-2.0, 0.0, 0.0),
    "quelle blague": (-2.0, 0.1, 0.1),
    "bon courage": (0.5, 0.0, 0.0),
    "bonne journée": (1.0, 0.0, 0.0),
    "bien joué": (2.0, 0.0, 0.0),
    "pire service": (-3.5, 0.0, 0.0),
    "laisse à désirer": (-2.0, 0.0, 0.0),
    "laisse beaucoup à désirer": (-2.5, 0.0, 0.0),
    "problème résolu": (1.5, 0.0, 0.0),
    "problème réglé": (1.5, 0.0, 0.0),
    "5 étoiles": (2.5, 0.0, 0.0),
    "1 étoile": (-2.5, 0.0, 0.0),
    "une étoile": (-2.5, 0.0, 0.0),
    "zéro étoile": (-3.0, 0.0, 0.0),
    "0 étoile": (-3.0, 0.0, 0.0),
    # English
    "son of a bitch": (-3.5, 0.85, 0.92),
    "piece of shit": (-3.5, 0.8, 0.9),
    "piece of crap": (-3.0, 0.5, 0.7),
    "fuck you": (-3.5, 0.9, 0.9),
    "fuck off": (-3.5, 0.85, 0.9),
    "screw you": (-3.0, 0.75, 0.8),
    "go to hell": (-3.0, 0.75, 0.8),
    "go die": (-3.5, 0.9, 0.95),
    "hope you die": (-3.5, 0.95, 0.95),
    "kill yourself": (-3.5, 0.95, 0.95),
    "kill you": (-3.5, 0.9, 0.92),
    "burn it down": (-3.0, 0.75, 0.85),
    "burn down": (-3.0, 0.7, 0.85),
    "blow up": (-2.5, 0.45, 0.8),
    "watch your back": (-2.5, 0.8, 0.85),
    "you ll pay": (-2.5, 0.65, 0.7),
    "you will pay": (-2.5, 0.65, 0.7),
    "shame on you": (-3.0, 0.55, 0.6),
    "rip off": (-3.0, 0.15, 0.3),
    "ripped off": (-3.0, 0.15, 0.3),
    "waste of money": (-3.0, 0.0, 0.0),
    "waste of time": (-3.0, 0.0, 0.0),
    "never again": (-2.5, 0.15, 0.2),
    "do not buy": (-2.0, 0.6, 0.65),
    "do not order": (-2.0, 0.6, 0.65),
    "don t order": (-2.0, 0.6, 0.65),
    "never order": (-2.0, 0.5, 0.6),
    "fuck this": (-3.0, 0.6, 0.65),
    "fuck them": (-3.5, 0.8, 0.85),
    "rot in hell": (-3.5, 0.8, 0.85),
    "rots in hell": (-3.5, 0.8, 0.85),
    "burn in hell": (-3.5, 0.8, 0.85),
    "don t buy": (-2.0, 0.6, 0.65),
    "dont buy": (-2.0, 0.6, 0.65),
    "stop buying": (-2.0, 0.6, 0.65),
    "never buy": (-2.0, 0.5, 0.6),
    "avoid at all costs": (-3.0, 0.5, 0.55),
    "stay away": (-2.5, 0.4, 0.5),
    "spread the word": (-0.5, 0.2, 0.2),
    "you will regret": (-2.5, 0.55, 0.7),
    "you ll regret": (-2.5, 0.55, 0.7),
    "see you in court": (-1.5, 0.35, 0.35),
    "won t let this go": (-1.0, 0.3, 0.35),
    "know where you": (-2.0, 0.7, 0.8),
    "you re going down": (-2.0, 0.6, 0.6),
    "let down": (-2.5, 0.0, 0.0),
    "working hard": (1.0, 0.0, 0.0),
    "work hard": (1.0, 0.0, 0.0),
    "won the internet": (2.5, 0.0, 0.0),
    "a hit for": (2.0, 0.0, 0.0),
    "a huge hit": (2.5, 0.0, 0.0),
    "under fire": (-2.5, 0.0, 0.0),
    "caught fire": (-2.5, 0.0, 0.0),
    "killing it": (2.0, 0.0, 0.0),
    "killed it": (2.0, 0.0, 0.0),
    "crushing it": (2.0, 0.0, 0.0),
    "not bad": (1.5, 0.0, 0.0),
    "no problem": (1.0, 0.0, 0.0),
    "no worries": (1.0, 0.0, 0.0),
    "no issues": (1.0, 0.0, 0.0),
    "what a joke": (-2.5, 0.15, 0.25),
    "still waiting": (-2.0, 0.0, 0.0),
    "on hold": (-1.5, 0.0, 0.0),
    "well done": (2.0, 0.0, 0.0),
    "good job": (2.0, 0.0, 0.0),
    "great job": (2.5, 0.0, 0.0),
    "top notch": (2.5, 0.0, 0.0),
    "be desired": (-2.0, 0.0, 0.0),
    "can t believe": (0.0, 0.0, 0.0),
    "cant believe": (0.0, 0.0, 0.0),
    "can t stand": (-2.5, 0.0, 0.0),
    "cant stand": (-2.5, 0.0, 0.0),
    "couldn t be happier": (3.0, 0.0, 0.0),
    "couldn t be better": (2.5, 0.0, 0.0),
    "problem solved": (1.5, 0.0, 0.0),
    "problem fixed": (1.5, 0.0, 0.0),
    "issue resolved": (1.5, 0.0, 0.0),
    "issue fixed": (1.5, 0.0, 0.0),
    "worst service": (-3.5, 0.0, 0.0),
    "pros and cons": (0.0, 0.0, 0.0),
    "too bad": (-1.5, 0.0, 0.0),
    "fed up": (-2.5, 0.1, 0.1),
    "can t wait": (2.0, 0.0, 0.0),
    "cant wait": (2.0, 0.0, 0.0),
    "5 stars": (2.5, 0.0, 0.0),
    "five stars": (2.5, 0.0, 0.0),
    "1 star": (-2.5, 0.0, 0.0),
    "one star": (-2.5, 0.0, 0.0),
    "zero stars": (-3.0, 0.0, 0.0),
    "0 stars": (-3.0, 0.0, 0.0),
}

#: Words never used to anchor a phrase (besides function words, negators,
#: intensifiers and numbers): too frequent to look for phrases at each one.
PHRASE_FILLERS: Final[str] = """
    on en à a au aux go do ll s re ve d m va vais allez faire fait être ai se sous
    zéro zero toujours tout quelle under be will what can one five une un est
"""

# --------------------------------------------------------------------------- #
# Emojis and emoticons.
# --------------------------------------------------------------------------- #

#: Emoji -> valence, or (valence, aggression, aggression when addressed).
EMOJI: Final[dict[str, float | tuple[float, float, float]]] = {
    "😀": 1.5, "😃": 1.5, "😄": 1.5, "😁": 1.5, "😆": 1.2, "😊": 1.8, "🙂": 1.0,
    "😉": 1.0, "😍": 2.5, "🥰": 2.5, "😘": 2.0, "😻": 2.0, "❤": 2.5, "♥": 2.0,
    "💕": 2.5, "💖": 2.5, "💗": 2.2, "💓": 2.2, "💞": 2.2, "💘": 2.0, "💙": 2.0,
    "💚": 2.0, "💛": 2.0, "💜": 2.0, "🧡": 2.0, "🤍": 1.5, "👍": 1.5, "👌": 1.5,
    "👏": 1.5, "🙌": 1.8, "💪": 1.5, "🙏": 1.0, "✨": 1.0, "🎉": 2.0, "🥳": 2.0,
    "🤩": 2.5, "😎": 1.5, "☺": 1.8, "🤗": 1.8, "💯": 1.8, "🔝": 1.8, "⭐": 1.2,
    "🌟": 1.5, "✅": 1.0, "🏆": 1.5, "🥇": 1.5, "😋": 1.5, "👑": 1.0, "🔥": 0.8,
    "😂": 0.6, "🤣": 0.6, "😅": 0.3, "😇": 1.5, "🫶": 2.0, "💐": 1.2, "🎁": 1.0,
    "✌": 1.0, "🤝": 1.0, "😺": 1.0,
    "😡": -3.0, "🤬": (-3.5, 0.4, 0.6), "😠": -2.5, "😤": -2.0, "👿": (-2.5, 0.2, 0.4),
    "💩": (-2.5, 0.15, 0.5), "🤮": -3.0, "🤢": -2.5, "👎": -2.0, "😞": -2.0, "😔": -1.8,
    "😟": -1.5, "😕": -1.2, "🙁": -1.5, "☹": -2.0, "😣": -1.8, "😖": -2.0, "😫": -2.0,
    "😩": -2.0, "😢": -2.0, "😭": -2.0, "😿": -1.5, "💔": -2.5, "😒": -1.8, "🙄": -1.8,
    "😑": -1.0, "😐": -0.5, "🤨": -1.0, "🤔": -0.3, "😬": -1.0, "😱": -2.0, "😨": -1.8,
    "😰": -2.0, "😥": -1.5, "😓": -1.2, "🤯": -1.0, "🤦": -1.8, "🤷": -0.5, "😪": -0.8,
    "🤡": (-2.0, 0.25, 0.5), "🖕": (-3.0, 0.7, 0.85), "🔪": (-1.5, 0.3, 0.7),
    "🔫": (-1.5, 0.35, 0.75), "💣": (-1.5, 0.3, 0.7), "☠": (-1.5, 0.1, 0.5), "💀": -0.5,
    "⚠": -1.0, "🚨": -1.0, "❌": -1.5, "🚫": -1.5, "⛔": -1.5, "🐍": (-1.5, 0.2, 0.5),
    "🐀": (-1.0, 0.1, 0.45), "🤥": (-2.0, 0.15, 0.45), "💸": -0.8, "🥴": -0.8,
    "😵": -1.0, "🙃": -0.8, "😷": -0.8,
}  # fmt: skip

#: Emoticon (lower case) -> valence. Longer ones are matched first.
EMOTICONS: Final[dict[str, float]] = {
    ">:(": -2.5, ":'(": -2.0, ":-(": -1.5, ":(": -1.5, "=(": -1.5,
    ":-)": 1.5, ":)": 1.5, "=)": 1.5, "(:": 1.5, ";-)": 1.0, ";)": 1.0,
    ":-d": 1.8, ":d": 1.8, ":p": 0.5, ":-/": -1.0, ":/": -1.0,
    "</3": -2.5, "<3": 2.0, "^^": 1.2, "^_^": 1.5, "-_-": -1.2,
}  # fmt: skip

#: Ratings written as fractions.
RATINGS: Final[dict[str, float]] = {
    "0/10": -3.0, "1/10": -3.0, "2/10": -2.5, "3/10": -2.0, "4/10": -1.0,
    "7/10": 0.8, "8/10": 1.5, "9/10": 2.0, "10/10": 2.5,
    "0/5": -3.0, "1/5": -2.5, "2/5": -1.5, "4/5": 1.5, "5/5": 2.5,
    "0/20": -3.0, "2/20": -3.0, "5/20": -2.0, "18/20": 2.0, "20/20": 2.5,
}  # fmt: skip

#: Hashtags made of a word and a name (#BoycottNike, #HonteASNCF): stem ->
#: (valence, aggression, aggression when addressed).
HASHTAG_STEMS: Final[dict[str, tuple[float, float, float]]] = {
    "boycott": (-1.5, 0.6, 0.6),
    "delete": (-1.5, 0.5, 0.5),
    "stop": (-1.5, 0.3, 0.3),
    "honte": (-2.5, 0.3, 0.3),
    "shame": (-2.5, 0.3, 0.3),
    "scandal": (-3.0, 0.1, 0.1),
    "arnaque": (-3.0, 0.2, 0.2),
    "scam": (-3.0, 0.2, 0.2),
    "balance": (-1.5, 0.3, 0.3),
    "fail": (-2.5, 0.0, 0.0),
    "fuck": (-2.0, 0.5, 0.5),
    "love": (2.0, 0.0, 0.0),
    "merci": (1.5, 0.0, 0.0),
    "bravo": (2.0, 0.0, 0.0),
}

# --------------------------------------------------------------------------- #
# Language votes: function words that say a post is French (+1) or English (-1).
# --------------------------------------------------------------------------- #

LANG_VOTES: Final[dict[int, str]] = {
    1: """
        le la les de des du à une un est et je il elle nous vous ils elles ce cette
        ces que qui pour avec sur dans mon ma mes ton ta tes son sa ses très ça
        ca c j l d qu au aux mais ou été suis sont fait rien chez leur leurs
        votre vos notre nos y pas ne n vraiment toujours encore
    """,
    -1: """
        the an and is are was were i you he she we they it this that not no to
        of for with in my your very so but or be been have has had do does did
        just get got what why how will would them their our its from at by
        about as if all can out up there when dont im
    """,
}
