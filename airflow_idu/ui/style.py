"""The page's CSS (light and dark) and its few lines of JavaScript (theme, copy buttons). No network."""

from __future__ import annotations

__all__ = ["PAGE_CSS", "PAGE_JS"]

_LIGHT = "--bg:#ffffff;--fg:#1a202c;--muted:#5a6472;--grid:#e2e8f0;--accent:#2b6cb0;--bar:#4c8bd6;--ok:#2f855a;--bad:#c53030;--panel:#f7fafc"
_DARK = "--bg:#111418;--fg:#e2e8f0;--muted:#a0aec0;--grid:#2d3748;--accent:#63b3ed;--bar:#4299e1;--ok:#68d391;--bad:#fc8181;--panel:#1a202c"

PAGE_CSS = f"""
:root{{{_LIGHT};color-scheme:light}}
@media (prefers-color-scheme: dark){{:root:not([data-theme=light]){{{_DARK};color-scheme:dark}}}}
:root[data-theme=dark]{{{_DARK};color-scheme:dark}}
body{{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,sans-serif;margin:16px;max-width:980px}}
h1{{font-size:20px;margin:0 0 8px}} h2{{font-size:17px;border-bottom:1px solid var(--grid);padding-bottom:4px;margin-top:28px}}
h3{{font-size:14px;color:var(--muted);margin:14px 0 4px}}
.facts{{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0}} .facts dt{{color:var(--muted);font-size:12px}} .facts dd{{margin:0;font-weight:600}}
.failure{{border:1px solid var(--bad);color:var(--bad);background:var(--panel);padding:8px 12px;margin:12px 0;border-radius:6px}}
.not-measured{{color:var(--muted);font-style:italic}}
table{{border-collapse:collapse;margin:8px 0;font-size:13px}} th,td{{border-bottom:1px solid var(--grid);padding:3px 10px;text-align:left;vertical-align:top}}
td ul{{margin:0;padding-left:16px}} a{{color:var(--accent)}}
svg.chart{{max-width:{640}px;display:block;margin:6px 0}} svg text{{fill:var(--fg);font-size:11px}} svg text.axis{{fill:var(--muted)}}
svg .grid{{stroke:var(--grid)}} svg .line{{fill:none;stroke:var(--accent);stroke-width:2}} svg .pt{{fill:var(--accent)}}
svg .bar{{fill:var(--bar)}} svg .bar.low{{fill:var(--bad)}} svg .min-line{{stroke:var(--bad);stroke-width:2;stroke-dasharray:4 3}}
svg .phase{{font-weight:600}} svg .phase-bar{{fill:var(--grid)}} svg .ti{{fill:var(--ok)}}
svg .ti.state-failed,svg .ti.state-upstream_failed{{fill:var(--bad)}} svg .ti.state-running{{fill:var(--accent)}}
.state-failed,.state-upstream_failed,.verdict-failed{{color:var(--bad);font-weight:600}} .state-success,.verdict-passed{{color:var(--ok)}}
.query{{position:relative}} pre{{background:var(--panel);border:1px solid var(--grid);padding:8px;overflow:auto;white-space:pre-wrap}}
button.copy{{position:absolute;right:6px;top:6px;font-size:12px}}
"""

# Theme: the Airflow UI (next-themes) marks its <html> with class "dark"/"light" and keeps the choice in
# localStorage "theme"; the report runs in a same-origin iframe, so it follows that, else the OS setting.
PAGE_JS = """
(function(){var t=null;try{var q=new URLSearchParams(location.search).get('theme');if(q==='dark'||q==='light'){t=q}
else{var c=window.parent.document.documentElement.classList;t=c.contains('dark')?'dark':(c.contains('light')?'light':null);
if(!t){var s=localStorage.getItem('theme');if(s==='dark'||s==='light'){t=s}}}}catch(err){}
if(t){document.documentElement.setAttribute('data-theme',t)}})();
document.addEventListener('click',function(ev){var b=ev.target.closest&&ev.target.closest('button.copy');if(!b){return}
var text=document.getElementById(b.getAttribute('data-target')).textContent;
var done=function(){b.textContent='Copied'};
var legacy=function(){var a=document.createElement('textarea');a.value=text;document.body.appendChild(a);a.select();
try{document.execCommand('copy')}catch(err){}a.remove();done()};
if(navigator.clipboard){navigator.clipboard.writeText(text).then(done,legacy)}else{legacy()}});
"""
