"""Generate ``crypto/wordlist.txt``: 2048 Norwegian bokmål words for receipts.

Varsel receipts are passphrases of 8 words drawn from a list of exactly
2048 words (11 bits per word, 88 bits per receipt). This dev tool builds
that list reproducibly:

1. Take the 60 000 most frequent Norwegian bokmål words from ``wordfreq``
   (word frequencies, CC BY-SA 4.0).
2. Keep only plain lowercase ASCII ``a``-``z`` words (no æ, ø, å), 3-8
   letters long, with at least one vowel and none of the letters
   ``c q w x z`` (which mostly mark loanwords).
3. Keep only words that the Norwegian bokmål word list from the Debian
   package ``wnorwegian`` (``/usr/share/dict/bokmaal``, GNU GPL v2+) has in
   lowercase, so proper names (capitalised there) and foreign words go.
4. Drop words that are at least as frequent in English as in Norwegian.
5. Drop everything on the blocklists below (offensive, sexual, violent,
   death, illness, crime, harassment, religion, politics, names, ...).
6. Collapse confusable variants: words that become equal once doubled
   letters are made single and a common inflection ending is removed
   (``tak``/``takk``, ``stor``/``store``/``stort``) keep only their most
   frequent member.
7. Take the 2048 most frequent survivors, sort them and write one word per line.

Run it from the repository root with a throwaway virtualenv::

    apt-get install -y wnorwegian
    python3 -m venv /tmp/wl-venv && /tmp/wl-venv/bin/pip install wordfreq
    /tmp/wl-venv/bin/python scripts/make_wordlist.py

Options: ``--dict PATH`` (default ``/usr/share/dict/bokmaal``) and
``--out PATH`` (default ``crypto/wordlist.txt`` next to this script's repo).
Only this script imports ``wordfreq``; the generated file is plain data.
"""

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import wordfreq

LIST_SIZE = 2048
TOP_N = 60_000
MIN_LEN = 3
MAX_LEN = 8
DEFAULT_DICT = Path("/usr/share/dict/bokmaal")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "crypto" / "wordlist.txt"

ASCII_WORD = re.compile(r"[a-z]+")
FOREIGN_LETTERS = frozenset("cqwxz")
VOWELS = frozenset("aeiouy")
# Endings stripped (once, longest first) when grouping confusable variants.
INFLECTION_ENDINGS = ("ene", "ere", "er", "en", "et", "es", "a", "e", "t", "s")

# Any word containing one of these is dropped. Generous on purpose: losing a
# harmless word costs nothing, a bad word in a receipt costs trust.
BLOCK_SUBSTRINGS: frozenset[str] = frozenset(
    """
    abort aids alkohol angrep angst anmeld anus asyl begrav bedrag blod bomb
    brann brutal bryst dop drap drep drit drukn dum eksplo fange fascis feit
    fengs fitte flykt fyll gift grav gris hasj hat helvet henrett heroin homo
    hore idiot innvandr islam jesus jihad juks kokain kommunis kreft kriminal
    krig kristen kristus kuk kvinnfolk kyss lesb mishand misbruk mobb mord
    muslim naken narko nazi neger nigg onani overgrep pedo pikk piss pokker
    politi porn prost psyk pule rase rasis rumpe sex seksu selvmord sinnssyk
    skad skudd skyt slag smert smitt spark stjel straff stygg svind syk
    terror tiss tortur trakass trus tyv ulykk vaksin virus vold voldt
    advar advokat anklag angrip avheng barn bekjemp bekymr brudd brenn diagnos
    drikk drukk elsk fiend frykt grusom hjel jury knull kniv krenk kvalm
    lidelse mareritt medisin mistank myrd nasjon pasient penis pistol pupp
    rump sikte sjokk skremm skuml skumm skyld slave sloss soldat sverd
    terapi tiltal trist ulovlig
    arab domstol dommer fader forfulgt frikjent juling naken nakne omkom
    overfalt redd rettssak skutt slakt spreng troende utrydd
    dytt ensom keiser kikk konge majestet samleie stukket tykk
    arabisk britisk dansk finsk fransk gresk indisk iransk japansk kinesisk
    norsk polsk romersk russ spansk svensk syrisk tyrk tysk
    illegal justis kiste pave resept skrek slange spy stiv
    kanon kirurg kropp livssyn ondskap purk sorg syre union
    akutt blind brant brent bukse doktor dusj farlig galskap kamp kirk
    klinisk knust krangel krangl krasj lide offer plage skrem skrik tvang
    tving tvunget kjeften arr radikal digger
    asiat biskop boikott farged tannleg utlever knus stoff imorgen raja
    faen drink gjerning korrup
    """.split()
)

# Exact words that are dropped.
BLOCK_WORDS: frozenset[str] = frozenset(
    """
    alene ape apen arrest barn barna bein bena beruset
    bitch blakk blek blind bot boten brun brune bryllup bud daue deilig dame
    damer damene demon dom dommer dritt faen fanden fare farlig fy gal
    gale galt gud gude guder gudene gutt gutten gutter ham hang hans hatt
    hevn hud hvit hvite hvitt jente jenta jenter kamp kampen kiss kjeft klem
    klemme knus knuse kosen kropp kroppen kule lapp lappen lege legen leger lik
    liket likene lyst lysten mann mannen menn mennene mistenkt nakke offer
    ofre ofret ofrene panikk pen pene pent pike piken pille piller preik
    puppe ran rane raner redd redsel rus ruset same samen samer satan seng
    sengen skam skitt skrekk skudd skyld slave sleik slikk slo smekk sorg
    spy stakkars stump sug suge svart svarte svak svake svin taper tiger
    trist true truer truet truende tulling tvang uhell ulv ulven ulver
    vakker vakre venstre vond vondt
    armen beina bukser dusj elendig ekkelt edru feber fett foten halsen
    hodepine huden innlagt inngrep kronisk krangle krise kvele lam lider
    magen mannlige munnen nakken narr onde onkel overvekt patetisk rammet
    rana ranet ris ryggen sengen senga sinte sjalu skriker slemme sminke
    sprit stakk stinker stoff suger teit tinder tragisk trynet tynne utro
    utsatt utsatte utseende vakkert vakreste deilige dama damen jentene
    gutta guttene kvinner kvinners singel singler samtykke biter ensom
    desperat overleve overlevd redde varsel varslet anonym passord hustru
    ektemann kona kone datter datteren
    agenter arrogant astma begikk beordret blaffen brekke brud buksa dass
    djevelen dytte ekkel ekle elendige enke fis forlovet frelse heks
    hellig hersker jage jomfru kalorier katolske keiseren kikk klapp knekke
    kommando kupp kynisk lungene marinen nam offensiv omringet paradis
    paranoid promille rovdyr samboer sensur skamme skandale skitne slanke
    sperret svelge svette syndrom tobakk toalett tragedie tykk tynn
    utroskap vonde ond
    bikkja bitt betjent dominert evakuert fastlege grine jaget klanen
    klemmer leppene mage mannfolk menighet munn okkupert paven pils
    soverom tingrett tronen
    """.split()
)

# Politics, religion, institutions and other words too loaded for a receipt.
BLOCK_LOADED: frozenset[str] = frozenset(
    """
    arbeiderparti borgerlig demokrat diktator eliten folket front kapital
    kirke kirken kirker klima kommune konge kongen konservativ liberal
    makt moske nasjon nasjonal partiet presten prest regjering revolusjon
    senter sentrum sosialist stat staten statsminister streik velferd
    allierte bibelen bistand dronning etnisk flertall forsvar guds hellige
    herregud ideologi invasjon kirkens klimaet kong kongens kommunal
    kommunen liberale moderat nasjoner offiser oberst olje pensjon prester
    prins radikale regimet retorikk stemte statens statlige stater sivile
    utslipp velgerne vesten flukt forbanna forbudt utvist juridisk jurister
    dommen dommeren lovbrudd innbrudd
    arabisk britene britiske danske engelsk fransk gresk japansk kinesisk
    nordmann nordmenn norsk nynorsk russerne russiske samisk spansk svenske
    syriske tyske tyskerne
    britisk dansk etniske finske franske greske indisk iranske japanske
    kristne norske polske russ russisk samiske sovjet spanske storting
    svensk talsmann tysk tyrkiske utenriks valgkamp venstres hjemland
    """.split()
)

# Words that are also common first names or surnames, abbreviations, or
# plain English; checked by eye against the generated list.
BLOCK_NAMES_ABBREVIATIONS: frozenset[str] = frozenset(
    """
    abc aps anne arild bent berg berge borg brede eid eide eli elin eva finn
    frank fred frp geir gro hagen helga helge helle ida ila iver karen karl
    kim kjell knut lena lene lier line lise lisa lund lunde maren moe moen
    nes per rita rune signe sol stig svein sverre tone tore tove trine trude
    vik http ltd nve sms etc osv mill mrd kr
    asker bryne dale drammen erling gran grande hellas molde moses nav polen
    sogn tesla tina tine viken viking
    ang bla blei des digg div eks feks haha hehe idag igang info inkl
    innafor istedet jaggu jaja keeper mao maks mon nja obs pga ref tja
    agnes aurora avd daa mva ala aust lien tangen skei trur eiker sunde
    stokke aksel irene jarl sondre nedi hvaler jag okt teigen torp val
    linn valen
    """.split()
)

BLOCKLIST: frozenset[str] = BLOCK_WORDS | BLOCK_LOADED | BLOCK_NAMES_ABBREVIATIONS


def load_lowercase_dictionary(path: Path) -> frozenset[str]:
    """Return the entries of ``path`` that are written in lowercase.

    The Debian word lists are ISO-8859-1 encoded, one word per line; proper
    names are capitalised, so keeping only lowercase lines drops them.
    """
    text = path.read_bytes().decode("latin-1")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() == line.strip().lower()
    )


def is_blocked(word: str) -> bool:
    """Whether ``word`` is on a blocklist or contains a blocked stem."""
    if word in BLOCKLIST:
        return True
    return any(stem in word for stem in BLOCK_SUBSTRINGS)


def confusion_key(word: str) -> str:
    """Key under which easily confused variants of a word coincide.

    Runs of a repeated letter become one letter (``takk`` -> ``tak``), then
    common inflection endings are removed while at least three letters remain
    (``store``/``stort`` -> ``stor``, ``boka`` -> ``bok``).
    """
    key = re.sub(r"(.)\1+", r"\1", word)
    stripped = True
    while stripped:
        stripped = False
        for ending in INFLECTION_ENDINGS:
            if key.endswith(ending) and len(key) - len(ending) >= MIN_LEN:
                key = key[: -len(ending)]
                stripped = True
                break
    return key


def report(stage: str, words: Iterable[str]) -> None:
    """Print how many candidates survived ``stage``."""
    print(f"{stage:<40} {len(list(words)):>6}", file=sys.stderr)


def select_words(dictionary: frozenset[str]) -> list[str]:
    """Apply every filter and return the final sorted list of words."""
    candidates = wordfreq.top_n_list("nb", TOP_N)
    report(f"wordfreq top {TOP_N} (nb)", candidates)

    candidates = [w for w in candidates if ASCII_WORD.fullmatch(w)]
    report("lowercase ASCII a-z only", candidates)

    candidates = [w for w in candidates if MIN_LEN <= len(w) <= MAX_LEN]
    report(f"length {MIN_LEN}-{MAX_LEN}", candidates)

    candidates = [w for w in candidates if VOWELS & set(w) and not FOREIGN_LETTERS & set(w)]
    report("has a vowel, no c/q/w/x/z", candidates)

    candidates = [w for w in candidates if w in dictionary]
    report("in bokmål dictionary (lowercase)", candidates)

    candidates = [
        w for w in candidates if wordfreq.zipf_frequency(w, "en") < wordfreq.zipf_frequency(w, "nb")
    ]
    report("more frequent in Norwegian than English", candidates)

    candidates = [w for w in candidates if not is_blocked(w)]
    report("not blocklisted", candidates)

    # top_n_list is ordered by frequency, so the first word seen for a key
    # is the most frequent variant.
    seen: set[str] = set()
    distinct: list[str] = []
    for word in candidates:
        key = confusion_key(word)
        if key not in seen:
            seen.add(key)
            distinct.append(word)
    report("confusable variants collapsed", distinct)

    if len(distinct) < LIST_SIZE:
        raise SystemExit(f"only {len(distinct)} words survived, need {LIST_SIZE}")
    chosen = sorted(distinct[:LIST_SIZE])
    report("final list", chosen)
    return chosen


def render_list(words: list[str]) -> str:
    """The word list file: UTF-8, one word per line, each line ending in LF, in index order
    (docs/PROTOCOL.md, "Receipt")."""
    return "".join(f"{word}\n" for word in words)


def main() -> None:
    """Build the list and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dict", type=Path, default=DEFAULT_DICT, dest="dict_path")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    words = select_words(load_lowercase_dictionary(args.dict_path))
    assert len(words) == len(set(words)) == LIST_SIZE
    args.out.write_text(render_list(words), encoding="utf-8", newline="\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
