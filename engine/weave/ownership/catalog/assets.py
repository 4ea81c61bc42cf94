"""The catalog's inline CSS and search script (every page is self-contained: no external resources)."""

CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--accent:#1f5fbf;--bg:#f7f8fb}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#17223b;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header a{color:#cfe0ff;text-decoration:none;font-weight:500}header a.brand{color:#fff;font-size:18px;font-weight:700}
header form{margin-left:auto}header input{padding:6px 10px;border-radius:6px;border:0;width:260px}
main{max-width:1200px;margin:0 auto;padding:20px 24px 60px}h1{margin:.2em 0 .1em}h2{margin-top:1.6em;border-bottom:1px solid var(--line);padding-bottom:4px}
a{color:var(--accent)}.muted{color:var(--muted)}.pill{display:inline-block;padding:1px 8px;border-radius:10px;background:#e8eefb;font-size:13px;margin-right:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}th,td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
pre{background:#fff;border:1px solid var(--line);padding:10px;overflow:auto}.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:10px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}.topology{background:#fff;border:1px solid var(--line);overflow:auto}
.topology svg{max-width:100%;height:auto}#results li{margin:4px 0}#results .kind{font-size:12px;color:var(--muted);margin-left:6px}
.search-big{width:100%;padding:10px 12px;font-size:16px;border:1px solid var(--line);border-radius:8px}
"""

SEARCH_JS = """
(function(){
  var data = JSON.parse(document.getElementById('search-index').textContent);
  var box = document.getElementById('q'), list = document.getElementById('results'), count = document.getElementById('count');
  function run(q){
    var terms = q.toLowerCase().split(/\\s+/).filter(Boolean), hits = [];
    if (terms.length) data.forEach(function(e){
      var hay = (e.t + ' ' + e.k + ' ' + e.d + ' ' + e.x).toLowerCase(), score = 0;
      for (var i = 0; i < terms.length; i++) { if (hay.indexOf(terms[i]) < 0) return; score += e.t.toLowerCase().indexOf(terms[i]) >= 0 ? 10 : 1; }
      hits.push([score, e]);
    });
    hits.sort(function(a, b){ return b[0] - a[0] || (a[1].t < b[1].t ? -1 : 1); });
    list.innerHTML = '';
    hits.forEach(function(h){
      var li = document.createElement('li'), a = document.createElement('a'), s = document.createElement('span');
      a.href = h[1].u; a.textContent = h[1].t; s.className = 'kind'; s.textContent = h[1].k + (h[1].d ? ' \\u2014 ' + h[1].d : '');
      li.appendChild(a); li.appendChild(s); list.appendChild(li);
    });
    count.textContent = terms.length ? hits.length + ' result' + (hits.length === 1 ? '' : 's') : '';
    document.body.setAttribute('data-search', q);
  }
  var params = new URLSearchParams(location.search), hash = new URLSearchParams(location.hash.slice(1));
  var initial = params.get('q') || hash.get('q') || '';
  box.value = initial; run(initial);
  box.addEventListener('input', function(){ run(box.value); history.replaceState(null, '', '#q=' + encodeURIComponent(box.value)); });
})();
"""
