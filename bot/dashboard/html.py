"""HTML for the dashboard: the page frame, one small inline style sheet, tables sorted by link; all escaped.

Nothing here is fetched from elsewhere (no CDN, font or script): the pages work on a closed network and at 360 px.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Sequence
from urllib.parse import urlencode

from aiohttp import web
from babel.dates import format_skeleton

from bot.i18n import BABEL_LOCALES, I18n

CSS = """*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a202c;background:#f7fafc}
header{background:#1a365d;color:#fff;padding:.4rem .75rem;display:flex;flex-wrap:wrap;gap:.25rem .9rem;align-items:center}
header nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem}header a{color:#fff;text-decoration:none}header a[aria-current]{text-decoration:underline;font-weight:600}
header form{margin:0}header .end{margin-left:auto;display:flex;gap:.4rem}
button{font:inherit;font-size:.85rem;padding:.2rem .6rem;border:1px solid #a0aec0;border-radius:4px;background:#fff;color:#1a202c;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:.75rem}
h1{font-size:1.3rem;margin:.2rem 0 .6rem}h2{font-size:1.08rem;margin:1.2rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.5rem}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:.45rem .7rem}
.card b{display:block;font-size:1.25rem}.card small{color:#4a5568}
.scroll{overflow-x:auto;background:#fff;border:1px solid #e2e8f0;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid #edf2f7;text-align:left;white-space:nowrap}
th{background:#edf2f7}.n{text-align:right}th a{color:inherit}
.ok{color:#276749;font-weight:600}.low{color:#9b2c2c}
.chart{width:100%;height:auto;max-width:680px;display:block;background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:4px}
.crumbs,.note{font-size:.9rem;color:#4a5568}
.buttons a{display:inline-block;padding:.4rem .8rem;background:#2b6cb0;color:#fff;border-radius:4px;text-decoration:none;margin:.25rem .3rem 0 0}
.pages a{margin-right:.6rem}.big{font-size:1.1rem;padding:.5rem 1.2rem}
@media (max-width:480px){body{font-size:14px}main{padding:.5rem}th,td{padding:.3rem .35rem}}"""


def e(value: object) -> str:
    """Escaped text for HTML content and attribute values."""
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class View:
    """What a page needs to speak to its reader: language, texts, number formats, the CSRF token, where it is."""

    i18n: I18n
    lang: str
    csrf: str = ""
    path: str = "/admin/"
    signed_in: bool = True

    def t(self, key: str, **values: object) -> str:
        """A catalog text in the reader's language."""
        return self.i18n.t(self.lang, key, **values)

    def n(self, value: float | None) -> str:
        """A number (one decimal at most) in the reader's locale; a dash for none."""
        if value is None:
            return "–"
        return self.i18n.number(self.lang, round(value, 1) if isinstance(value, float) else value)

    def p(self, value: float | None) -> str:
        """A share as a percentage; a dash for none."""
        return "–" if value is None else self.i18n.percent(self.lang, value)

    def day(self, value: str | date) -> str:
        """A day, short (20/8 in Vietnamese, Aug 20 in English)."""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_skeleton("MMMd" if self.lang == "en" else "Md", day, locale=BABEL_LOCALES[self.lang])


def _nav(view: View, current: str) -> str:
    links = [("/admin/", "dash.nav_overview"), ("/admin/agencies", "dash.nav_agencies"),
             ("/admin/questions", "dash.nav_questions")]
    items = "".join(f'<a href="{href}"{" aria-current=page" if href == current else ""}>{e(view.t(key))}</a>'
                    for href, key in links)
    other = "en" if view.lang == "vi" else "vi"
    forms = (f'<form method="post" action="/admin/lang"><input type="hidden" name="csrf" value="{e(view.csrf)}">'
             f'<input type="hidden" name="next" value="{e(view.path)}">'
             f'<button name="lang" value="{other}" lang="{other}">{e(view.t("dash.switch_lang"))}</button></form>'
             f'<form method="post" action="/admin/signout"><input type="hidden" name="csrf" value="{e(view.csrf)}">'
             f'<button>{e(view.t("dash.sign_out"))}</button></form>')
    return f'<header><nav aria-label="{e(view.t("dash.nav_label"))}">{items}</nav><div class="end">{forms}</div></header>'


def page(view: View, title: str, body: str, current: str = "") -> str:
    """A whole HTML document: the header with navigation (when signed in), the title, the body."""
    header = _nav(view, current) if view.signed_in else f'<header><b>{e(view.t("dash.app_title"))}</b></header>'
    return (f'<!doctype html><html lang="{e(view.lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer">'
            f'<title>{e(title)} · {e(view.t("dash.app_title"))}</title><style>{CSS}</style></head>'
            f'<body>{header}<main><h1>{e(title)}</h1>{body}</main></body></html>')


def html_response(text: str, status: int = 200) -> web.Response:
    """A page as a response."""
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def message_page(view: View, title: str, text: str, extra: str = "") -> str:
    """A page that only says something (signed out, link expired, not allowed)."""
    return page(view, title, f"<p>{e(text)}</p>{extra}")


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Key figures as cards: (label, value, note)."""
    return '<div class="cards">' + "".join(
        f'<div class="card"><small>{e(label)}</small><b>{e(value)}</b>'
        f'{f"<small>{e(note)}</small>" if note else ""}</div>' for label, value, note in items) + "</div>"


@dataclass(frozen=True)
class Column:
    """A table column: its sort key ('' = not sortable), header and alignment."""

    key: str
    label: str
    numeric: bool = True


def sort_href(path: str, key: str, descending: bool, **extra: object) -> str:
    """The link that sorts a table by key."""
    query = {"sort": key, "dir": "desc" if descending else "asc", **{k: v for k, v in extra.items() if v}}
    return f"{path}?{urlencode(query)}"


def table(view: View, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, caption: str,
          sort: str = "", descending: bool = False, path: str = "", extra: dict | None = None,
          foot: Sequence[str] = ()) -> str:
    """A table whose headers are sort links (sorting happens on the server); cells arrive as HTML, escaped."""
    head = []
    for column in columns:
        cls = ' class="n"' if column.numeric else ""
        if not column.key or not path:
            head.append(f"<th scope=col{cls}>{e(column.label)}</th>")
            continue
        active = column.key == sort
        flip = not descending if active else column.numeric     # numbers start high, names start at A
        aria = f' aria-sort="{"descending" if descending else "ascending"}"' if active else ""
        arrow = (" ▼" if descending else " ▲") if active else ""
        head.append(f'<th scope=col{cls}{aria}><a href="{e(sort_href(path, column.key, flip, **(extra or {})))}">'
                    f"{e(column.label)}{arrow}</a></th>")
    body = "".join("<tr>" + "".join(f'<td{" class=n" if c.numeric else ""}>{cell}</td>'
                                    for c, cell in zip(columns, row)) + "</tr>" for row in rows)
    total = ("<tfoot><tr>" + "".join(f'<th{" class=n" if c.numeric else ""}>{cell}</th>'
                                    for c, cell in zip(columns, foot)) + "</tr></tfoot>") if foot else ""
    hint = f'<p class="note">{e(caption)}</p>' if caption else ""
    return (f'{hint}<div class="scroll"><table><thead><tr>{"".join(head)}'
            f"</tr></thead><tbody>{body}</tbody>{total}</table></div>")


def rate_cell(view: View, rate: float | None, baseline: float, target: float) -> str:
    """A rate, marked when it reached the target or is still under the starting point."""
    text = e(view.p(rate))
    if rate is not None and rate >= target:
        return f'<span class="ok" title="{e(view.t("dash.reached_target"))}">{text}</span>'
    if rate is not None and rate < baseline:
        return f'<span class="low" title="{e(view.t("dash.under_baseline"))}">{text}</span>'
    return text
