"""The HTML report of `despin papers -o report.html`: one self-contained page an editor reads.

No external assets (styles and the small table-sorting script are inline), so the file
can be mailed or archived as it is. Per paper: the verdict, then every finding in its
sentence with the proposed terms and, for phrases no list holds, the evidence: the
word-level substitutions (``counterfeit ← artificial``) and why each is believed.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

from .screen import CONTEXT_CHARS, Finding, PaperResult

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 1.2em 3em;color:#1d1d1f}
h1{font-size:1.5em;margin:1em 0 .2em}h2{font-size:1.15em;margin:2em 0 .4em;border-top:1px solid #ddd;padding-top:1em}
.muted{color:#666;font-size:.9em}table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border-bottom:1px solid #e4e4e4;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f6;cursor:pointer;user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}td.num{text-align:right;font-variant-numeric:tabular-nums}
.v{display:inline-block;padding:0 .5em;border-radius:.8em;font-weight:600;font-size:.85em}
.v-suspect{background:#fde2e1;color:#9b1c1c}.v-review{background:#fff3c4;color:#7a5200}
.v-clean{background:#dff5e3;color:#17602a}.v-error{background:#eee;color:#555}
mark{background:#ffd7a8;padding:0 .15em;border-radius:.2em}mark.listed{background:#ffb3ad}
.k-listed{color:#9b1c1c;font-weight:600}.k-unlisted{color:#7a5200;font-weight:600}
.term{font-weight:600}.alt{color:#555}ul.ev{margin:.2em 0;padding-left:1.1em}ul.ev li{margin:.1em 0}
.sub{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}.kind{font-size:.8em;color:#555}
footer{margin-top:3em;border-top:1px solid #ddd;padding-top:1em;font-size:.9em;color:#444}
"""

# Click a header to sort by it; click again to reverse. Numbers sort as numbers.
_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=a.cells[i].getAttribute('data-sort')||a.cells[i].textContent,
            y=b.cells[i].getAttribute('data-sort')||b.cells[i].textContent,
            nx=parseFloat(x),ny=parseFloat(y),c;
        c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
        return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r)});});});});
"""

_KIND_WORDS = {
    "listed": "a listed substitution",
    "listed-variant": "listed for a variant",
    "thesaurus": "dictionary",
    "thesaurus-2": "two dictionary steps",
    "none": "no known relation",
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _context_parts(f: Finding) -> tuple[str, str, str]:
    """The finding's context split into (left, phrase, right)."""
    shown = " ".join(f.text.split())
    marker = f"[{shown}]"
    i = f.context.find(marker)
    if i < 0:
        return "", shown, ""
    return f.context[:i], shown, f.context[i + len(marker):]


def _finding_row(f: Finding) -> str:
    left, shown, right = _context_parts(f)
    cut_left = f.start > CONTEXT_CHARS
    cut_right = len(right) >= CONTEXT_CHARS - 10  # whitespace runs were collapsed, so roughly
    if cut_left and " " in left:
        left = left.split(" ", 1)[1]  # no word cut in half
    if cut_right and " " in right.strip():
        right = right.rsplit(" ", 1)[0]
    ell_l = "… " if cut_left else ""
    ell_r = " …" if cut_right else ""
    context = f'{ell_l}{_e(left)}<mark class="{_e(f.kind)}">{_e(shown)}</mark>{_e(right)}{ell_r}'
    if f.expected:
        terms = f'<span class="term">{_e(f.expected[0])}</span>'
        if len(f.expected) > 1:
            terms += '<div class="alt">or: ' + ", ".join(_e(t) for t in f.expected[1:]) + "</div>"
    else:
        terms = '<span class="alt">(no correct term given)</span>'
    if f.kind == "listed":
        why = f'<ul class="ev"><li>in the list: {_e(f.source)}</li></ul>'
        kind = '<span class="k-listed">listed</span>'
        conf = "1.00"
    else:
        items = [
            f'<li><span class="sub">{_e(s.observed)} &larr; {_e(s.original)}</span> '
            f'<span class="kind">({_e(_KIND_WORDS.get(s.kind, s.kind))})</span> '
            f'{_e(s.detail).replace(" -&gt; ", " &rarr; ")}</li>'
            for s in f.substitutions
        ]
        items += [f"<li>{_e(e)}</li>" for e in f.evidence]
        why = '<ul class="ev">' + "".join(items) + "</ul>"
        kind = '<span class="k-unlisted">unlisted</span>'
        conf = f"{f.score:.2f}"
    return (
        f'<tr><td class="num" data-sort="{f.start}">{f.start}</td>'
        f'<td data-sort="{0 if f.kind == "listed" else 1}">{kind}</td>'
        f"<td>{context}</td><td>{terms}</td><td>{why}</td>"
        f'<td class="num" data-sort="{conf}">{conf}</td></tr>'
    )


def _paper_section(i: int, r: PaperResult) -> str:
    head = (f'<h2 id="paper-{i}">{_e(r.path)} <span class="v v-{_e(r.verdict)}">{_e(r.verdict)}</span> '
            f'<span class="muted">score {r.score:.2f}</span></h2>')
    if r.error:
        return head + f"<p>Could not be read: {_e(r.error)}</p>"
    if not r.findings:
        return head + f'<p class="muted">No tortured phrase found ({r.chars:,} characters of text).</p>'
    summary = (f'<p class="muted">{r.distinct_listed} distinct listed and {r.distinct_unlisted} distinct '
               f'unlisted phrases; {r.chars:,} characters of text. Click a column header to sort.</p>')
    rows = "".join(_finding_row(f) for f in r.findings)
    return (
        head + summary + '<table class="sortable findings"><thead><tr><th>position</th><th>kind</th>'
        "<th>in context</th><th>proposed term</th><th>evidence</th><th>confidence</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_report(
    results: Sequence[PaperResult],
    *,
    lists: Sequence[str] = (),
    threshold: float = 2.0,
    margin: float | None = None,
    attribution: str | None = None,
) -> str:
    """The whole report as one HTML document (no external assets)."""
    counts = {v: sum(r.verdict == v for r in results) for v in ("suspect", "review", "clean", "error")}
    overview_rows = "".join(
        f'<tr><td><a href="#paper-{i}">{_e(r.path)}</a></td>'
        f'<td data-sort="{("suspect", "review", "clean", "error").index(r.verdict)}">'
        f'<span class="v v-{_e(r.verdict)}">{_e(r.verdict)}</span></td>'
        f'<td class="num">{r.score:.2f}</td><td class="num">{r.distinct_listed}</td>'
        f'<td class="num">{r.distinct_unlisted}</td><td>{_e(r.error or "")}</td></tr>'
        for i, r in enumerate(results)
    )
    settings = [f"lists: {_e(', '.join(lists) or 'none')}", f"suspect at evidence {threshold:g}"]
    if margin is not None:
        settings.append(f"unlisted phrases flagged at log-odds {margin:g}")
    else:
        settings.append("unlisted phrases not searched (--no-beyond)")
    credit = f"<p>{_e(attribution)}</p>" if attribution else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tortured-phrase screening — despin</title>
<style>{_CSS}</style></head>
<body>
<h1>Tortured-phrase screening</h1>
<p class="muted">{len(results)} papers: {", ".join(f"{n} {v}" for v, n in counts.items() if n) or "none"}.
{"; ".join(settings)}.</p>
<table class="sortable overview"><thead><tr><th>paper</th><th>verdict</th><th>score</th>
<th>listed</th><th>unlisted</th><th>error</th></tr></thead><tbody>{overview_rows}</tbody></table>
{"".join(_paper_section(i, r) for i, r in enumerate(results))}
<footer>
<p><b>How to read this report.</b> <span class="k-listed">Listed</span> phrases are in a
tortured-phrase list: a known disguise of the proposed term. <span class="k-unlisted">Unlisted</span>
phrases are in no list: despin proposes the term they may stand for, with the word-level
substitutions (<span class="sub">observed &larr; original</span>) and the evidence for each —
a substitution the lists show, a dictionary relation, and how much likelier the term reads than
the phrase as written. They are leads for a human check, not proof. A paper is
<span class="v v-suspect">suspect</span> at two distinct listed phrases (or one and a clear excess of
unlisted ones), <span class="v v-review">review</span> with less.</p>
{credit}
<p>Made by despin (tortured-phrase screening, <code>despin papers</code>).</p>
</footer>
<script>{_JS}</script>
</body></html>
"""
