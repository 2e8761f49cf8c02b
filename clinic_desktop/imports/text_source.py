"""An export file as text: its encoding (UTF-8, or UTF-16/32 with a byte-order mark) and its lines, bounded.

Some Windows tools save "Unicode text" as UTF-16. With a byte-order mark the file is read with
Python's own codecs; without one it cannot be told apart from a binary file for sure, so a file
whose bytes show the UTF-16 pattern (every other byte NUL in ASCII text) and that decodes as
UTF-16 is refused with a sentence saying how to export it again.

Memory: a line is never read past `MAX_LINE_CHARS` (no CGM export line comes near 64 KiB); a
longer line is refused with its number and size, measured in chunks without holding it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import TextIO

from .cgm_records import ImportFormatError

#: Far above any real export line (Dexcom Clarity and LibreView lines are under 300 characters).
MAX_LINE_CHARS = 64 * 1024
_CHUNK = 1 << 16

# Longest BOMs first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

REEXPORT_HINT = ("Open it in the program that made it (or in a spreadsheet) and save it again as "
                 "'CSV UTF-8' (comma-separated, UTF-8).")


def encoding_of(head: bytes) -> str | None:
    """The codec named by the file's byte-order mark, or None when there is none."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """'UTF-16 LE' or 'UTF-16 BE' if `head` (no BOM) looks like and decodes as UTF-16 text, else None."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even_nul = head[0:pairs * 2:2].count(0)
    odd_nul = head[1:pairs * 2:2].count(0)
    for name, codec, text_nul, other_nul in (("UTF-16 LE", "utf-16-le", odd_nul, even_nul),
                                             ("UTF-16 BE", "utf-16-be", even_nul, odd_nul)):
        # Latin text in UTF-16 has a NUL in (nearly) every high byte and none in the low ones.
        if text_nul >= 0.6 * pairs and other_nul <= 0.05 * pairs:
            try:
                text = codecs.decode(head[:pairs * 2], codec)
            except UnicodeDecodeError:
                continue
            if all(c.isprintable() or c in "\r\n\t" for c in text):
                return name
    return None


def detect_encoding(head: bytes) -> str:
    """The codec to read a file starting with `head`; ImportFormatError for UTF-16 without a BOM or binary data."""
    codec = encoding_of(head)
    if codec is not None:
        return codec
    variant = utf16_without_bom(head)
    if variant is not None:
        raise ImportFormatError(f"This file is {variant} text without a byte-order mark, which cannot be read "
                                f"reliably. {REEXPORT_HINT}")
    if b"\x00" in head:
        raise ImportFormatError("This is a binary file, not a CSV export.")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise ImportFormatError(f"The file is not UTF-8 text (byte {exc.start + 1}). {REEXPORT_HINT}") from None
    return "utf-8-sig"


def bounded_lines(handle: TextIO, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of `handle` (opened with newline=''), refusing one longer than `limit` characters.

    A line is read at most `limit + 2` characters at a time, so an endless line costs no more
    memory than a normal one; its full size is then counted in chunks for the message.
    """
    number = 0
    while True:
        line = handle.readline(limit + 2)
        if not line:
            return
        number += 1
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            size = len(line) + _rest_of_line(handle)
            raise ImportFormatError(f"Line {number} is {size:,} characters long; the longest line accepted is "
                                    f"{limit:,}. This is not a CGM export, or it is damaged.")
        yield line


def first_bad_utf8_line(path: str) -> int | None:
    """The number of the first line holding bytes that are not UTF-8 (lines end at \\n), or None.

    Only run once a read has failed: the text stream decodes in blocks, so its error cannot say which line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 1
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.readline(_CHUNK), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return number
            number += chunk.endswith(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return number
    return None


def _rest_of_line(handle: TextIO) -> int:
    """Characters up to and including the end of the current line, read in chunks."""
    rest = 0
    while True:
        chunk = handle.readline(_CHUNK)
        rest += len(chunk)
        if not chunk or chunk.endswith(("\n", "\r")):
            return rest
