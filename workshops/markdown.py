"""Markdown written by facilitators, rendered to HTML that is safe to show anyone."""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# CommonMark with tables; raw HTML in the source is not rendered (shown as text).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def markdown_render(text: str) -> SafeString:
    """Markdown to clean HTML: only the tags above, links limited to http(s) and mailto, and
    `rel="noopener noreferrer nofollow"` on every link. A heading 1 becomes a heading 2: the
    page already has its title."""
    html = _markdown.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"scope"}, "td": set()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  (nh3 has just cleaned it)
