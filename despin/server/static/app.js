// despin web page: paste or open a text, check it, review each flagged span, copy the result.
// Plain browser JavaScript, no build step, nothing loaded from elsewhere.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_BYTES = 1000000; // the server's default body limit; it answers 413 above its own

  const state = {
    text: "",        // the text as submitted
    report: null,    // the server's Report JSON
    spans: [],       // [{start, end, orig, score, suggestions, reason, status, choice}] in UTF-16 offsets
    open: -1,        // index of the span whose panel is open
    compare: false,
    filename: null,
  };

  // ---------------------------------------------------------------- offsets
  // The API counts Python str indices (code points); JavaScript strings count UTF-16 units.
  function codePointToUnit(text) {
    const offs = [];
    let unit = 0;
    for (const ch of text) {
      offs.push(unit);
      unit += ch.length;
    }
    offs.push(unit);
    return offs;
  }

  function spansFromReport(text, report) {
    const offs = codePointToUnit(text);
    const out = [];
    let last = 0;
    for (const s of report.spans || []) {
      if (!(s.start >= 0 && s.end > s.start && s.end < offs.length)) continue;
      const start = offs[s.start], end = offs[s.end];
      if (start < last) continue; // overlapping spans cannot both be shown; keep the first
      out.push({
        start, end,
        orig: text.slice(start, end),
        score: s.score,
        suggestions: s.suggestions || [],
        reason: s.reason || "",
        status: "pending",
        choice: 0,
      });
      last = end;
    }
    return out;
  }

  // ---------------------------------------------------------------- result text
  function replacement(span) {
    return span.status === "accepted" && span.suggestions[span.choice]
      ? span.suggestions[span.choice].text : span.orig;
  }

  function resultText() {
    let out = "", pos = 0;
    for (const s of state.spans) {
      out += state.text.slice(pos, s.start) + replacement(s);
      pos = s.end;
    }
    return out + state.text.slice(pos);
  }

  // ---------------------------------------------------------------- rendering
  const pct = (x) => (x > 0 && x < 0.005 ? "<1%" : Math.round(x * 100) + "%");
  const confidence = (x) => (x >= 0.9 ? "high" : x >= 0.7 ? "medium" : "low");
  const confClass = (x) => (x >= 0.9 ? "conf-high" : x >= 0.7 ? "conf-mid" : "conf-low");

  function spanLabel(s) {
    const best = s.suggestions[0] ? `, most likely "${s.suggestions[0].text}"` : "";
    const status = s.status === "accepted" ? `accepted: "${replacement(s)}"`
      : s.status === "rejected" ? "rejected, kept as is" : "not decided";
    return `"${s.orig}": possibly substituted, ${confidence(s.score)} confidence ${pct(s.score)}${best}; ` +
      `${status}. Press Enter for suggestions.`;
  }

  function renderDoc(container, showReplacements) {
    const frag = document.createDocumentFragment();
    let pos = 0;
    state.spans.forEach((s, i) => {
      frag.appendChild(document.createTextNode(state.text.slice(pos, s.start)));
      const b = document.createElement("button");
      b.type = "button";
      b.className = `span ${confClass(s.score)} ${s.status}`;
      b.dataset.index = String(i);
      b.dataset.status = s.status;
      b.textContent = showReplacements ? replacement(s) : s.orig;
      b.title = s.status === "accepted" ? `was "${s.orig}"` : `${pct(s.score)} likely substituted`;
      b.setAttribute("aria-label", spanLabel(s));
      b.setAttribute("aria-haspopup", "dialog");
      b.setAttribute("aria-expanded", String(state.open === i));
      b.addEventListener("click", () => openPanel(i, b));
      frag.appendChild(b);
      pos = s.end;
    });
    frag.appendChild(document.createTextNode(state.text.slice(pos)));
    container.replaceChildren(frag);
  }

  function renderRestored(container) {
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const s of state.spans) {
      frag.appendChild(document.createTextNode(state.text.slice(pos, s.start)));
      if (s.status === "accepted") {
        const m = document.createElement("mark");
        m.className = "changed";
        m.textContent = replacement(s);
        m.title = `was "${s.orig}"`;
        frag.appendChild(m);
      } else {
        frag.appendChild(document.createTextNode(s.orig));
      }
      pos = s.end;
    }
    frag.appendChild(document.createTextNode(state.text.slice(pos)));
    container.replaceChildren(frag);
  }

  function render() {
    const r = state.report;
    if (!r) return;
    const verdict = $("verdict");
    verdict.textContent = r.verdict === "spun" ? "Likely spun" : "Looks clean";
    verdict.className = "verdict " + (r.verdict === "spun" ? "spun" : "clean");
    $("score-meter").value = r.score;
    $("score-text").textContent = pct(r.score);
    const n = state.spans.length;
    const accepted = state.spans.filter((s) => s.status === "accepted").length;
    $("span-count").textContent = n === 0 ? "No words flagged."
      : `${n} suspected substitution${n === 1 ? "" : "s"}; ${accepted} accepted.`;
    for (const id of ["accept-all", "reject-all"]) $(id).disabled = n === 0;
    const src = r.source && typeof r.source.id === "string" ? r.source : null;
    $("source").hidden = !src;
    $("source").textContent = src ? `Source found in the index: ${src.id}` +
      (typeof src.similarity === "number" ? ` (similarity ${pct(src.similarity)})` : "") : "";

    $("toggle-compare").setAttribute("aria-pressed", String(state.compare));
    $("views").classList.toggle("comparing", state.compare);
    $("restored-view").hidden = !state.compare;
    $("doc-heading").textContent = state.compare ? "As submitted" : "Text with suspected substitutions";
    renderDoc($("doc"), !state.compare);
    if (state.compare) renderRestored($("restored"));
  }

  // ---------------------------------------------------------------- the suggestion panel
  function spanButton(i) {
    return $("doc").querySelector(`button.span[data-index="${i}"]`);
  }

  function openPanel(i, anchor) {
    const s = state.spans[i];
    state.open = i;
    const panel = $("panel");
    $("panel-title").textContent = `"${s.orig}" — ${pct(s.score)} likely substituted`;
    $("panel-reason").textContent = s.reason || "No reason given.";
    const list = $("suggestions");
    list.replaceChildren();
    s.suggestions.forEach((sug, k) => {
      const li = document.createElement("li");
      const id = `sug-${i}-${k}`;
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "suggestion";
      input.id = id;
      input.value = String(k);
      input.checked = k === s.choice;
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); decide("accepted"); }
      });
      input.addEventListener("dblclick", () => decide("accepted"));
      const label = document.createElement("label");
      label.htmlFor = id;
      const word = document.createElement("span");
      word.className = "sug-text";
      word.textContent = sug.text;
      const score = document.createElement("span");
      score.className = "sug-score";
      score.textContent = pct(sug.score);
      label.append(word, " ", score);
      li.append(input, label);
      list.appendChild(li);
    });
    if (!s.suggestions.length) {
      const li = document.createElement("li");
      li.textContent = "No suggestion: the original could not be guessed.";
      list.appendChild(li);
    }
    $("accept").disabled = !s.suggestions.length;
    panel.hidden = false;
    render(); // aria-expanded on the span
    positionPanel(spanButton(i) || anchor);
    const first = list.querySelector("input:checked") || $("reject");
    first.focus();
  }

  function positionPanel(anchor) {
    const panel = $("panel");
    if (!anchor) return;
    const section = $("result").getBoundingClientRect();
    const a = anchor.getBoundingClientRect();
    const width = panel.offsetWidth;
    const left = Math.max(8, Math.min(a.left - section.left, section.width - width - 8));
    panel.style.left = left + "px";
    panel.style.top = (a.bottom - section.top + 6) + "px";
  }

  function closePanel(focusSpan) {
    const i = state.open;
    state.open = -1;
    $("panel").hidden = true;
    render();
    if (focusSpan && i >= 0) {
      const b = spanButton(i);
      if (b) b.focus();
    }
  }

  function decide(status) {
    const i = state.open;
    if (i < 0) return;
    const s = state.spans[i];
    const picked = $("suggestions").querySelector("input:checked");
    s.status = status;
    if (status === "accepted") s.choice = picked ? Number(picked.value) : 0;
    state.open = -1;
    $("panel").hidden = true;
    render();
    announce(status === "accepted" ? `Replaced "${s.orig}" with "${replacement(s)}".` : `Kept "${s.orig}".`);
    // Keyboard flow: go on to the next undecided span, else stay on this one.
    let next = state.spans.findIndex((t, k) => k > i && t.status === "pending");
    if (next < 0) next = i;
    const b = spanButton(next);
    if (b) b.focus();
  }

  // ---------------------------------------------------------------- server calls
  function announce(msg) {
    $("status").textContent = msg;
  }

  function showError(msg) {
    const e = $("error");
    e.textContent = msg;
    e.hidden = !msg;
  }

  async function runCheck() {
    const text = $("input-text").value;
    showError("");
    if (!text.trim()) {
      showError("Paste a text or open a .txt file first.");
      $("input-text").focus();
      return;
    }
    if (new Blob([text]).size > MAX_BYTES) {
      showError("The text is over 1 MB. Split it and check the parts one by one.");
      return;
    }
    const button = $("check-button");
    button.disabled = true;
    $("result").setAttribute("aria-busy", "true");
    announce("Checking…");
    try {
      const resp = await fetch("/v1/check", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, options: { threshold: Number($("threshold").value) } }),
      });
      let body = null;
      try { body = await resp.json(); } catch (_) { body = null; }
      if (!resp.ok) {
        const detail = body && typeof body.detail === "string" ? body.detail : resp.statusText;
        const why = resp.status === 413 ? "The text is too long for this server. Split it and check the parts."
          : resp.status === 503 ? `The server is busy or the text is too long: ${detail}`
          : `The server refused the text (${resp.status}): ${detail}`;
        showError(why);
        announce("");
        return;
      }
      state.text = text;
      state.report = body;
      state.spans = spansFromReport(text, body);
      state.open = -1;
      $("panel").hidden = true;
      $("result").hidden = false;
      render();
      announce(`Checked: ${$("verdict").textContent.toLowerCase()}, ${$("span-count").textContent}`);
    } catch (err) {
      showError(`Could not reach the despin server: ${err.message || err}`);
      announce("");
    } finally {
      button.disabled = false;
      $("result").removeAttribute("aria-busy");
    }
  }

  // ---------------------------------------------------------------- copy and download
  async function copyResult() {
    const text = resultText();
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // Pages served over plain http on a LAN address have no clipboard API.
      const ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "offscreen";
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    announce("Result copied to the clipboard.");
  }

  function downloadResult() {
    const blob = new Blob([resultText()], { type: "text/plain;charset=utf-8" });
    const a = document.createElement("a");
    const base = state.filename ? state.filename.replace(/\.txt$/i, "") : "despin";
    a.href = URL.createObjectURL(blob);
    a.download = `${base}.restored.txt`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    announce(`Downloaded ${a.download}.`);
  }

  // ---------------------------------------------------------------- wiring
  function openFile(file) {
    showError("");
    if (!file) return;
    if (file.size > MAX_BYTES) {
      showError(`${file.name} is over 1 MB. Split it and check the parts one by one.`);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      $("input-text").value = String(reader.result).replace(/^\uFEFF/, "");
      state.filename = file.name;
      announce(`Opened ${file.name}.`);
      runCheck();
    };
    reader.onerror = () => showError(`Could not read ${file.name}.`);
    reader.readAsText(file, "utf-8");
  }

  function setAll(status) {
    for (const s of state.spans) {
      if (status === "accepted" && !s.suggestions.length) continue;
      if (status === "accepted" && s.status === "accepted") continue; // keep a chosen alternative
      s.status = status;
      if (status === "accepted") s.choice = 0;
    }
    closePanel(false);
    announce(status === "accepted" ? "Accepted every suggestion." : "Rejected every suggestion.");
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("check-form").addEventListener("submit", (e) => { e.preventDefault(); runCheck(); });
    $("input-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runCheck(); }
    });
    $("file-input").addEventListener("change", (e) => openFile(e.target.files[0]));
    $("threshold").addEventListener("input", (e) => { $("threshold-value").textContent = pct(Number(e.target.value)); });
    $("accept-all").addEventListener("click", () => setAll("accepted"));
    $("reject-all").addEventListener("click", () => setAll("rejected"));
    $("toggle-compare").addEventListener("click", () => { state.compare = !state.compare; closePanel(false); });
    $("copy").addEventListener("click", copyResult);
    $("download").addEventListener("click", downloadResult);
    $("accept").addEventListener("click", () => decide("accepted"));
    $("reject").addEventListener("click", () => decide("rejected"));
    $("close-panel").addEventListener("click", () => closePanel(true));
    $("panel").addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); closePanel(true); }
    });
    document.addEventListener("click", (e) => {
      if (state.open >= 0 && !$("panel").contains(e.target) && !e.target.closest("button.span")) closePanel(false);
    });
    window.addEventListener("resize", () => { if (state.open >= 0) positionPanel(spanButton(state.open)); });
  });

  // For tests and the console: the text the user would copy.
  window.despinResult = resultText;
})();
