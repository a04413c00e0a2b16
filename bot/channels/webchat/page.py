"""The chat page: HTML, one small style sheet and one small script, all inline under the response's CSP nonce.
Texts come from the catalogs; replies are put on the page as text (never as HTML)."""
from __future__ import annotations

import html
import json

from bot.i18n import I18n

_STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
background:#f3f6f9;color:#1b2733}header{background:#0b5cab;color:#fff;padding:10px 14px;display:flex;
justify-content:space-between;align-items:center}header h1{font-size:18px;margin:0}header a{color:#fff}
main{max-width:720px;margin:0 auto;padding:10px 10px 90px}#log{display:flex;flex-direction:column;gap:8px}
.msg{padding:9px 12px;border-radius:12px;max-width:92%;white-space:pre-wrap;overflow-wrap:anywhere}
.bot{background:#fff;border:1px solid #d5dde5;align-self:flex-start}.me{background:#0b5cab;color:#fff;
align-self:flex-end}.buttons{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start;max-width:100%}
.buttons button{font:inherit;font-size:15px;border:1px solid #0b5cab;background:#fff;color:#0b5cab;
border-radius:18px;padding:6px 12px;cursor:pointer;text-align:left}.buttons button:disabled{opacity:.5}
form{position:fixed;left:0;right:0;bottom:0;background:#fff;border-top:1px solid #d5dde5;padding:8px;
display:flex;gap:6px;justify-content:center}form input{flex:1;max-width:620px;font:inherit;padding:10px;
border:1px solid #9fb0c0;border-radius:8px}form button{font:inherit;padding:10px 16px;border:0;
border-radius:8px;background:#0b5cab;color:#fff}.note{color:#5b6b7b;font-size:14px}
"""

_SCRIPT = """
const T = JSON.parse(document.getElementById('texts').textContent);
const log = document.getElementById('log'), form = document.getElementById('ask'), box = document.getElementById('q');
function bubble(text, who) { const d = document.createElement('div'); d.className = 'msg ' + who;
  d.textContent = text; log.appendChild(d); d.scrollIntoView({block: 'end'}); return d; }
function buttons(rows) { const flat = rows.flat(); if (!flat.length) return;
  const d = document.createElement('div'); d.className = 'buttons';
  for (const b of flat) { const e = document.createElement('button'); e.type = 'button'; e.textContent = b.label;
    e.addEventListener('click', () => { bubble(b.label, 'me'); send({payload: b.payload}); }); d.appendChild(e); }
  log.appendChild(d); }
async function send(body) {
  const wait = bubble(T.wait, 'bot note');
  try {
    const r = await fetch('/chat/api?lang=' + T.lang, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    const data = await r.json(); wait.remove();
    if (data.error) { bubble(data.error, 'bot'); return; }
    for (const reply of data.replies) { bubble(reply.text, 'bot'); buttons(reply.buttons); }
  } catch (e) { wait.remove(); bubble(T.offline, 'bot'); }
}
form.addEventListener('submit', (e) => { e.preventDefault(); const text = box.value.trim(); if (!text) return;
  bubble(text, 'me'); box.value = ''; send({text}); });
send({text: '/start'});
"""


def chat_page(i18n: I18n, lang: str, nonce: str, app: str) -> str:
    """The whole page for one visit, in lang."""
    t = lambda key: html.escape(i18n.t(lang, key, app=app))  # noqa: E731
    other = "en" if lang == "vi" else "vi"
    texts = json.dumps({"lang": lang, "wait": i18n.t(lang, "webchat.wait"), "offline": i18n.t(lang, "webchat.offline")},
                       ensure_ascii=False).replace("<", "\\u003c")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>{t("webchat.title")}</title>'
            f'<style nonce="{nonce}">{_STYLE}</style></head><body>'
            f'<header><h1>{t("webchat.title")}</h1><a href="?lang={other}">{t("webchat.other_language")}</a></header>'
            f'<main><p class="note">{t("webchat.intro")}</p><div id="log" aria-live="polite"></div></main>'
            f'<form id="ask" autocomplete="off"><input id="q" name="q" maxlength="2000" '
            f'placeholder="{t("webchat.placeholder")}" aria-label="{t("webchat.placeholder")}" autofocus>'
            f'<button type="submit">{t("webchat.send")}</button></form>'
            f'<script type="application/json" id="texts">{texts}</script>'
            f'<script nonce="{nonce}">{_SCRIPT}</script></body></html>')
