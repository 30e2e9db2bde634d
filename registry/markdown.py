"""Model cards: markdown rendered on the server, then sanitised so no script survives."""

import markdown as md
import nh3

# nh3's defaults already drop <script>, every on* attribute and javascript: URLs; we only add the
# tags markdown's extensions produce and keep links from leaking the page through window.opener.
ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"table", "thead", "tbody", "tr", "th", "td", "pre", "code", "hr", "img"}
ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "img": {"src", "alt", "title"},
    "a": {"href", "title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to put in a page."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
