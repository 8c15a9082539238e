"""Text that can be encoded: lone surrogates repaired where text enters flowgen.

A Python ``str`` may hold lone surrogates (U+D800 to U+DFFF) that no UTF-8 encoder accepts: a file name
read with ``os.fsdecode`` carries undecodable bytes as U+DC80 to U+DCFF, and an emoji cut between its
two UTF-16 halves leaves one half. Let into a conversation, such text breaks every later request,
the terminal, JSON dumps and saved state. So tool results, model replies and user input pass through
:func:`valid_text` where they enter: halves that belong together are joined, a byte smuggled in by
``surrogateescape`` is shown as ``\\xNN``, and any other lone half becomes U+FFFD.
"""

from __future__ import annotations

_ESCAPED_BYTES = range(0xDC80, 0xDD00)


def valid_text(text: str) -> str:
    """``text`` unchanged when it encodes as UTF-8 (nearly always), else repaired so that it does.

    Example:
        >>> valid_text("plain")
        'plain'
        >>> valid_text("smile \\ud83d\\ude00, half \\ud83d, byte \\udcff")
        'smile 😀, half �, byte \\\\xff'
    """
    if text.isascii():  # the common case, checked without encoding anything
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _repair(text)
    return text


def _repair(text: str) -> str:
    # A UTF-16 round trip joins the halves that form a pair; what is left alone is a lone half.
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    out: list[str] = []
    for char in joined:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code - 0xDC00:02x}" if code in _ESCAPED_BYTES else "\ufffd")
        else:
            out.append(char)
    return "".join(out)
