"""The citizens' pages as HTML: a ticket's live page, the hall's queues, the friendly
errors. Each page is one response with its style and script inline, allowed by their
hashes in the Content-Security-Policy: one round trip on a slow network, nothing from
anywhere else. Plain functions of the replica's values; every text from ``locale/``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime
from html import escape

from wire.i18n import catalog, tr, wait_words
from wire.types import LANGS, Lang, RatingReason

from .replica import HallRow, TicketPage

__all__ = [
    "CSP",
    "error_page",
    "hall_page",
    "pick_lang",
    "rating_reasons_page",
    "text",
    "ticket_fragment",
    "ticket_page",
    "ticket_title",
]

NO_JS_REFRESH_S = 15
"""Without JavaScript a ticket's page reloads itself this often (the hall page twice as
seldom)."""

STYLE = """
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f5f7;color:#111;font-size:20px;line-height:1.35}
.bar{display:flex;justify-content:space-between;align-items:center;padding:8px 12px;
background:#0b4f8a;color:#fff}
.bar b{font-size:17px;min-width:0}
.langs{display:flex;flex-shrink:0;margin-left:8px}
.langs a{color:#fff;text-decoration:none;padding:10px 6px;font-size:17px;font-weight:600;
min-width:44px;text-align:center}
.langs a[aria-current]{background:#fff;color:#0b4f8a;border-radius:8px}
main{padding:16px 14px;max-width:560px;margin:0 auto}
.num{font-size:64px;font-weight:800;letter-spacing:2px;text-align:center;margin:4px 0}
.svc{text-align:center;color:#333;margin:0 0 14px}
.card{background:#fff;border-radius:16px;padding:18px 16px;box-shadow:0 1px 3px rgba(0,0,0,.12);
text-align:center}
.big{font-size:34px;font-weight:800;margin:6px 0}
.st{font-size:22px;font-weight:700;margin:0 0 6px}
.hint{color:#444;margin:6px 0 0}
.note{background:#fff7d6;border-radius:12px;padding:12px;margin-top:14px;text-align:left}
.s-called .card{background:#0a7d32;color:#fff;animation:f 1s ease-in-out 3}
.s-called .hint{color:#e8ffe8}
.s-called .big{font-size:44px}
.s-serving .card{background:#e3f1ff}
.s-no_show .card,.s-closed .card,.s-cancelled .card{background:#fde8e8}
@keyframes f{50%{opacity:.55}}
footer{max-width:560px;margin:0 auto;padding:4px 14px 24px;color:#555;font-size:16px;text-align:center}
footer a{color:#0b4f8a;display:inline-block;padding:10px}
button{font:inherit;font-size:17px;padding:10px 16px;border-radius:10px;border:1px solid #0b4f8a;
background:#fff;color:#0b4f8a;min-height:44px}
button[aria-pressed=true]{background:#0b4f8a;color:#fff}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden;font-size:17px}
th,td{padding:9px 8px;text-align:left;border-bottom:1px solid #e4e7ea;vertical-align:top}
th{background:#e9eef3;font-size:15px}
td.n{text-align:right;white-space:nowrap}
h1{font-size:24px;margin:6px 0 4px}
h2{font-size:19px;margin:18px 0 6px}
.off{color:#8a1f1f}
.rate{margin-top:14px}
.faces{display:flex;justify-content:space-between;margin:8px -6px 0}
.f{flex:1;display:flex;flex-direction:column;align-items:center;padding:6px 0;border:0;
background:none;color:#111;font-size:13px;line-height:1.2}
.f i{display:block;position:relative;width:50px;height:50px;border-radius:50%;margin-bottom:5px}
.f i:before{content:"";position:absolute;top:15px;left:15px;width:6px;height:6px;border-radius:50%;
background:#fff;box-shadow:14px 0 #fff}
.f i:after{content:"";position:absolute;left:13px;width:18px;height:12px;border:3px solid #fff;
border-radius:50%}
.f1 i{background:#c62828}.f2 i{background:#ef6c00}.f3 i{background:#f2b705}.f4 i{background:#7cb342}
.f5 i{background:#2e7d32}
.f1 i:after,.f2 i:after{top:30px;border-color:#fff transparent transparent}
.f3 i:after{top:32px;height:0;border-width:3px 0 0;border-radius:0}
.f4 i:after,.f5 i:after{top:22px;border-color:transparent transparent #fff}
label.r{display:flex;align-items:center;background:#fff;border-radius:12px;padding:12px;margin:8px 0;
text-align:left;min-height:48px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
label.r input{width:26px;height:26px;margin:0 12px 0 0;flex-shrink:0}
button.send{width:100%;background:#0b4f8a;color:#fff;font-size:20px;margin-top:8px;min-height:52px;
position:sticky;bottom:12px;box-shadow:0 0 0 12px #f3f5f7}
""".strip()

SCRIPT = """
(function(){
var b=document.body,m=document.getElementById('page'),c=document.getElementById('conn'),
s=document.getElementById('snd'),ctx=null,tries=0,state=b.getAttribute('data-state'),ws=null;
if(!m||!window.WebSocket)return;
if(s&&'waiting called parked'.indexOf(state)>=0){s.hidden=false;s.onclick=function(){
 try{ctx=ctx||new (window.AudioContext||window.webkitAudioContext)();ctx.resume();}catch(e){}
 s.setAttribute('aria-pressed','true');beep();};}
function beep(){if(!ctx||ctx.state!=='running')return;
 [0,0.35].forEach(function(t){var o=ctx.createOscillator(),g=ctx.createGain();
 o.frequency.value=880;g.gain.value=0.25;o.connect(g);g.connect(ctx.destination);
 o.start(ctx.currentTime+t);o.stop(ctx.currentTime+t+0.25);});}
function alarm(){if(navigator.vibrate)navigator.vibrate([400,150,400,150,400]);beep();}
function connect(){
 var u=(location.protocol==='https:'?'wss://':'ws://')+location.host+
  location.pathname.replace(/\\/$/,'')+'/live'+location.search;
 ws=new WebSocket(u);
 ws.onopen=function(){tries=0;b.setAttribute('data-live','1');};
 ws.onmessage=function(e){var d;try{d=JSON.parse(e.data);}catch(x){return;}
  if(d.html!==undefined){m.innerHTML=d.html;}
  if(d.title)document.title=d.title;
  if(d.state&&d.state!==state){b.className='s-'+d.state;
   if(d.state==='called')alarm();state=d.state;b.setAttribute('data-state',state);}
  c.textContent=d.status||c.getAttribute('data-live');};
 ws.onclose=function(e){ws=null;b.removeAttribute('data-live');if(e.code===4404){location.reload();return;}
  c.textContent=c.getAttribute('data-offline');
  tries++;setTimeout(connect,Math.min(10000,500*Math.pow(2,Math.min(tries,5))));};
}
document.addEventListener('visibilitychange',function(){
 if(!document.hidden&&!ws){tries=0;connect();}});
connect();
})();
""".strip()


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


CSP = (
    "default-src 'none'; "
    f"script-src {_hash(SCRIPT)}; style-src {_hash(STYLE)}; "
    "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Every response's Content-Security-Policy: only this page's own style and script (by
their hashes), only this site's websocket, nothing framed, a form sent only here (the rating)."""


def text(key: str, lang: str, **values: object) -> str:
    """A text of the pages' catalog (``server/web/locale``)."""
    return catalog("server.web").tr(key, lang, **values)


_tr = text


def _t(key: str, lang: str, **values: object) -> str:
    """A text of the catalog, escaped for HTML (the values too)."""
    return escape(_tr(key, lang, **values))


def pick_lang(query_lang: str | None, accept: str | None, fallback: str) -> Lang:
    """The page's language: ``?lang=``, else ``fallback`` if it is one (a ticket's page:
    the ticket's), else the browser's first of az, ru and en, else az."""
    if query_lang in LANGS:
        return query_lang
    if fallback in LANGS:
        return fallback
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "az"


def _name(names: dict[str, str] | object, lang: str) -> str:
    if isinstance(names, dict):
        return str(names.get(lang) or names.get("az") or next(iter(names.values()), ""))
    return str(names)


def ticket_title(page: TicketPage, lang: str) -> str:
    return _tr("title", lang, number=page.number)


SCORES = (1, 2, 3, 4, 5)
"""The five faces of a rating, from very unhappy to very satisfied (the terminal's)."""


def _w(key: str, lang: str) -> str:
    """A word of a rating, shared with the rating terminal (``wire`` catalog, escaped)."""
    return escape(tr(f"rating.{key}", lang))


def _face(score: int, lang: str, *, button: bool) -> str:
    tag = "button" if button else "span"
    attrs = f' name="score" value="{score}"' if button else ""
    return f'<{tag} class="f f{score}"{attrs}><i></i>{_w(f"score.{score}", lang)}</{tag}>'


def _rating(page: TicketPage, lang: str, action: str) -> str:
    """After a served visit: the five faces (a form: one tap sends the score to ``action``,
    with or without JavaScript), or the thanks once the visit is rated."""
    if page.rating == "rated":
        return (
            f'<div class="rate"><p class="st">{_w("thanks.title", lang)}</p>'
            f'<p class="hint">{_w("thanks.body", lang)}</p></div>'
        )
    if page.rating != "ask":
        return ""
    faces = "".join(_face(score, lang, button=True) for score in SCORES)
    return (
        f'<form class="rate" method="get" action="{escape(action)}">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<p class="st">{_w("faces.title", lang)}</p><div class="faces">{faces}</div></form>'
    )


def ticket_fragment(page: TicketPage, lang: str, rate_action: str = "") -> str:
    """The changing part of a ticket's page (what a live update replaces); ``rate_action``
    is where its rating form goes (``TOKEN/rate``, relative to the page)."""
    head = (
        f'<p class="num">{escape(page.number)}</p>'
        f'<p class="svc">{escape(_name(page.service, lang))}<br>'
        f"<small>{escape(_name(page.agency, lang))}</small></p>"
    )
    counter = page.counter if page.counter is not None else "?"
    place = f'<p class="hint">{escape(_name(page.place, lang))}</p>' if page.place else ""
    state = page.state
    if state == "waiting":
        assert page.wait is not None
        ahead = _t("ahead", lang, n=page.ahead) if page.ahead else _t("ahead_none", lang)
        body = (
            f'<p class="st">{_t("waiting", lang)}</p><p class="big">{ahead}</p>'
            f'<p class="hint">{escape(wait_words(page.wait, lang))}</p>'
        )
        if page.transfer is not None:
            move = page.transfer
            lines = [
                _t("transferred", lang, from_counter=move.from_counter, service=_name(move.service, lang))
            ]
            if move.to_counter is not None:
                lines.append(_t("transferred_to", lang, counter=move.to_counter))
            if move.return_to is not None:
                lines.append(_t("transferred_back", lang, counter=move.return_to))
            body += f'<p class="note">{"<br>".join(lines)}</p>'
    elif state == "called":
        body = (
            f'<p class="st">{_t("called_lead", lang)}</p>'
            f'<p class="big">{_t("called", lang, counter=counter)}</p>{place}'
        )
    elif state in ("serving", "parked"):
        hint = f'<p class="hint">{_t("parked_hint", lang)}</p>' if state == "parked" else ""
        body = f'<p class="big">{_t(state, lang, counter=counter)}</p>{place}{hint}'
    else:
        hints = {"done": "done_hint", "no_show": "no_show_hint", "closed": "closed_hint"}
        hint = f'<p class="hint">{_t(hints[state], lang)}</p>' if state in hints else ""
        body = f'<p class="big">{_t(state, lang)}</p>{hint}'
    body += _rating(page, lang, rate_action)
    if page.day_over and state not in ("closed", "day_closed"):
        body += f'<p class="note">{_t("day_closed", lang)}</p>'
    return f'{head}<div class="card">{body}</div>'


def _langs(lang: str, path: str) -> str:
    links = []
    for code in LANGS:
        current = ' aria-current="true"' if code == lang else ""
        links.append(f'<a href="{path}?lang={code}" hreflang="{code}"{current}>{code.upper()}</a>')
    return f'<nav class="langs">{"".join(links)}</nav>'


def _document(
    lang: str, title: str, bar: str, main: str, footer: str, *, refresh_s: int | None, state: str = ""
) -> str:
    # With the live script, a refresh only for a browser without JavaScript.
    script = f"<script>{SCRIPT}</script>" if state else ""
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    if refresh and script:
        refresh = f"<noscript>{refresh}</noscript>"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title>{refresh}<style>{STYLE}</style></head>"
        f'<body class="s-{state}" data-state="{state}">{bar}'
        f'<main id="page" aria-live="polite">{main}</main><footer>{footer}</footer>{script}</body></html>'
    )


def ticket_page(
    page: TicketPage, lang: str, center_name: str, hall_href: str, at: datetime, rate_action: str = ""
) -> str:
    """A ticket's whole page: the live script, and without it a refresh every few seconds."""
    bar = f"<div class=bar><b>{escape(center_name)}</b>{_langs(lang, '')}</div>"
    live, offline = _tr("live", lang), _tr("offline", lang)
    footer = (
        f'<p id="conn" data-live="{escape(live)}" data-offline="{escape(offline)}">'
        f"{_t('refreshes', lang)} · {_t('updated', lang, time=at.strftime('%H:%M:%S'))}</p>"
        f'<button id="snd" type="button" aria-pressed="false" hidden>{_t("sound", lang)}</button>'
        f'<br><a href="{escape(hall_href)}?lang={lang}">{_t("hall_link", lang)}</a>'
    )
    return _document(
        lang,
        ticket_title(page, lang),
        bar,
        ticket_fragment(page, lang, rate_action),
        footer,
        refresh_s=NO_JS_REFRESH_S,
        state=page.state,
    )


def rating_reasons_page(page: TicketPage, lang: str, center_name: str, score: int) -> str:
    """The second step of a rating below the best (as on the terminal): what could have been
    better, any or none, and Send. A form to ``rate`` beside it; no script, no refresh."""
    reasons = "".join(
        f'<label class="r"><input type="checkbox" name="reason" value="{r.value}">'
        f"{_w(f'reason.{r.value}', lang)}</label>"
        for r in RatingReason
    )
    main = (
        f'<p class="num">{escape(page.number)}</p><div class="card">{_face(score, lang, button=False)}</div>'
        f'<form class="rate" method="get" action="rate"><input type="hidden" name="lang" value="{lang}">'
        f'<input type="hidden" name="score" value="{score}"><input type="hidden" name="send" value="1">'
        f'<p class="st">{_w("reasons.title", lang)}</p><p class="hint">{_w("reasons.hint", lang)}</p>'
        f'{reasons}<button class="send" type="submit">{_w("reasons.send", lang)}</button></form>'
    )
    bar = f"<div class=bar><b>{escape(center_name)}</b></div>"
    return _document(lang, ticket_title(page, lang), bar, main, "", refresh_s=None)


def error_page(kind: str, lang: str, hall_href: str | None) -> str:
    """A friendly page for ``not_found``, ``too_many`` or ``starting``, in the three
    languages (the one asked for first): never a stack trace."""
    others = [code for code in LANGS if code != lang]
    main = "".join(
        f'<div class="card" lang="{code}"><p class="big">{_t(kind, code)}</p>'
        f'<p class="hint">{_t(kind + "_hint", code)}</p></div><br>'
        for code in (lang, *others)
    )
    footer = f'<a href="{escape(hall_href)}?lang={lang}">{_t("hall_link", lang)}</a>' if hall_href else ""
    bar = f"<div class=bar><b>novbe</b>{_langs(lang, '')}</div>"
    return _document(lang, _tr(kind, lang), bar, main, footer, refresh_s=None)


def _hours(lang: str, days: Sequence[str], opens: str, closes: str) -> str:
    names = ", ".join(_tr(f"days.{d.lower()}", lang) for d in days)
    return _t("hours", lang, days=names, open=opens, close=closes)


def hall_page(
    rows: Sequence[HallRow],
    agencies: dict[str, dict[str, str]],
    lang: str,
    center_name: str,
    *,
    is_open: bool,
    days: Sequence[str],
    opens: str,
    closes: str,
    at: datetime,
) -> str:
    """The hall's queues in public: per agency and service, open or not, how many wait, the
    wait a ticket taken now would be promised; the opening hours."""
    parts = [
        f"<h1>{_t('hall_title', lang, center=center_name)}</h1>",
        f'<p class="{"" if is_open else "off"}">{_t("open_now" if is_open else "closed_now", lang)}'
        f" · {_hours(lang, days, opens, closes)}</p>",
    ]
    agency = None
    for row in rows:
        if row.agency != agency:
            if agency is not None:
                parts.append("</table>")
            agency = row.agency
            parts.append(
                f"<h2>{escape(_name(agencies.get(agency, {'az': agency}), lang))}</h2><table>"
                f"<tr><th>{_t('col_service', lang)}</th><th>{_t('col_waiting', lang)}</th>"
                f"<th>{_t('col_wait', lang)}</th></tr>"
            )
        f = row.figures
        if f.wait is not None:
            wait = escape(wait_words(f.wait, lang, short=True))
        else:
            wait = f'<span class="off">{_t("svc_full" if f.reason == "full" else "svc_closed", lang)}</span>'
        parts.append(
            f"<tr><td>{escape(_name(row.name, lang))}</td><td class=n>{f.waiting}</td><td>{wait}</td></tr>"
        )
    if agency is not None:
        parts.append("</table>")
    bar = f"<div class=bar><b>{escape(center_name)}</b>{_langs(lang, '')}</div>"
    footer = (
        f"<p>{_t('updated', lang, time=at.strftime('%H:%M'))}</p>"
        f'<a href="api/queues" hreflang="en">{_t("json_link", lang)}</a>'
    )
    return _document(
        lang, _tr("hall_title", lang, center=center_name), bar, "".join(parts), footer, refresh_s=30
    )
