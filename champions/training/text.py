"""A training resource's body: plain text that staff write, shown as simple HTML, never HTML of their own.

What the text may use, one block per blank-line-separated paragraph:

- a line starting "## " is a subheading;
- lines starting "- " or "* " are a bulleted list;
- anything else is a paragraph (its lines joined);
- ``[words](/a/page/here)`` links to a page of this site; ``[words](https://…)`` to another website, said so in
  the link and opened from it, never needed to complete the training.

Everything else, angle brackets included, is shown as the characters typed.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(((?:https?://|/)[^\s()<>\"']{1,500})\)")
_BULLET = re.compile(r"^[-*]\s+")
_EXTERNAL = '<a href="{}" rel="external noopener noreferrer">{} (another website)</a>'


def render_body(text: str | None) -> Markup:
    blocks = [block.strip() for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n"))]
    return Markup("\n").join(_block(block) for block in blocks if block)


def _block(block: str) -> Markup:
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    if len(lines) == 1 and lines[0].startswith("## "):
        return Markup('<h2 class="nhsuk-heading-m">{}</h2>').format(_inline(lines[0][3:].strip()))
    if all(_BULLET.match(line) for line in lines):
        items = Markup("").join(Markup("<li>{}</li>").format(_inline(_BULLET.sub("", line))) for line in lines)
        return Markup('<ul class="nhsuk-list nhsuk-list--bullet">{}</ul>').format(items)
    return Markup("<p>{}</p>").format(_inline(" ".join(lines)))


def _inline(text: str) -> Markup:
    """Escaped text with its links, and nothing else, made into HTML."""
    out, last = Markup(""), 0
    for match in _LINK.finditer(text):
        words, href = match.group(1), match.group(2)
        out += escape(text[last : match.start()])
        if href.startswith("/") and not href.startswith("//"):
            out += Markup('<a href="{}">{}</a>').format(href, words)
        elif href.startswith("http"):
            out += Markup(_EXTERNAL).format(href, words)
        else:
            out += escape(match.group(0))
        last = match.end()
    return out + escape(text[last:])
