"""Pictures as the engine and the app handle them: probe, thumbnail, decode with a limit, profile picture.

Every picture reaching this module is untrusted (a file someone chose, bytes a
contact sent), so:

- Only the formats people send are read (JPEG, PNG, GIF, WebP, BMP); Pillow's
  other decoders are never tried.
- The pixel count is checked from the header, before any pixel is decoded
  (:data:`MAX_PIXELS`): a small file that claims a huge canvas (a decompression
  bomb) is refused in words. Pillow's own ``Image.MAX_IMAGE_PIXELS`` is a global
  that any caller may change, so it is not relied on.
- What leaves this module for someone else (a thumbnail, a profile picture) is
  re-encoded from pixels into a fresh JPEG: EXIF (with GPS position, camera,
  time), ICC, XMP and comments are all dropped; the EXIF orientation is applied
  to the pixels first, so the picture still stands the right way up.
- An animated picture (GIF, WebP) is its first frame.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

MAX_PIXELS = 50_000_000
"""The most pixels (width × height) decoded: a 50-megapixel photo opens, a bomb does not."""

THUMBNAIL_MAX_BYTES = 24 * 1024
PICTURE_MAX_BYTES = 48 * 1024
"""The largest profile picture made here, and the largest one taken from a contact."""

# Pillow's names of the formats read; a camera's multi-picture JPEG opens as "MPO" through "JPEG".
_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
}
# EXIF orientations 5 to 8 turn the picture a quarter: its width and height trade places.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_QUALITIES = (85, 75, 65, 55, 45, 35, 25)
_NOT_A_PICTURE = "This is not a picture that can be shown (JPEG, PNG, GIF, WebP or BMP)."
_DAMAGED = "The picture is damaged and cannot be shown."
_TOO_BIG = "The picture has too many pixels to be shown safely."


class ImageRefused(ValueError):
    """A picture not decoded, with words for a person; the picture's bytes are never part of it."""


@dataclass(frozen=True)
class ImageInfo:
    """What a picture's header says: its type and its size as shown (orientation applied)."""

    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class Thumbnail:
    """A small JPEG of a picture, with its size in pixels."""

    data: bytes = field(repr=False)
    width: int
    height: int


def probe(path: Path) -> ImageInfo | None:
    """The type and size of the picture at ``path``, from its header alone (no pixel is decoded).

    None when it is not a picture shown here: another kind of file, a damaged
    header, more than :data:`MAX_PIXELS` pixels, or a file that cannot be read.
    """
    try:
        with _opened(path) as img:
            width, height = img.size
            if _orientation(img) in _QUARTER_TURNS:
                width, height = height, width
            return ImageInfo(_MIME[str(img.format)], width, height)
    except (ImageRefused, OSError):
        return None


def thumbnail(path: Path, *, max_side: int = 320, max_bytes: int = THUMBNAIL_MAX_BYTES) -> Thumbnail | None:
    """A JPEG of at most ``max_side`` pixels a side and ``max_bytes`` bytes; None if none can be made.

    None covers everything that is not a picture shown here: another kind of
    file, a damaged picture, one with more than :data:`MAX_PIXELS` pixels, a file
    that cannot be read. The file is then simply sent without a thumbnail.
    """
    try:
        with _opened(path) as img:
            pixels = _upright_rgb(img, draft=max_side)
    except (ImageRefused, OSError):
        return None
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    try:
        data, width, height = _fitted_jpeg(pixels, max_bytes)
    except ImageRefused:
        return None
    return Thumbnail(data, width, height)


def decode(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The picture in ``data``, decoded, upright and in RGB or RGBA; :class:`ImageRefused` if it may not be.

    Refused: not a picture read here, more than ``max_pixels`` pixels (checked
    before decoding), or damaged. The result is what ``PIL.ImageTk.PhotoImage``
    takes.
    """
    with _opened(io.BytesIO(data), max_pixels=max_pixels) as img:
        try:
            img.load()
            upright = _upright(img)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            return upright.convert("RGBA" if has_alpha else "RGB")
        except Exception as exc:  # a decoder fed damaged bytes fails in many ways; each is "damaged"
            raise ImageRefused(_DAMAGED) from exc


def profile_picture(path: Path, *, side: int = 256, max_bytes: int = PICTURE_MAX_BYTES) -> bytes:
    """A square JPEG of the picture at ``path``: its middle, ``side`` pixels a side (fewer if it is smaller).

    Raises :class:`ImageRefused` with words when the file is not a picture read
    here, is damaged, has too many pixels or cannot be read.
    """
    try:
        with _opened(path) as img:
            pixels = _upright_rgb(img, draft=side)
    except OSError as exc:
        raise ImageRefused("The picture could not be read.") from exc
    square = min(side, pixels.width, pixels.height)
    fitted = ImageOps.fit(pixels, (square, square), Image.Resampling.LANCZOS)
    return _fitted_jpeg(fitted, max_bytes)[0]


@contextmanager
def _opened(source: Path | IO[bytes], *, max_pixels: int = MAX_PIXELS) -> Iterator[Image.Image]:
    """The picture opened lazily (its header read, no pixels), refused if it is not one or is too big."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (or refuses) by its own global limit; ours is checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(source, formats=_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageRefused(_TOO_BIG) from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRefused(_NOT_A_PICTURE) from exc
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # the file itself, not its content: the caller says so
    except Exception as exc:  # a header Pillow started to read and could not make sense of
        raise ImageRefused(_DAMAGED) from exc
    with img:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise ImageRefused(_DAMAGED)
        if width * height > max_pixels:
            raise ImageRefused(_TOO_BIG)
        yield img


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # damaged EXIF, of whatever kind: shown as stored
        return 1


def _upright(img: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation says (Pillow's exif_transpose also rewrites the EXIF,
    which fails on damaged EXIF; only the pixels are wanted here)."""
    method = _TRANSPOSE.get(_orientation(img))
    return img if method is None else img.transpose(method)


def _upright_rgb(img: Image.Image, *, draft: int) -> Image.Image:
    """The pixels decoded, turned upright, transparency laid on white: a fresh image with no metadata.

    A JPEG is decoded straight at 1/2 to 1/8 of its size when ``draft`` pixels a side are enough.
    """
    try:
        img.draft("RGB", (draft, draft))
        img.load()
        upright = _upright(img)
        if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = upright.convert("RGB")
    except Exception as exc:  # a truncated or corrupt stream of pixels, damaged tables: "damaged"
        raise ImageRefused(_DAMAGED) from exc
    clean = Image.new("RGB", flat.size)  # nothing of the source's info (EXIF, ICC, XMP, comments) comes along
    clean.paste(flat)
    return clean


def _fitted_jpeg(pixels: Image.Image, max_bytes: int) -> tuple[bytes, int, int]:
    """The best JPEG of ``pixels`` within ``max_bytes``, and its size: quality, then size, stepped down."""
    current = pixels
    while True:
        for quality in _QUALITIES:
            out = io.BytesIO()
            current.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue(), current.width, current.height
        if current.width <= 16 and current.height <= 16:
            raise ImageRefused("The picture cannot be made small enough.")
        smaller = (max(1, current.width * 3 // 4), max(1, current.height * 3 // 4))
        current = current.resize(smaller, Image.Resampling.LANCZOS)
