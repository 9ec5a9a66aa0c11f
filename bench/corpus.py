"""A fixed benchmark corpus: English-like sentences with a long-tailed length mix, no downloads.

`make_corpus(2000)` always returns the same 2,000 sentences: words drawn (seeded) from a built-in
list of common English words, sentence lengths drawn from a log-normal distribution (median 15
words, clipped to 5..120), so most sentences are short and a few are long, as in real traffic.
"""

from __future__ import annotations

import math
import random

SEED = 20240601
MEDIAN_WORDS = 15
SIGMA = 0.75  # log-normal spread: ~5% of sentences above 50 words, a few near the 120 cap
MIN_WORDS, MAX_WORDS = 5, 120

WORDS = """
the of and to a in is it you that he was for on are with as his they be at one have this from
or had by not word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story saw
far sea draw left late run while press close night real life few north open seem together next
white children begin got walk example ease paper group always music those both mark often letter
until mile river car feet care second book carry took science eat room friend began idea fish
mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct
able pound done beauty drive stood contain front teach week final gave green quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing
course stay wheel full force blue object decide surface deep moon island foot system busy test
record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate hot miss brought heat snow tire bring yes distant fill east paint language among grand
""".split()


def sentence_lengths(n: int, rng: random.Random) -> list[int]:
    """n word counts from a log-normal with median MEDIAN_WORDS, clipped to [MIN_WORDS, MAX_WORDS]."""
    mu = math.log(MEDIAN_WORDS)
    return [min(MAX_WORDS, max(MIN_WORDS, round(rng.lognormvariate(mu, SIGMA)))) for _ in range(n)]


def make_sentence(n_words: int, rng: random.Random) -> str:
    """'The river took a long walk, and the cold wind came home.' — capitalised, commas, a full stop."""
    words = [rng.choice(WORDS) for _ in range(n_words)]
    for i in range(4, n_words - 2, 7):  # a comma now and then, as in written text
        if rng.random() < 0.5:
            words[i] += ","
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice(".....?!")


def make_corpus(n: int = 2000, seed: int = SEED) -> list[str]:
    """The benchmark corpus: the same n sentences for the same seed, on every machine."""
    rng = random.Random(seed)
    return [make_sentence(k, rng) for k in sentence_lengths(n, rng)]


def describe(corpus: list[str]) -> dict[str, float]:
    """Word-count summary: {'sentences': 2000, 'words_min': 5, 'words_median': 15, ...}."""
    counts = sorted(len(s.split()) for s in corpus)
    return {
        "sentences": len(counts),
        "words_min": counts[0],
        "words_median": counts[len(counts) // 2],
        "words_p90": counts[int(0.9 * (len(counts) - 1))],
        "words_max": counts[-1],
        "words_mean": round(sum(counts) / len(counts), 2),
    }


if __name__ == "__main__":
    sample = make_corpus()
    print(describe(sample))
    for s in sample[:5]:
        print(" ", s)
