"""Shared texts for tokenizer parity tests: accents, CJK, emoji, control characters, long words, blanks."""

COURSE = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]

TEXTS = [
    *COURSE,
    "café naïve Ångström résumé façade Über",
    "中文字符 and 日本語のテキスト, 한국어 too",
    "emoji 👍🏽 and 🤗 hugs ❤️",
    "control\x00chars\there\u200bzero\u202eRTL\x7f\x85end",
    "a" * 300,
    "x" + "supercalifragilistic" * 15,
    "",
    "   ",
    "\t\n \u3000",
    "Hello, world! It's 3.14 — don't stop... ok?",
    "[CLS] literal special [SEP] tokens [MASK] inside [PAD][UNK]",
    "UPPER lower MiXeD ÉCOLE ǅ İstanbul",
    "new\nlines\r\nand   multiple    spaces",
    "Ⅻ ﬁ ＡＢＣ fullwidth & ligatures",
    "résumé " * 40,
]

PAIRS = [
    (COURSE[0], COURSE[1]),
    ("What is a café?", "A café is a place. " * 12),
    ("中文", "日本語 👍🏽"),
    ("question", ""),
    ("", "only a second text"),
    ("a" * 300, "short"),
]

WORDS = [
    ["Hello", "world", "café", "👍🏽"],
    ["HuggingFace", "is", "in", "New", "York", "中文"],
    ["", "x", "   ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
]
