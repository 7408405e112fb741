"""Text helpers for search: jieba segmentation, a light English stemmer, sanitizing, snippets."""

from __future__ import annotations

import html
import logging
import re
from functools import cache

import jieba
import nh3

# Tags an article body may keep; everything else (script, style, on* attributes) is dropped by nh3.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
    "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td", "span", "img", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan"}, "th": {"colspan"}}

_WORD = re.compile(r"\w+", re.UNICODE)
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")

_STOPWORDS_TEXT = """
的 了 吗 呢 吧 啊 呀 是 在 我 你 他 她 我们 你们 有 和 与 及 或
就 都 也 还 要 会 能 可以 怎么 怎样 如何 什么 为什么 哪 哪里 请问 请 一下 一个 这个
那个 这 那
把 被 对 给 从 到了 没有 没 不 吗 么 嘛 哦 想 需要
a an the is are was were be been am i me my you your we our it its to of in on at for from by with
and or not no do does did can could should would will how what why when where which who whom this
that these those there here please hi hello if so as into about any some get got have has had
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


DOMAIN_WORDS = "到账 运费险 七天无理由 发票抬头 电子发票 增值税专用发票 花呗 保价 开箱验货 以旧换新 会员等级 积分 优惠券 退货地址 验证码 实名认证"  # noqa: E501


@cache
def _jieba_ready() -> bool:
    jieba.setLogLevel(logging.WARNING)
    # Domain words jieba's general dictionary splits badly; a bad split costs recall in both directions.
    for word in DOMAIN_WORDS.split():
        jieba.add_word(word)
    jieba.initialize()
    return True


def stem(word: str) -> str:
    """A deliberately light English stemmer: plural and common verb endings only."""
    if not _ASCII_WORD.match(word) or len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("shes", "ches", "xes", "sses", "zes")):
                continue
            base = word[: -len(suffix)] + keep
            # "shipping" -> "ship", not "shipp"
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return word


def segment(text: str, *, limit: int | None = None) -> list[str]:
    """Words of a text for indexing or querying: jieba for Chinese, stemmed lower-case English."""
    _jieba_ready()
    words: list[str] = []
    for token in jieba.cut_for_search(text.lower()):
        for part in _WORD.findall(token):
            if part in STOPWORDS or len(part) > 48:
                continue
            words.append(stem(part))
            if limit is not None and len(words) >= limit:
                return words
    return words


def sanitize_html(raw: str) -> str:
    """Article HTML with only harmless tags and attributes left."""
    return nh3.clean(
        raw or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(raw: str) -> str:
    """Plain text of an HTML fragment, one line per block."""
    marked = _BLOCK_END.sub("\n", raw or "")
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def snippet(text: str, terms: list[str], *, width: int = 120) -> str:
    """An HTML-escaped window of the text around the first matched term, matches in <mark>."""
    lowered = text.lower()
    needles = sorted({t for t in terms if len(t) >= 2 or not t.isascii()}, key=len, reverse=True)
    positions = [p for p in (lowered.find(t) for t in needles) if p >= 0]
    start = max(0, min(positions) - width // 4) if positions else 0
    window = text[start : start + width]
    if not needles:
        return html.escape(window)
    pattern = re.compile("|".join(re.escape(t) for t in needles), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(window):
        out.append(html.escape(window[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(window[last:]))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + "".join(out) + suffix
