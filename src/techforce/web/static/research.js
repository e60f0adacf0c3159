/* The coding view (templates/research/source.html.j2), progressive enhancement: the page
   works without this script (forms code by position and remove codings); with it, a reader
   selects text and clicks a code or presses its key, and codings are drawn with the CSS
   Custom Highlight API (one Highlight per code colour; the text's DOM is never rewritten).

   Offsets: the store counts code points; the DOM counts UTF-16 code units. Each turn's text
   is one text node inside a .said element whose data-start is its first code point, so a
   boundary point converts by counting code points in that node before it. Boundaries are
   snapped to grapheme clusters (an emoji, a letter with combining marks stay whole). */
(function () {
  "use strict";
  var root = document.getElementById("transcript");
  if (!root) { return; }
  var canCode = root.dataset.canCode === "yes";
  var token = document.body.dataset.csrf || "";
  var statusLine = document.getElementById("coding-status");
  var list = document.getElementById("codings");
  var empty = document.getElementById("no-codings");
  var HEX = /^#[0-9a-fA-F]{6}$/;
  var segmenter = (typeof Intl !== "undefined" && Intl.Segmenter) ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  var turns = Array.prototype.map.call(root.querySelectorAll(".said"), function (el, i) {
    var node = el.firstChild && el.firstChild.nodeType === 3 ? el.firstChild : null;
    el.dataset.turn = String(i);
    return { el: el, node: node, text: node ? node.data : "", start: +el.dataset.start, end: +el.dataset.end, map: null };
  });
  var codings = [];
  var current = -1;

  function say(text) { if (statusLine) { statusLine.textContent = text; } }
  function isHigh(c) { return c >= 0xD800 && c <= 0xDBFF; }
  function isLow(c) { return c >= 0xDC00 && c <= 0xDFFF; }

  /* UTF-16 index of code point ``cp`` (relative to the turn) in the turn's text. */
  function utf16At(turn, cp) {
    var text = turn.text;
    if (!/[\uD800-\uDBFF]/.test(text)) { return Math.min(cp, text.length); }
    if (!turn.map) {
      var map = [0], i = 0;
      while (i < text.length) { i += (isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) ? 2 : 1; map.push(i); }
      turn.map = map;
    }
    return turn.map[Math.max(0, Math.min(cp, turn.map.length - 1))];
  }

  /* Code points in the turn's text before UTF-16 index ``u16``. */
  function codePointsBefore(turn, u16) {
    var text = turn.text, n = 0;
    for (var i = 0; i < u16 && i < text.length; i++) {
      if (isLow(text.charCodeAt(i)) && i > 0 && isHigh(text.charCodeAt(i - 1))) { continue; }
      n++;
    }
    return n;
  }

  /* A boundary moved out of a grapheme cluster (and never between surrogates). */
  function snap(turn, u16, isStart) {
    var text = turn.text;
    if (u16 <= 0 || u16 >= text.length) { return Math.max(0, Math.min(u16, text.length)); }
    if (segmenter) {
      var seg = segmenter.segment(text).containing(u16);
      if (seg && seg.index !== u16) { return isStart ? seg.index : seg.index + seg.segment.length; }
      return u16;
    }
    if (isLow(text.charCodeAt(u16)) && isHigh(text.charCodeAt(u16 - 1))) { return isStart ? u16 - 1 : u16 + 1; }
    return u16;
  }

  function turnOf(node) {
    var el = node.nodeType === 1 ? node : node.parentNode;
    var found = el && el.closest ? el.closest(".said") : null;
    return found && root.contains(found) ? turns[+found.dataset.turn] : null;
  }

  /* The code-point offset of a DOM boundary point; outside a turn's text (a speaker's name),
     the next turn's start (for a start) or the previous turn's end (for an end). */
  function offsetOf(container, offset, isStart) {
    var turn = turnOf(container);
    if (turn) {
      var u16 = container.nodeType === 3 ? offset : (offset === 0 ? 0 : turn.text.length);
      return turn.start + codePointsBefore(turn, snap(turn, u16, isStart));
    }
    var probe = document.createRange();
    probe.setStart(container, offset);
    var i;
    if (isStart) {
      for (i = 0; i < turns.length; i++) { if (probe.comparePoint(turns[i].el, 0) >= 0) { return turns[i].start; } }
      return null;
    }
    for (i = turns.length - 1; i >= 0; i--) {
      if (probe.comparePoint(turns[i].el, turns[i].el.childNodes.length) <= 0) { return turns[i].end; }
    }
    return null;
  }

  function selected() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) { return null; }
    var start = offsetOf(range.startContainer, range.startOffset, true);
    var end = offsetOf(range.endContainer, range.endOffset, false);
    return (start === null || end === null || end <= start) ? null : { start: start, end: end };
  }

  /* The last turn starting at or before ``cp`` (binary search), or -1. */
  function turnAt(cp) {
    var lo = 0, hi = turns.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (turns[mid].start <= cp) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  /* DOM ranges for code points [start, end): one per turn it crosses, none over headings. */
  function rangesFor(start, end) {
    var out = [];
    for (var i = Math.max(0, turnAt(start)); i < turns.length && turns[i].start < end; i++) {
      var t = turns[i];
      var a = Math.max(start, t.start), b = Math.min(end, t.end);
      if (!t.node || b <= a) { continue; }
      var r = document.createRange();
      r.setStart(t.node, utf16At(t, a - t.start));
      r.setEnd(t.node, utf16At(t, b - t.start));
      out.push(r);
    }
    return out;
  }

  var sheet = document.createElement("style");
  document.head.appendChild(sheet);
  var styled = {};

  function draw() {
    if (typeof CSS === "undefined" || !CSS.highlights || typeof Highlight === "undefined") { return; }
    var byColour = {};
    codings.forEach(function (c) {
      if (!c.ranges) { c.ranges = rangesFor(c.start, c.end); }
      var bucket = byColour[c.colour] || (byColour[c.colour] = []);
      c.ranges.forEach(function (r) { bucket.push(r); });
    });
    CSS.highlights.forEach(function (_, name) { if (name.indexOf("tf-") === 0) { CSS.highlights.delete(name); } });
    var rules = [];
    Object.keys(byColour).forEach(function (colour) {
      var name = "tf-" + colour.slice(1).toLowerCase();
      var h = new Highlight();
      byColour[colour].forEach(function (r) { h.add(r); });
      CSS.highlights.set(name, h);
      if (!styled[name]) {
        styled[name] = true;
        var n = parseInt(colour.slice(1), 16);
        rules.push("::highlight(" + name + ") { background-color: rgb(" + (n >> 16) + " " + ((n >> 8) & 255) + " " + (n & 255) + " / 0.35); }");
      }
    });
    if (current >= 0 && codings[current]) {
      var focus = new Highlight();
      codings[current].ranges.forEach(function (r) { focus.add(r); });
      focus.priority = 1;
      CSS.highlights.set("tf-current", focus);
    }
    if (rules.length) { sheet.appendChild(document.createTextNode(rules.join("\n"))); }
  }

  function read(li) {
    var colour = HEX.test(li.dataset.colour || "") ? li.dataset.colour : "#888888";
    return { id: +li.dataset.coding, code: +li.dataset.code, colour: colour, start: +li.dataset.start, end: +li.dataset.end, li: li, ranges: null };
  }

  function before(a, b) { return a.start - b.start || a.end - b.end || a.id - b.id; }

  /* A new coding goes into its sorted place, in the array and in the list: moving only its
     entry keeps coding fast with hundreds of codings on the page. */
  function insert(c) {
    var lo = 0, hi = codings.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (before(codings[mid], c) < 0) { lo = mid + 1; } else { hi = mid; } }
    codings.splice(lo, 0, c);
    list.insertBefore(c.li, lo + 1 < codings.length ? codings[lo + 1].li : null);
    if (empty) { empty.hidden = true; }
  }

  function csrfInput() {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "csrf_token"; input.value = token;
    return input;
  }

  /* A list entry for a coding made here, built like the server's (no markup from data). */
  function entry(view) {
    var li = document.createElement("li");
    li.id = "coding-" + view.id; li.tabIndex = -1;
    li.dataset.coding = view.id; li.dataset.code = view.code_id; li.dataset.colour = view.colour;
    li.dataset.start = view.start; li.dataset.end = view.end;
    var go = document.createElement("button");
    go.type = "button"; go.className = "goto";
    var swatch = document.createElement("span");
    swatch.className = "swatch"; swatch.setAttribute("aria-hidden", "true");
    if (HEX.test(view.colour)) { swatch.style.setProperty("--code", view.colour); }
    var name = document.createElement("span");
    name.className = "code-name"; name.textContent = view.code;
    go.appendChild(swatch); go.appendChild(name);
    var quote = document.createElement("q");
    quote.textContent = view.text;
    var actions = document.createElement("span");
    actions.className = "actions";
    var form = document.createElement("form");
    form.method = "post"; form.className = "remove-coding";
    form.action = root.dataset.codingsApi.replace(/^\/api/, "") + view.id + "/remove";
    form.appendChild(csrfInput());
    var remove = document.createElement("button");
    remove.type = "submit"; remove.className = "danger"; remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove coding " + view.code + " at " + view.start);
    form.appendChild(remove);
    var memo = document.createElement("button");
    memo.type = "button"; memo.className = "memo-on"; memo.dataset.coding = view.id; memo.textContent = "Memo";
    memo.setAttribute("aria-label", "Memo on coding " + view.code + " at " + view.start);
    actions.appendChild(form); actions.appendChild(memo);
    li.appendChild(go); li.appendChild(quote); li.appendChild(actions);
    return li;
  }

  function send(method, url, body) {
    var headers = { "X-CSRF-Token": token, Accept: "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(url, { method: method, credentials: "same-origin", headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) { throw new Error(data.detail || ("the server answered " + response.status)); }
          return data;
        });
      });
  }

  function apply(button) {
    var span = selected();
    if (!span) { say("Select some of the text first, then choose a code."); return; }
    var name = button.textContent.trim();
    send("POST", root.dataset.api, { code: +button.dataset.code, start: span.start, end: span.end })
      .then(function (view) {
        if (!codings.some(function (c) { return c.id === view.id; })) {
          insert(read(entry(view)));
        }
        window.getSelection().removeAllRanges();
        draw();
        say("Coded " + (span.end - span.start) + " characters as " + name + ".");
      })
      .catch(function (err) { say("Not coded: " + err.message); });
  }

  function remove(form) {
    var li = form.closest("li");
    var id = +li.dataset.coding;
    send("DELETE", root.dataset.codingsApi + id)
      .then(function () {
        codings = codings.filter(function (c) { return c.id !== id; });
        current = -1;
        if (typeof CSS !== "undefined" && CSS.highlights) { CSS.highlights.delete("tf-current"); }
        li.remove();
        if (empty) { empty.hidden = codings.length > 0; }
        draw();
        say("Coding removed.");
      })
      .catch(function (err) { say("Not removed: " + err.message); });
  }

  function show(index) {
    if (!codings.length) { return; }
    current = (index + codings.length) % codings.length;
    var c = codings[current];
    draw();
    if (c.ranges.length) {
      var box = c.ranges[0].getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) { window.scrollBy(0, box.top - window.innerHeight / 3); }
    }
    c.li.focus({ preventScroll: true });
    say("Coding " + (current + 1) + " of " + codings.length + ": " + c.li.querySelector(".code-name").textContent + ".");
  }

  function memoOn(id) {
    var select = document.getElementById("memo-on");
    var text = document.getElementById("memo-text");
    if (!select || !text) { return; }
    if (!Array.prototype.some.call(select.options, function (o) { return o.value === String(id); })) {
      var option = document.createElement("option");
      option.value = String(id); option.textContent = "coding " + id;
      select.appendChild(option);
    }
    select.value = String(id);
    text.focus();
  }

  Array.prototype.forEach.call(list ? list.querySelectorAll("li[data-coding]") : [], function (li) { codings.push(read(li)); });
  codings.sort(before);
  draw();

  var buttons = Array.prototype.slice.call(document.querySelectorAll(".code-button"));
  var byKey = {};
  buttons.forEach(function (b) { if (b.dataset.shortcut) { byKey[b.dataset.shortcut.toLowerCase()] = b; } });
  if (canCode) {
    buttons.forEach(function (b) {
      b.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the selection
      b.addEventListener("click", function () { apply(b); });
    });
  }
  if (list) {
    list.addEventListener("submit", function (e) {
      if (e.target.classList.contains("remove-coding")) { e.preventDefault(); remove(e.target); }
    });
    list.addEventListener("click", function (e) {
      var memo = e.target.closest(".memo-on");
      if (memo) { memoOn(+memo.dataset.coding); return; }
      var go = e.target.closest(".goto");
      if (go) {
        var id = +go.closest("li").dataset.coding;
        show(codings.findIndex(function (c) { return c.id === id; }));
      }
    });
  }

  /* A click on highlighted text (nothing selected) picks the coding there, to remove it or
     write a memo on it. */
  root.addEventListener("click", function (e) {
    var sel = window.getSelection();
    if (sel && !sel.isCollapsed) { return; }
    var caret = document.caretPositionFromPoint ? document.caretPositionFromPoint(e.clientX, e.clientY) : null;
    var node = caret ? caret.offsetNode : null, offset = caret ? caret.offset : 0;
    if (!caret && document.caretRangeFromPoint) {
      var r = document.caretRangeFromPoint(e.clientX, e.clientY);
      if (r) { node = r.startContainer; offset = r.startOffset; }
    }
    if (!node || !turnOf(node)) { return; }
    var at = offsetOf(node, offset, true);
    var index = codings.findIndex(function (c) { return c.start <= at && at < c.end; });
    if (index >= 0) { show(index); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var target = e.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
    if (e.key === "Escape") {
      window.getSelection().removeAllRanges();
      current = -1;
      if (typeof CSS !== "undefined" && CSS.highlights) { CSS.highlights.delete("tf-current"); }
      say("Selection cleared.");
      return;
    }
    if (e.key === "]") { e.preventDefault(); show(current + 1); return; }
    if (e.key === "[") { e.preventDefault(); show(current < 0 ? codings.length - 1 : current - 1); return; }
    var button = canCode && e.key ? byKey[e.key.toLowerCase()] : null;
    if (button) { e.preventDefault(); apply(button); }
  });

  /* A link to a passage (#at-START-END, code points: a suggestion or a search result)
     selects it and scrolls to it, ready to code with a click or a key. */
  function goTo() {
    var m = /^#at-(\d+)-(\d+)$/.exec(window.location.hash);
    if (!m || +m[2] <= +m[1]) { return; }
    var ranges = rangesFor(+m[1], +m[2]);
    if (!ranges.length) { return; }
    var whole = document.createRange();
    whole.setStart(ranges[0].startContainer, ranges[0].startOffset);
    var last = ranges[ranges.length - 1];
    whole.setEnd(last.endContainer, last.endOffset);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(whole);
    var el = ranges[0].startContainer.parentNode;
    if (el && el.scrollIntoView) { el.scrollIntoView({ block: "center" }); }
    say("Passage selected: press a code's key or click a code to code it.");
  }
  window.addEventListener("hashchange", goTo);
  goTo();
})();
