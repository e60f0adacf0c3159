/* Keyword search and facet filters for the static library: no libraries, no network.
   The catalogue is already in the page (index.html lists every resource); this script only
   hides, shows and reorders those entries, reading the index that search-index.js sets as
   window.LIBRARY_INDEX (a script, not JSON, so it also works when opened from disk). */
(function () {
  "use strict";
  var data = window.LIBRARY_INDEX;
  var form = document.getElementById("filters");
  var box = document.getElementById("q");
  var list = document.getElementById("results");
  var count = document.getElementById("count");
  var none = document.getElementById("none");
  if (!data || !form || !box || !list) { return; }

  var FACETS = ["kind", "pillar", "year", "organisation"];
  var WEIGHTS = { title: 10, keywords: 6, summary: 3, text: 1 };
  var items = {};
  Array.prototype.forEach.call(list.querySelectorAll("li.resource"), function (li) {
    items[li.getAttribute("data-slug")] = li;
  });

  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var docs = data.resources.map(function (r, order) {
    return {
      slug: r.slug, order: order,
      fields: { title: fold(r.title), keywords: fold(r.keywords.join(" ")),
                summary: fold(r.summary), text: fold(r.text) },
      facets: { kind: [r.kind], pillar: r.pillars, year: r.year ? [r.year] : [],
                organisation: r.organisation ? [r.organisation] : [] }
    };
  });

  function terms(query) {
    return fold(query).split(/[^\p{L}\p{N}]+/u).filter(function (t) { return t.length > 0; });
  }
  function wordStart(hay, term) {
    var at = hay.indexOf(term);
    while (at !== -1) {
      if (at === 0 || /[^\p{L}\p{N}]/u.test(hay.charAt(at - 1))) { return true; }
      at = hay.indexOf(term, at + 1);
    }
    return false;
  }
  /* Every term must appear somewhere; a term in the title weighs most, then keywords,
     summary, text; a match at the start of a word counts double. */
  function score(doc, ts) {
    var total = 0;
    for (var i = 0; i < ts.length; i++) {
      var best = 0;
      for (var field in WEIGHTS) {
        var hay = doc.fields[field];
        if (hay.indexOf(ts[i]) !== -1) {
          var s = WEIGHTS[field] * (wordStart(hay, ts[i]) ? 2 : 1);
          best += s;
        }
      }
      if (best === 0) { return 0; }
      total += best;
    }
    return ts.length ? total : 1;
  }
  function chosen() {
    var picked = {};
    FACETS.forEach(function (name) {
      picked[name] = Array.prototype.map.call(
        form.querySelectorAll('input[name="' + name + '"]:checked'), function (el) { return el.value; });
    });
    return picked;
  }
  function passes(doc, picked) {
    return FACETS.every(function (name) {
      var want = picked[name];
      return want.length === 0 || doc.facets[name].some(function (v) { return want.indexOf(v) !== -1; });
    });
  }
  /* each facet value's count, next to its checkbox */
  var counters = [];
  FACETS.forEach(function (name) {
    Array.prototype.forEach.call(form.querySelectorAll('input[name="' + name + '"]'), function (el) {
      var n = el.parentNode.querySelector(".n");
      if (n) { counters.push({ facet: name, value: el.value, n: n }); }
    });
  });
  /* The counts follow the words typed: each value counts the resources matching the search,
     whatever the boxes ticked (as the server's catalogue counts them), a pillar once each. */
  function recount(matching) {
    var counts = {};
    FACETS.forEach(function (name) { counts[name] = Object.create(null); });
    matching.forEach(function (doc) {
      FACETS.forEach(function (name) {
        var seen = Object.create(null);
        doc.facets[name].forEach(function (v) {
          if (!seen[v]) { seen[v] = true; counts[name][v] = (counts[name][v] || 0) + 1; }
        });
      });
    });
    counters.forEach(function (c) {
      var n = counts[c.facet][c.value] || 0;
      c.n.textContent = "(" + n + ")";
      c.n.parentNode.classList.toggle("empty", n === 0);
    });
  }
  function update() {
    var ts = terms(box.value);
    var picked = chosen();
    var shown = [];
    var matching = [];
    docs.forEach(function (doc) {
      var s = score(doc, ts);
      if (s > 0) {
        matching.push(doc);
        if (passes(doc, picked)) { shown.push({ doc: doc, score: s }); }
      }
    });
    recount(matching);
    shown.sort(function (a, b) { return b.score - a.score || a.doc.order - b.doc.order; });
    var order = shown.map(function (hit) { return items[hit.doc.slug]; }).filter(Boolean);
    Object.keys(items).forEach(function (slug) { items[slug].hidden = order.indexOf(items[slug]) === -1; });
    /* move entries only when the order changes: moving a link while it is being clicked
       (the search box's change event fires on that click) would swallow the click */
    var current = Array.prototype.filter.call(list.children, function (li) { return !li.hidden; });
    if (order.some(function (li, i) { return current[i] !== li; })) {
      order.forEach(function (li) { list.appendChild(li); });
    }
    count.textContent = shown.length + (shown.length === 1 ? " resource" : " resources");
    none.hidden = shown.length !== 0;
  }
  box.addEventListener("input", update);
  form.addEventListener("change", function (e) { if (e.target !== box) { update(); } });
  form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
  form.addEventListener("reset", function () { setTimeout(update, 0); });
  var start = new URLSearchParams(window.location.search).get("q");
  if (start) { box.value = start; }
  update();
})();
