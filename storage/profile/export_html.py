"""The HTML of a readable export: one self-contained page per conversation, and an index.

A page carries everything it needs: the CSS is inline, there is no script, no
font, no picture and no link outside the export, and a Content-Security-Policy
forbids them all, so opening it in a browser loads nothing from anywhere. The one
exception is the export's own ``files/`` folder (:mod:`storage.profile.export_files`):
a file is a link to its copy there, a picture is shown inline from it with ``<img>``
at a fitted width (at most 320 pixels wide, its proportions kept), and only a page
with a picture lets images load, from the export's own folder (``img-src 'self'
file:``: files beside the page, never the network). Every
text is escaped (``html.escape`` with quotes), every message carries
``dir="auto"`` so that Arabic or Hebrew runs right to left beside English, and
the colours come from an :class:`ExportPalette`: the light and dark defaults are
the app's own themes (the same values as the GUI's palettes, repeated here since
storage never imports the GUI).

Times are shown in the time zone given (the computer's own by default) and
kept exact in each ``<time datetime="...">`` as UTC.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, tzinfo

from storage.profile.export_files import ExportedFile
from storage.profile.history import Message

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June")
_MONTHS += ("July", "August", "September", "October", "November", "December")
#: What an outgoing message's status says, as in the app: the tick, then the word.
STATUS_WORDS = {
    "queued": "◷ waiting to be sent",
    "sent": "✓ sent",
    "delivered": "✓✓ delivered",
    "read": "✓✓ read",
    "failed": "! not sent",
}
#: C0 controls but tab and newline: shown as U+FFFD, never passed to the page as they are.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class ExportPalette:
    """The colours of an exported page; each one ``#rrggbb`` (checked, so nothing else reaches the CSS)."""

    name: str
    background: str
    surface: str
    border: str
    text: str
    muted: str
    accent: str
    mine: str
    on_mine: str
    mine_muted: str
    theirs: str
    on_theirs: str
    danger: str
    read: str

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "name" and not (isinstance(value, str) and _COLOUR.fullmatch(value)):
                raise ValueError(f"export palette: {field.name} must be a colour like #1d2026")


#: The app's light theme (gui/views/theme.py LIGHT).
LIGHT = ExportPalette(
    name="light",
    background="#f3f4f6",
    surface="#ffffff",
    border="#dcdfe4",
    text="#1d2026",
    muted="#6b7280",
    accent="#2563eb",
    mine="#2563eb",
    on_mine="#ffffff",
    mine_muted="#c9d8fb",
    theirs="#ffffff",
    on_theirs="#1d2026",
    danger="#c62828",
    read="#8ff0c8",
)
#: The app's dark theme (gui/views/theme.py DARK).
DARK = ExportPalette(
    name="dark",
    background="#15171a",
    surface="#1e2125",
    border="#30343a",
    text="#e7e9ec",
    muted="#9aa1ab",
    accent="#4d8dff",
    mine="#2f6ae0",
    on_mine="#ffffff",
    mine_muted="#bcd0fa",
    theirs="#2a2e34",
    on_theirs="#e7e9ec",
    danger="#ff6b6b",
    read="#8ff0c8",
)
PALETTES = {palette.name: palette for palette in (LIGHT, DARK)}


@dataclass(frozen=True)
class IndexEntry:
    """One line of index.html."""

    file_name: str
    name: str
    phone: str
    messages: int
    last: float | None


def _css(p: ExportPalette) -> str:
    return f"""
*{{box-sizing:border-box}}
body{{margin:0;background:{p.background};color:{p.text};
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",
"Noto Sans Hebrew",sans-serif}}
header{{background:{p.surface};border-bottom:1px solid {p.border};padding:16px 24px}}
h1{{margin:0;font-size:20px}}
.sub,.note{{color:{p.muted};margin:4px 0 0;font-size:13px}}
main{{max-width:760px;margin:0 auto;padding:12px 16px 40px}}
.day{{text-align:center;color:{p.muted};font-size:12px;font-weight:600;margin:18px 0 8px}}
.msg{{display:flex;margin:4px 0}}
.msg.out{{justify-content:flex-end}}
.msg.in{{justify-content:flex-start}}
.bubble{{max-width:78%;padding:7px 11px 5px;border-radius:14px;overflow-wrap:anywhere}}
.out .bubble{{background:{p.mine};color:{p.on_mine};border-bottom-right-radius:4px}}
.in .bubble{{background:{p.theirs};color:{p.on_theirs};border:1px solid {p.border};
border-bottom-left-radius:4px}}
.text{{margin:0;white-space:pre-wrap}}
.file{{margin:0 0 4px}}
.file img{{display:block;max-width:100%;height:auto;border-radius:8px}}
.meta{{margin:2px 0 0;font-size:11px;text-align:end}}
.out .meta{{color:{p.mine_muted}}}
.in .meta{{color:{p.muted}}}
.out .meta .read{{color:{p.read}}}
.out .meta .failed{{color:{p.danger};font-weight:600}}
table{{border-collapse:collapse;width:100%;background:{p.surface};border:1px solid {p.border}}}
th,td{{text-align:start;padding:8px 12px;border-bottom:1px solid {p.border}}}
th{{color:{p.muted};font-size:12px;font-weight:600}}
a{{color:{p.accent}}}
"""


#: The widest a picture is shown in a page, in CSS pixels.
PICTURE_WIDTH = 320


def _head(title: str, palette: ExportPalette, *, pictures: bool = False) -> str:
    # The policy repeats in the page what its writer guarantees: nothing but its own inline style
    # (and, on a page with pictures, the pictures beside it in the export's files/).
    images = "; img-src 'self' file:" if pictures else ""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        f"content=\"default-src 'none'; style-src 'unsafe-inline'{images}\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="color-scheme" content="{palette.name}">\n'
        f"<title>{escape(title)}</title>\n<style>{_css(palette)}</style>\n</head>\n"
    )


def escape(text: str) -> str:
    return html.escape(_CONTROLS.sub("\ufffd", text), quote=True)


def _local(timestamp: float, tz: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(tz)


def iso_utc(timestamp: float) -> str:
    """``2026-11-25T13:03:00.123Z``: ISO 8601 in UTC, to the millisecond the profile keeps."""
    moment = datetime.fromtimestamp(round(timestamp * 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _day(moment: datetime) -> str:
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _zone(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _file(found: ExportedFile) -> str:
    """A message's file: the picture inline, a link to the file, or its name and why it is not here."""
    name = escape(found.name)
    if not found.path:
        return f'<p class="file" dir="auto">{name} · {escape(found.missing)}</p>'
    href = escape(found.path)
    if found.picture:
        width = min(PICTURE_WIDTH, found.width) if found.width > 0 else PICTURE_WIDTH
        height = (
            f' height="{round(found.height * width / found.width)}"' if found.width > 0 < found.height else ""
        )
        picture = f'<img src="{href}" alt="{name}" width="{width}"{height}>'
        return f'<p class="file"><a href="{href}">{picture}</a></p>'
    return f'<p class="file" dir="auto"><a href="{href}">{name}</a> · {_size(found.size)}</p>'


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _message(message: Message, tz: tzinfo | None, found: ExportedFile | None = None) -> str:
    moment = _local(message.timestamp, tz)
    side = "out" if message.outgoing else "in"
    status = ""
    if message.outgoing:
        words = STATUS_WORDS.get(message.status, message.status)
        status = f' <span class="status {escape(message.status)}">{escape(words)}</span>'
    return (
        f'<div class="msg {side}"><div class="bubble">'
        + (_file(found) if found is not None else "")
        + (f'<p class="text" dir="auto">{escape(message.text)}</p>' if message.text or found is None else "")
        + f'<p class="meta"><time datetime="{iso_utc(message.timestamp)}">{moment:%H:%M}</time>{status}</p>'
        "</div></div>\n"
    )


def conversation_page(
    name: str,
    phone: str,
    messages: Iterable[Message],
    *,
    count: int,
    palette: ExportPalette,
    exported_at: float,
    tz: tzinfo | None = None,
    index: str | None = None,
    files: Mapping[int, ExportedFile] | None = None,
) -> Iterator[str]:
    """The page of one conversation, oldest message first, in pieces to write one after another.

    ``files`` holds what was exported of each message's file, by the message's local id.
    """
    files = files or {}
    exported = _local(exported_at, tz)
    back = f' · <a href="{escape(index)}">all conversations</a>' if index else ""
    yield _head(f"Parley: {name}", palette, pictures=any(found.picture for found in files.values()))
    yield (
        f'<body>\n<header><h1 dir="auto">{escape(name)}</h1>\n'
        f'<p class="sub"><span dir="ltr">{escape(phone)}</span> · {count} message{"" if count == 1 else "s"}'
        f" · exported {exported:%Y-%m-%d %H:%M} · times in {_zone(exported)}{back}</p>\n"
        '<p class="note">This export is not encrypted: anyone who can read this file and its files folder '
        "can read them, pictures and files too.</p>\n"
        "</header>\n<main>\n"
    )
    day = None
    for message in messages:
        moment = _local(message.timestamp, tz)
        if moment.date() != day:
            day = moment.date()
            yield f'<h2 class="day">{_day(moment)}</h2>\n'
        yield _message(message, tz, files.get(message.local_id))
    yield "</main>\n</body>\n</html>\n"


def index_page(
    entries: list[IndexEntry], *, palette: ExportPalette, exported_at: float, tz: tzinfo | None = None
) -> str:
    exported = _local(exported_at, tz)
    rows = []
    for entry in entries:
        last = "" if entry.last is None else f"{_local(entry.last, tz):%Y-%m-%d %H:%M}"
        rows.append(
            f'<tr><td dir="auto"><a href="{escape(entry.file_name)}">{escape(entry.name)}</a></td>'
            f'<td dir="ltr">{escape(entry.phone)}</td><td>{entry.messages}</td><td>{last}</td></tr>\n'
        )
    return (
        _head("Parley: conversations", palette)
        + "<body>\n<header><h1>Conversations</h1>\n"
        + f'<p class="sub">{len(entries)} conversation{"" if len(entries) == 1 else "s"}'
        + f" · exported {exported:%Y-%m-%d %H:%M} · times in {_zone(exported)}</p>\n"
        + '<p class="note">This export is not encrypted: anyone who can read these files can read them, '
        + "pictures and files too.</p>\n"
        + "</header>\n<main>\n<table>\n<tr><th>Name</th><th>Number</th><th>Messages</th><th>Last</th></tr>\n"
        + "".join(rows)
        + "</table>\n</main>\n</body>\n</html>\n"
    )
