"""Pictures: decompression bombs refused before decoding, metadata stripped, orientation kept, limits held."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import struct
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from net.client import images
from net.client.images import ImageInfo, ImageRefused

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GPS_IFD = 0x8825


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _real_bomb(side: int) -> bytes:
    """A greyscale PNG of side × side black pixels: a few tens of KiB that decode to side² bytes."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + the row
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return _png(side, side, idat)


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header says it is width × height."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), RED).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif_claiming(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("P", (4, 4), 1).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen
    data[data.index(b"\x2c") + 5 : data.index(b"\x2c") + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def _halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue."""
    img = Image.new("RGB", (width, height), RED)
    img.paste(BLUE, (width // 2, 0, width, height))
    return img


def _photo_with_gps(path: Path, orientation: int = 6) -> Path:
    """A JPEG as a phone makes it: stored sideways with an orientation tag, camera, time and GPS."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[0x0132] = "2026:11:30 10:00:00"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.5)}
    _halves(400, 200).save(path, "JPEG", exif=exif.tobytes(), comment=b"secret place")
    return path


def _noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def _assert_clean_jpeg(data: bytes) -> Image.Image:
    """A JPEG with no EXIF (so no GPS), no ICC, no XMP, no comment."""
    assert data[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"secret place" not in data
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0
    assert not img.getexif().get_ifd(GPS_IFD)
    assert "icc_profile" not in img.info and "xmp" not in img.info and "comment" not in img.info
    return img


def _colour_at(img: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = img.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


def _near(colour: tuple[int, int, int], want: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(colour, want, strict=True))


@pytest.fixture
def no_pillow_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's global guard switched off, as any other caller in the process may do: ours still holds."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)


# --- decompression bombs -------------------------------------------------------------------------


@pytest.mark.usefixtures("no_pillow_guard")
def test_a_header_claiming_a_huge_canvas_is_refused_before_any_pixel_is_decoded() -> None:
    # The pixel data is a few bytes only: decoding it would fail as "damaged". The refusal says
    # "too many pixels", so it came from the header alone.
    claim = _png(100_000, 100_000, zlib.compress(b"\x00" * 64))
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.decode(claim)


@pytest.mark.usefixtures("no_pillow_guard")
@pytest.mark.parametrize(
    "claim",
    [_jpeg_claiming(60_000, 60_000), _gif_claiming(65_535, 65_535)],
    ids=["jpeg", "gif"],
)
def test_jpeg_and_gif_headers_claiming_a_huge_canvas_are_refused(claim: bytes, tmp_path: Path) -> None:
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.decode(claim)
    path = tmp_path / "claim"
    path.write_bytes(claim)
    assert images.thumbnail(path) is None
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.profile_picture(path)


@pytest.mark.usefixtures("no_pillow_guard")
def test_a_real_bomb_is_refused_quickly_by_decode_thumbnail_and_profile_picture(tmp_path: Path) -> None:
    bomb = _real_bomb(8_000)  # 64 million pixels in well under a MiB
    assert len(bomb) < 1024 * 1024
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    started = time.monotonic()
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.decode(bomb)
    assert images.thumbnail(path) is None
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.profile_picture(path)
    assert time.monotonic() - started < 2.0  # decoding 64 million pixels three times would take longer
    assert images.probe(path) is None  # not a picture shown here: it goes as a plain file


def test_the_pixel_limit_is_the_callers_to_lower() -> None:
    out = io.BytesIO()
    Image.new("RGB", (100, 100), RED).save(out, "PNG")
    assert images.decode(out.getvalue(), max_pixels=10_000).size == (100, 100)
    with pytest.raises(ImageRefused, match="too many pixels"):
        images.decode(out.getvalue(), max_pixels=9_999)


# --- metadata and orientation ----------------------------------------------------------------


def test_a_thumbnail_carries_no_exif_gps_or_comment_and_stands_upright(tmp_path: Path) -> None:
    photo = _photo_with_gps(tmp_path / "photo.jpg")
    assert b"PhoneMaker" in photo.read_bytes()  # the source does carry them
    thumb = images.thumbnail(photo)
    assert thumb is not None
    img = _assert_clean_jpeg(thumb.data)
    # Stored 400 × 200 (red left, blue right) with "turn a quarter clockwise": shown 200 × 400, red on top.
    assert (thumb.width, thumb.height) == img.size == (160, 320)
    assert _near(_colour_at(img, (80, 40)), RED)
    assert _near(_colour_at(img, (80, 280)), BLUE)


def test_a_profile_picture_carries_no_exif_gps_or_comment_and_stands_upright(tmp_path: Path) -> None:
    photo = _photo_with_gps(tmp_path / "photo.jpg")
    img = _assert_clean_jpeg(images.profile_picture(photo))
    assert img.size == (200, 200)  # the middle square of the upright 200 × 400 picture
    assert _near(_colour_at(img, (100, 5)), RED)
    assert _near(_colour_at(img, (100, 195)), BLUE)


def test_probe_reports_the_size_as_shown(tmp_path: Path) -> None:
    assert images.probe(_photo_with_gps(tmp_path / "photo.jpg")) == ImageInfo("image/jpeg", 200, 400)
    assert images.probe(_photo_with_gps(tmp_path / "flat.jpg", orientation=1)) == ImageInfo(
        "image/jpeg", 400, 200
    )


def test_decode_turns_a_sideways_photo_upright(tmp_path: Path) -> None:
    img = images.decode(_photo_with_gps(tmp_path / "photo.jpg").read_bytes())
    assert img.size == (200, 400) and img.mode == "RGB"
    assert _near(_colour_at(img, (100, 50)), RED)


# --- byte limits -------------------------------------------------------------------------------------


def test_a_thumbnail_of_noise_still_fits_its_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    _noise(2_000, 1_500).save(path, "PNG")
    thumb = images.thumbnail(path)
    assert thumb is not None
    assert len(thumb.data) <= 24 * 1024
    assert Image.open(io.BytesIO(thumb.data)).size == (thumb.width, thumb.height)
    assert max(thumb.width, thumb.height) <= 320
    small = images.thumbnail(path, max_side=200, max_bytes=3_000)
    assert small is not None and len(small.data) <= 3_000
    assert Image.open(io.BytesIO(small.data)).size == (small.width, small.height)
    assert "data=" not in repr(small)  # the bytes stay out of its repr


def test_a_profile_picture_of_noise_fits_48_kib_as_a_square(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    _noise(1_200, 900).save(path, "PNG")
    data = images.profile_picture(path)
    assert len(data) <= 48 * 1024
    assert Image.open(io.BytesIO(data)).size == (256, 256)
    assert len(images.profile_picture(path, side=64, max_bytes=2_000)) <= 2_000


# --- not pictures ------------------------------------------------------------------------------------


def test_files_that_are_not_pictures_give_none_or_words(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just words, no picture\n")
    assert images.probe(text) is None
    assert images.thumbnail(text) is None
    with pytest.raises(ImageRefused, match="not a picture") as refused:
        images.profile_picture(text)
    assert "just words" not in str(refused.value)
    with pytest.raises(ImageRefused, match="not a picture"):
        images.decode(b"just words, no picture")
    with pytest.raises(ImageRefused, match="not a picture"):
        images.decode(b"")


def test_formats_outside_the_list_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "picture.tiff"
    Image.new("RGB", (20, 20), RED).save(path, "TIFF")
    assert images.probe(path) is None
    assert images.thumbnail(path) is None


def test_a_damaged_picture_is_refused_in_words(tmp_path: Path) -> None:
    out = io.BytesIO()
    _noise(300, 300).save(out, "PNG")
    cut = out.getvalue()[: len(out.getvalue()) // 2]
    with pytest.raises(ImageRefused, match="damaged"):
        images.decode(cut)
    path = tmp_path / "cut.png"
    path.write_bytes(cut)
    assert images.thumbnail(path) is None
    with pytest.raises(ImageRefused, match="damaged"):
        images.profile_picture(path)


def test_a_missing_file_gives_none_or_words(tmp_path: Path) -> None:
    missing = tmp_path / "gone.jpg"
    assert images.probe(missing) is None
    assert images.thumbnail(missing) is None
    with pytest.raises(ImageRefused, match="could not be read") as refused:
        images.profile_picture(missing)
    assert str(tmp_path) not in str(refused.value)


# --- kinds of pictures ---------------------------------------------------------------------------------


def test_a_png_with_alpha_is_laid_on_white_in_a_thumbnail_and_keeps_it_when_decoded(tmp_path: Path) -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    img.paste((*RED, 255), (0, 0, 50, 100))
    path = tmp_path / "alpha.png"
    img.save(path, "PNG")
    assert images.probe(path) == ImageInfo("image/png", 100, 100)
    thumb = images.thumbnail(path)
    assert thumb is not None
    shown = _assert_clean_jpeg(thumb.data)
    assert _near(_colour_at(shown, (25, 50)), RED)
    assert _near(_colour_at(shown, (75, 50)), (255, 255, 255))  # transparent became white, not black
    decoded = images.decode(path.read_bytes())
    assert decoded.mode == "RGBA"
    alpha = decoded.getpixel((75, 50))
    assert isinstance(alpha, tuple) and alpha[3] == 0


def test_an_animated_gif_is_its_first_frame(tmp_path: Path) -> None:
    first = Image.new("RGB", (60, 40), RED)
    second = Image.new("RGB", (60, 40), BLUE)
    path = tmp_path / "moving.gif"
    first.save(path, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert Image.open(path).n_frames == 2
    assert images.probe(path) == ImageInfo("image/gif", 60, 40)
    thumb = images.thumbnail(path)
    assert thumb is not None and (thumb.width, thumb.height) == (60, 40)
    assert _near(_colour_at(Image.open(io.BytesIO(thumb.data)), (30, 20)), RED)
    assert _near(_colour_at(images.decode(path.read_bytes()), (30, 20)), RED)


@pytest.mark.parametrize("size", [(20_000, 3), (3, 20_000), (10_000, 1)])
def test_huge_aspect_ratios_keep_at_least_a_pixel(size: tuple[int, int], tmp_path: Path) -> None:
    path = tmp_path / "strip.png"
    Image.new("RGB", size, BLUE).save(path, "PNG")
    thumb = images.thumbnail(path)
    assert thumb is not None
    assert max(thumb.width, thumb.height) == 320 and min(thumb.width, thumb.height) >= 1
    assert Image.open(io.BytesIO(thumb.data)).size == (thumb.width, thumb.height)
    square = Image.open(io.BytesIO(images.profile_picture(path)))
    assert square.width == square.height == min(size)


@pytest.mark.parametrize(("fmt", "mime"), [("WEBP", "image/webp"), ("BMP", "image/bmp")])
def test_webp_and_bmp_are_read(fmt: str, mime: str, tmp_path: Path) -> None:
    path = tmp_path / f"picture.{fmt.lower()}"
    _halves(64, 32).save(path, fmt)
    assert images.probe(path) == ImageInfo(mime, 64, 32)
    assert images.thumbnail(path) is not None


def test_a_small_picture_is_not_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    _halves(40, 30).save(path, "PNG")
    thumb = images.thumbnail(path)
    assert thumb is not None and (thumb.width, thumb.height) == (40, 30)
    assert Image.open(io.BytesIO(images.profile_picture(path))).size == (30, 30)


def _seeds() -> list[bytes]:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 1.5)}
    seeds = []
    for fmt in ("JPEG", "PNG", "GIF", "WEBP", "BMP"):
        out = io.BytesIO()
        extra = {"exif": exif.tobytes()} if fmt in ("JPEG", "PNG", "WEBP") else {}
        _halves(40, 30).save(out, fmt, **extra)
        seeds.append(out.getvalue())
    return seeds


SEEDS = _seeds()


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the damaged EXIF it skips
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    changes=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 255), st.integers(1, 16)), min_size=1, max_size=6
    ),
)
def test_a_damaged_picture_of_any_kind_is_an_image_or_refused_never_another_error(
    seed: bytes, changes: list[tuple[float, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = bytearray(seed)
    for where, value, length in changes:
        at = int(where * (len(data) - 1))
        if value % 3 == 0:
            data[at] = value
        elif value % 3 == 1:
            del data[at : at + length]
        else:
            data[at:at] = bytes([value]) * length
    try:
        assert images.decode(bytes(data)).mode in ("RGB", "RGBA")
    except ImageRefused as refused:
        assert str(refused) in (
            "This is not a picture that can be shown (JPEG, PNG, GIF, WebP or BMP).",
            "The picture is damaged and cannot be shown.",
            "The picture has too many pixels to be shown safely.",
        )
    path = tmp_path_factory.mktemp("fuzz") / "picture"
    path.write_bytes(bytes(data))
    thumb = images.thumbnail(path)
    assert thumb is None or len(thumb.data) <= 24 * 1024
    with contextlib.suppress(ImageRefused):
        assert len(images.profile_picture(path)) <= 48 * 1024


# A phone's JPEG whose EXIF GPS entry was damaged in one byte (found by fuzzing): Pillow's own
# exif_transpose raises TypeError on it while rewriting the EXIF; the picture still opens, as stored.
DAMAGED_EXIF_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4QBkRXhpZgAATU0AKgAAAAgAAgESAAMAAAABAAYAAIglAAQAAAABAAAAJgAAAAAAAgABAAIAAAAC"
    "TgAAAAADAAUAAAADAAAARAAAAAAAAAA0AAAAAQAAABYAAAABAAAAAwAAAAL/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRof"
    "Hh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy"
    "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAeACgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL"
    "/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6"
    "Q0RFRkdISUpTVFVWV1jBWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT"
    "1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQA"
    "AQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpj"
    "ZGVmZ2hpanN0dXZ3ePLAeXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo"
    "6ery8/T1gD4vBYsy3Pb3+Pn6/9oADAMBAAIRAxEAPwCOiiivkD83CiiigAooooAKKKKACiiigAooooA//9k="
)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_picture_with_damaged_exif_still_opens_upright(tmp_path: Path) -> None:
    decoded = images.decode(DAMAGED_EXIF_JPEG)
    assert decoded.size == (30, 40)  # orientation 6 survived the damage: turned a quarter
    path = tmp_path / "damaged-exif.jpg"
    path.write_bytes(DAMAGED_EXIF_JPEG)
    thumb = images.thumbnail(path)
    assert thumb is not None and (thumb.width, thumb.height) == (30, 40)
    _assert_clean_jpeg(thumb.data)
