"""Text of a paper from PDF (pypdf), HTML (standard library parser) or plain text.

Every failure is an `InputError` naming the file, so the screening run records it in the
paper's row and goes on: a corrupt, encrypted or image-only PDF never stops a run.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.html"
>>> _ = p.write_text("<html><head><style>p{}</style></head><body><p>Irregular <b>woodland</b></p></body></html>")
>>> extract_text(p)
'Irregular woodland'
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from ..errors import InputError
from ..io.text import MAX_TEXT_BYTES, read_text_file

PDF_SUFFIXES = (".pdf",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
SUFFIXES = PDF_SUFFIXES + HTML_SUFFIXES + TEXT_SUFFIXES


def extract_text(path: str | os.PathLike[str], encoding: str | None = None) -> str:
    """The text of one paper; `InputError` with a one-line reason when there is none."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PDF_SUFFIXES:
        text = pdf_text(p)
    elif suffix in HTML_SUFFIXES:
        text = html_text(read_text_file(p, encoding))
    else:
        text = read_text_file(p, encoding)
    if not text.strip():
        raise InputError(f"{path}: no text found" + (" (a scanned, image-only PDF?)" if suffix == ".pdf" else ""))
    return text


def pdf_text(path: str | os.PathLike[str]) -> str:
    """Text of every page of a PDF, pages separated by a blank line.

    Encrypted PDFs are opened with the empty password when that works (owner-password
    only, as many publishers do); otherwise the file is refused with a clear reason.
    """
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError:  # pragma: no cover - depends on extras
        raise InputError(f"{path}: reading PDF needs the 'papers' extra: pip install 'despin[papers]'") from None
    name = str(path)
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as e:
        raise InputError(f"{name}: cannot read ({e.strerror})") from None
    if size > MAX_TEXT_BYTES:
        raise InputError(f"{name}: {size} bytes is over the {MAX_TEXT_BYTES} byte limit")
    # pypdf logs every recoverable defect as a warning; a screening run over thousands of
    # PDFs would drown the summary, so only real failures (exceptions) are reported.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(name, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - unsupported algorithm, missing cryptography package...
                ok = 0
            if not ok:
                raise InputError(f"{name}: encrypted PDF (a password is needed); decrypt it first")
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
    except InputError:
        raise
    except FileNotDecryptedError:
        raise InputError(f"{name}: encrypted PDF (a password is needed); decrypt it first") from None
    except PdfReadError as e:
        raise InputError(f"{name}: not a readable PDF ({_one_line(e)})") from None
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds on damaged files; none may stop a run
        raise InputError(f"{name}: not a readable PDF ({type(e).__name__}: {_one_line(e)})") from None
    return "\n\n".join(pages)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


class _TextParser(HTMLParser):
    # Block elements end a line, so a phrase never runs across two paragraphs.
    BLOCKS = frozenset(
        ["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "section", "article", "header", "footer", "blockquote", "pre", "figcaption", "caption", "dd", "dt", "title"]
    )
    SKIP = frozenset(("script", "style", "noscript", "template", "svg", "math"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_BLANKS_RE = re.compile(r"[ \t]*\n\s*")


def html_text(html: str) -> str:
    """Visible text of an HTML page (scripts and styles dropped), one line per block.

    >>> html_text("<p>a <i>b</i></p><p>c&amp;d</p>")
    'a b\\nc&d'
    """
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return _BLANKS_RE.sub("\n", "".join(parser.parts)).strip()


def iter_papers(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files to screen: each file given, and every PDF/HTML/text file under each directory
    (sorted, so runs are reproducible). A missing input raises `InputError`.
    """
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES:
                    yield f
        elif p.exists():
            yield p
        else:
            raise InputError(f"{item}: no such file or directory")


__all__ = ["SUFFIXES", "extract_text", "html_text", "iter_papers", "pdf_text"]
