"""Benchmark of the client profile, side by side with the old format, on the same messages.

    python -m storage.profile.bench [--messages 100000] [--conversations 200] [--runs 9] [--seed 7]

Builds two profiles from the same ``--messages`` messages spread over
``--conversations`` conversations (a few big ones and many small ones): one in
today's format (one SQLCipher database with a trigram index) and one in the old
format (:mod:`storage.profile.legacy`: values sealed row by row). The texts are
made up but realistic and the same for every ``--seed``: mixed lengths (one
word to a hundred), a vocabulary where a few words are everywhere and most are
rare, and several scripts (Latin, Cyrillic, Japanese, Arabic, Greek, emoji);
2 % of the messages arrive out of time order, as a backlog does. Both are
filled through their store API, every message of a profile in one transaction.

Then every figure is measured once to warm up and ``--runs`` times, today's
format and the old one alternating (which goes first alternates too), so that
the machine getting slower or faster hits both; the table shows medians. The
old format has no search across conversations ("n/a"); its only search, in one
conversation, is measured in the largest conversation, beside today's search in
the same conversation. Everything happens in temporary folders that are
removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.profile.directory import ProfileDirectory
from storage.profile.legacy.directory import ProfileDirectory as LegacyDirectory
from storage.profile.legacy.profile import Profile as LegacyProfile
from storage.profile.profile import Profile

PASSPHRASE = "benchmark passphrase"  # noqa: S105 - a throwaway profile in a temporary folder
AnyProfile = Profile | LegacyProfile

_WORDS = {
    "latin": (
        "the you I to a and it is of that in for me on my have we this be was but not so what do just are "
        "with can ok at know like all get how will okay your time if out up there one now good think go see "
        "yes about then lol here thanks tomorrow today tonight see soon call later sorry great love home "
        "work when well right back make need really going sure want come new dinner meeting coffee train "
        "ticket "
        "weekend photo morning night week day year people thing way much more last first little long account "
        "amount counter fountain mountain discount country sounds found round ground wonderful beautiful "
        "message problem question answer remember perhaps together different important interesting "
        "restaurant appointment birthday holiday airport station library hospital weather"
    ),
    "cyrillic": (
        "привет как дела что ты делаешь сегодня завтра встречаемся встреча встречи в кафе у метро хорошо "
        "спасибо пожалуйста давай позвоню тебе позже я на работе дома скоро буду очень рад видеть фото "
        "отличная идея посмотрим купить хлеб молоко поезд билет вокзал в семь вечера опаздываю извини пока"
    ),
    "japanese": (
        "こんにちは 今日 明日 会議 会いましょう 駅の前で 東京 大阪 ありがとう すみません 了解です 写真 "
        "送ります 電車 遅れています 夕ご飯 何時 楽しみ 週末 映画 天気 雨 晴れ 仕事 終わった おやすみ"
    ),
    "arabic": (
        "مرحبا كيف حالك شكرا جزيلا غدا اليوم الاجتماع في المساء أراك لاحقا صباح الخير مساء الخير "
        "القطار التذكرة العشاء القهوة الصور عطلة نهاية الأسبوع"
    ),
    "greek": "γεια σου τι κάνεις αύριο απόψε ευχαριστώ καλημέρα καληνύχτα συνάντηση καφέ λοιπόν",
}
_SCRIPT_SHARE = {"latin": 70, "cyrillic": 12, "japanese": 8, "arabic": 6, "greek": 4}
_EMOJI = ["🙂", "😂", "👍", "🎉", "❤️", "🙏", "😅", "🔥", "✅", "🤔"]
#: A word in about one message in 5,000.
RARE = "quetzalcoatl"
#: What is searched for: (what the table calls it, the query).
QUERIES = (
    ("a common word", "the"),
    ("a rare word", RARE),
    ("part of words", "ount"),
    ("non-Latin, part of a word", "встреч"),
    ("2 characters (scan)", "ok"),
    ("2 characters, no match (whole scan)", "qz"),
)
SEARCH_TARGET = "≤ 50 ms"


@dataclass(frozen=True)
class Item:
    contact: str
    client_id: str
    outgoing: bool
    text: str
    timestamp: float


@dataclass(frozen=True)
class Figure:
    """One line of the table: medians in milliseconds; ``old_ms`` None when the old format cannot do it."""

    what: str
    new_ms: float
    old_ms: float | None
    #: How many results the action returned (searches and pages), so the work done is visible.
    results: int | None
    target: str


class Texts:
    """Deterministic message texts: Zipf-like word choice, mixed lengths, several scripts."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._words = {script: words.split() for script, words in _WORDS.items()}
        # The n-th word of a list is 1/n as likely as the first, as in real text.
        self._weights = {script: [1 / (n + 1) for n in range(len(w))] for script, w in self._words.items()}

    def script(self) -> str:
        return self._rng.choices(list(_SCRIPT_SHARE), weights=list(_SCRIPT_SHARE.values()))[0]

    def text(self, script: str) -> str:
        rng = self._rng
        length = (
            rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30))
            if rng.random() < 0.95
            else rng.randint(40, 120)
        )
        if rng.random() < 0.1:  # a conversation mostly keeps to its script, not always
            script = self.script()
        words = rng.choices(self._words[script], weights=self._weights[script], k=length)
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words) + 1), rng.choice(_EMOJI))
        if rng.random() < 1 / 5000:
            words.insert(rng.randrange(len(words) + 1), RARE)
        text = ("" if script == "japanese" else " ").join(words)
        return text[0].upper() + text[1:] if rng.random() < 0.5 else text


def plan(messages: int, conversations: int, seed: int) -> list[Item]:
    """The messages, in the order they arrive; the same for the same arguments."""
    if conversations < 1 or messages < conversations:
        raise ValueError("there must be at least one conversation and one message in each")
    rng = random.Random(seed)  # noqa: S311 - made-up texts that must repeat, no secret
    texts = Texts(rng)
    scripts = [texts.script() for _ in range(conversations)]
    # Sizes fall off like 1/k^0.7: a few big conversations, many small ones.
    weights = [1 / (k + 1) ** 0.7 for k in range(conversations)]
    order = list(range(conversations)) + rng.choices(
        range(conversations), weights, k=messages - conversations
    )
    rng.shuffle(order)
    items = []
    for n, conversation in enumerate(order):
        timestamp = 1_700_000_000 + n * 30 + rng.random() * 20
        if rng.random() < 0.02:  # arrives late: sent up to three days before it is stored
            timestamp -= rng.uniform(60, 3 * 86_400)
        text = texts.text(scripts[conversation])
        items.append(Item(_phone(conversation), f"m{n}", rng.random() < 0.45, text, timestamp))
    return items


def _phone(conversation: int) -> str:
    return f"+1555{conversation:07d}"


def _fill(profile: AnyProfile, items: list[Item], conversations: int) -> float:
    start = time.perf_counter()
    with profile.transaction():
        for k in range(conversations):
            profile.contacts.add(_phone(k), f"Contact {k}")
            profile.sessions.put(_phone(k), random.Random(k).randbytes(2048))  # noqa: S311 - a stand-in
        for item in items:
            profile.history.add(
                item.contact,
                client_id=item.client_id,
                outgoing=item.outgoing,
                text=item.text,
                timestamp=item.timestamp,
            )
    return (time.perf_counter() - start) * 1000


def _receiver(profile: AnyProfile, contact: str) -> Callable[[], int]:
    """Store one received message the way the engine's inbox does, in one committed transaction."""
    counter = iter(range(10**9))
    state = random.Random(0).randbytes(2048)  # noqa: S311 - a stand-in for a session's bytes

    def receive() -> int:
        n = next(counter)
        server_id = f"server-{n}"
        with profile.transaction():
            if profile.processed.seen(server_id):
                return 0
            profile.sessions.get(contact)
            profile.history.add(
                contact,
                client_id=f"in{n}",
                outgoing=False,
                text="new message",
                timestamp=2e9 + n,
                meta={"sent": 2_000_000_000_000 + n},
            )
            profile.contacts.get(contact)
            profile.sessions.put(contact, state)
            profile.processed.remember(server_id)
        return 1

    return receive


Action = Callable[[], int | None]


def _count(result: object) -> int | None:
    messages = getattr(result, "messages", result)
    return len(messages) if isinstance(messages, list) else None


def _search_all(profile: Profile, query: str) -> Action:
    return lambda: len(profile.history.search_all(query, limit=50))


def _search_one(profile: AnyProfile, contact: str, query: str) -> Action:
    return lambda: len(profile.history.search(contact, query, limit=50).messages)


def _measure(new: Action, old: Action | None, runs: int) -> tuple[float, float | None, int | None]:
    """Medians of ``runs`` alternating runs after one warm-up; and how many results ``new`` gave."""
    results = new()
    if old is not None:
        old()
    samples: dict[bool, list[float]] = {True: [], False: []}
    for run in range(runs):
        sides = [(True, new), (False, old)] if run % 2 == 0 else [(False, old), (True, new)]
        for is_new, action in sides:
            if action is None:
                continue
            start = time.perf_counter()
            action()
            samples[is_new].append((time.perf_counter() - start) * 1000)
    old_ms = statistics.median(samples[False]) if old is not None else None
    return statistics.median(samples[True]), old_ms, results


def run(messages: int, conversations: int, runs: int, seed: int = 7) -> list[Figure]:
    if runs < 1:
        raise ValueError("runs must be at least 1")
    items = plan(messages, conversations, seed)
    sizes: dict[str, int] = {}
    for item in items:
        sizes[item.contact] = sizes.get(item.contact, 0) + 1
    largest = max(sizes, key=lambda contact: sizes[contact])
    with tempfile.TemporaryDirectory() as new_root, tempfile.TemporaryDirectory() as old_root:
        new_dir, old_dir = ProfileDirectory(Path(new_root)), LegacyDirectory(Path(old_root))
        new, old = new_dir.create("Bench", PASSPHRASE), old_dir.create("Bench", PASSPHRASE)
        figures = [
            Figure(
                f"store {messages:,} messages (store API, one transaction)",
                _fill(new, items, conversations),
                _fill(old, items, conversations),
                None,
                "—",
            )
        ]
        new.close()
        old.close()
        new_opened: list[Profile] = []
        old_opened: list[LegacyProfile] = []

        def unlock_new() -> None:
            # A profile is open once at a time (its folder lock): the last open lets go first, which
            # costs well under a millisecond beside Argon2id's hundreds.
            while new_opened:
                new_opened.pop().close()
            new_opened.append(new_dir.open(new.profile_id, PASSPHRASE))

        ms, old_ms, _ = _measure(
            unlock_new,
            lambda: old_opened.append(old_dir.open(old.profile_id, PASSPHRASE)),
            runs,
        )
        figures.append(Figure("unlock the profile (Argon2id, default cost)", ms, old_ms, None, "—"))
        for other in old_opened[1:]:
            other.close()
        a, b = new_opened[0], old_opened[0]
        try:
            figures += _figures(a, b, largest, sizes[largest], runs)
        finally:
            a.close()
            b.close()
    return figures


def _figures(new: Profile, old: LegacyProfile, largest: str, size: int, runs: int) -> list[Figure]:
    figures = []

    def add(what: str, target: str, on_new: Action, on_old: Action | None) -> None:
        ms, old_ms, results = _measure(on_new, on_old, runs)
        figures.append(Figure(what, ms, old_ms, results, target))

    for what, query in QUERIES:
        add(f"search all, first 50: {what} {query!r}", SEARCH_TARGET, _search_all(new, query), None)
    for what, query in (("a common word", "the"), ("no match", "zzyzx")):
        add(
            f"search one conversation ({size:,} msgs), first 50: {what} {query!r}",
            "—",
            _search_one(new, largest, query),
            _search_one(old, largest, query),
        )
    deep_new = new.history.page(largest, limit=max(1, size // 2)).next
    deep_old = old.history.page(largest, limit=max(1, size // 2)).next
    add(
        "page of 50, newest",
        "≤ 1 ms",
        lambda: _count(new.history.page(largest, limit=50)),
        lambda: _count(old.history.page(largest, limit=50)),
    )
    add(
        f"page of 50, {size // 2:,} messages back",
        "≤ 1 ms",
        lambda: _count(new.history.page(largest, before=deep_new, limit=50)),
        lambda: _count(old.history.page(largest, before=deep_old, limit=50)),
    )
    # The scrollbar over a whole conversation: where the drawn page sits, and the page a drag points at.
    middle = new.history.page_from(largest, size // 2, limit=1).messages[0].cursor
    add(
        f"place of a message {size // 2:,} in (older ones and total)",
        "≤ 5 ms",
        lambda: new.history.place(largest, middle).older,
        None,
    )
    add(
        f"page of 100 at its place, {size // 2:,} messages in",
        "≤ 5 ms",
        lambda: _count(new.history.page_from(largest, size // 2, limit=100)),
        None,
    )
    add(
        "conversation list",
        "—",
        lambda: _count(new.history.conversations()),
        lambda: _count(old.history.conversations()),
    )
    add(
        "receive: message + session + processed id, 1 commit",
        "≤ 1 ms",
        _receiver(new, largest),
        _receiver(old, largest),
    )
    return figures


def table(figures: list[Figure]) -> str:
    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f} ms"

    lines = ["| what | results | Parley | old format | target |", "| --- | ---: | ---: | ---: | --- |"]
    for f in figures:
        results = "" if f.results is None else str(f.results)
        lines.append(f"| {f.what} | {results} | {ms(f.new_ms)} | {ms(f.old_ms)} | {f.target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = run(args.messages, args.conversations, args.runs, args.seed)
    print(
        f"{args.messages:,} messages in {args.conversations} conversations (seed {args.seed}); "
        f"medians of {args.runs} alternating runs after one warm-up:"
    )
    print(table(figures))


if __name__ == "__main__":
    main()
