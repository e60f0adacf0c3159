// Browser behaviours, as progressive enhancement: every page works without this file.
// CSP: no inline script, no eval, no event-handler attributes, no innerHTML with data.
//
// Contract (data attributes the templates put on elements):
//   .chart[data-spec]            Vega-Lite spec (JSON), drawn by vega-embed; [data-name] names
//                                the downloaded files (else a slug of aria-label). After the
//                                chart: "Download SVG" / "Download PNG" buttons.
//   table[data-sort]             header cells become sort buttons; aria-sort on the sorted th.
//   td[data-value]               the raw number for sorting ("" = suppressed/no data: last).
//   table[data-filter]           a text box above the table; its label is the attribute value
//                                (default "Filter rows"). A polite live region says "N of M shown".
//   select[data-filter-for=ID][data-filter-key=KEY]
//                                filters rows of table#ID by tr[data-KEY] ('["a|b", "c"]', a JSON
//                                list, or "a|b" = several values).
//   table[data-page-size=N]      N rows at a time, Previous / Next / Show all.
//   table[data-csv=NAME]         a "Download CSV" button: the rows matching the filters (all
//                                pages), in the order shown, cells' text as shown.
//   input[data-suggest=URL][list=ID]
//                                suggestions from GET URL?q=... ({matches: [{ukprn, provider}]}).
(function () {
  "use strict";

  // --- small helpers ------------------------------------------------------------------
  var uid = 0;
  function make(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function button(text, cls) {
    return make("button", { type: "button", class: cls || "small" }, text);
  }
  function idFor(el, stem) {
    if (!el.id) { uid += 1; el.id = stem + "-" + uid; }
    return el.id;
  }
  function shownText(el) {
    return (el.textContent || "").replace(/\s+/g, " ").trim();
  }
  function slug(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  }
  function safeName(name, ext, fallback) {
    // No path separators or control characters; the extension added when missing.
    var base = (name || "").replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, "-").replace(/^[.\s-]+/, "").trim();
    base = base || fallback;
    return base.toLowerCase().endsWith("." + ext) ? base : base + "." + ext;
  }
  function save(url, filename) {
    // A download, not a navigation: CSP img-src/connect-src do not apply to it.
    var a = make("a", { href: url, download: filename, hidden: "" });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  // A row's values for a select filter: a JSON list (values may hold any character), else "a|b".
  function values(raw) {
    if (raw.charAt(0) === "[") {
      try { return JSON.parse(raw).map(String); } catch (e) { return []; }
    }
    return raw.split("|");
  }

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // --- charts -------------------------------------------------------------------------
  function chartDownloads(el, view) {
    if (el.nextElementSibling && el.nextElementSibling.classList.contains("downloads")) { return; }
    var label = el.getAttribute("aria-label") || "";
    var name = el.dataset.name || slug(label) || "chart";
    var bar = make("div", { class: "downloads", role: "group", "aria-label": "Download chart" + (label ? ": " + label : "") });
    [["svg", "Download SVG", 1], ["png", "Download PNG", 2]].forEach(function (kind) {
      var b = button(kind[1]);
      b.addEventListener("click", function () {
        view.toImageURL(kind[0], kind[2]).then(function (url) {
          save(url, safeName(name, kind[0], "chart"));
          if (url.indexOf("blob:") === 0) { setTimeout(function () { URL.revokeObjectURL(url); }, 10000); }
        }).catch(function (err) { b.textContent = kind[1] + " (failed: " + err + ")"; });
      });
      bar.appendChild(b);
    });
    el.insertAdjacentElement("afterend", bar);
  }

  // A title, legend or axis title wider than the drawing is cut off at the SVG's edge: widen
  // the viewBox to everything drawn, and CSS (max-width: 100%) scales it back to the width.
  // Vega may draw again (container width, fonts): each time, the box is measured again.
  function showAll(el) {
    var svg = el.querySelector("svg");
    if (!svg || !svg.getBBox) { return; }
    var view = (svg.getAttribute("viewBox") || "").split(" ").map(Number);
    var w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
    if (view.length === 4 && view[2] > 0) { w = view[0] + view[2]; h = view[1] + view[3]; }
    var box = svg.getBBox();
    var x = Math.floor(Math.min(0, box.x)), y = Math.floor(Math.min(0, box.y));
    var x2 = Math.ceil(Math.max(w, box.x + box.width)), y2 = Math.ceil(Math.max(h, box.y + box.height));
    var wanted = [x, y, x2 - x, y2 - y].join(" ");
    if (!w || !h || svg.getAttribute("viewBox") === wanted) { return; }
    svg.setAttribute("viewBox", wanted);
    svg.setAttribute("width", String(x2 - x));
    svg.setAttribute("height", String(y2 - y));
  }
  function keepAllShown(el) {
    var queued = false;
    new MutationObserver(function () {
      if (queued) { return; }
      queued = true;
      requestAnimationFrame(function () { queued = false; showAll(el); });
    }).observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
    showAll(el);
  }

  function drawCharts(root) {
    if (!window.vegaEmbed) { return; }
    root.querySelectorAll(".chart[data-spec]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      el.dataset.drawn = "1";
      var spec = JSON.parse(el.dataset.spec);
      spec.width = "container";
      if (el.clientWidth && el.clientWidth < 600) {
        // On a phone a legend beside the chart leaves the bars no room: below it; a long title
        // is cut with "…" (the figcaption says it all) rather than squeezing the chart. The
        // spec's own settings win; showAll() scales down whatever still sticks out.
        spec.config = Object.assign({}, spec.config);
        spec.config.legend = Object.assign({ orient: "bottom", direction: "vertical" }, spec.config.legend);
        spec.config.title = Object.assign({ limit: el.clientWidth - 20, anchor: "start" }, spec.config.title);
      }
      // Vega replaces the container's role and label with its own ("Vega visualization"):
      // the page's text alternative is put back once the chart is drawn.
      var role = el.getAttribute("role"), label = el.getAttribute("aria-label");
      // ast: true makes Vega interpret expressions (vega-interpreter, in the bundle) instead
      // of compiling them with Function(): the CSP has no 'unsafe-eval'.
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true })
        .then(function (result) {
          // The container is role="img" with the text alternative (and a table view follows),
          // so the drawing itself is hidden from assistive technology.
          var svg = el.querySelector("svg");
          if (svg) { svg.setAttribute("aria-hidden", "true"); }
          el.removeAttribute("aria-roledescription");
          if (role) { el.setAttribute("role", role); } else { el.removeAttribute("role"); }
          if (label) { el.setAttribute("aria-label", label); } else { el.removeAttribute("aria-label"); }
          keepAllShown(el);
          chartDownloads(el, result.view);
        })
        .catch(function (err) { el.textContent = "Chart unavailable: " + err; });
    });
  }

  // --- tables: sort, filter, page, CSV ----------------------------------------------------
  var FORMULA_START = ["=", "+", "-", "@", "\t", "\r"];
  var PLAIN_NUMBER = /^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$/;

  // Mirrors present/tables.py neutralise(): a text cell a spreadsheet would run as a formula
  // gets a leading single quote; numbers (negative ones included) stay as they are.
  function neutralise(text) {
    if (!PLAIN_NUMBER.test(text) && FORMULA_START.indexOf(text.charAt(0)) !== -1) { return "'" + text; }
    return text;
  }
  function csvField(text) {
    // Python's csv.writer, QUOTE_MINIMAL with "\r\n" line ends.
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function csvLine(cells) {
    return cells.map(function (c) { return csvField(neutralise(c)); }).join(",") + "\r\n";
  }

  function parseNumber(text) {
    var t = text.replace(/[,\s\u00a0\u2009\u202f%£]/g, "").replace(/^\u2212/, "-");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) { return null; }
    return Number(t);
  }
  function sortKey(cell) {
    // {n: number} | {s: text} | null (suppressed or no data: always last).
    if (!cell) { return null; }
    if (cell.hasAttribute("data-value")) {
      var raw = cell.getAttribute("data-value").trim();
      var n = raw === "" ? NaN : Number(raw);
      return isFinite(n) ? { n: n } : null;
    }
    var text = shownText(cell);
    if (text === "" || text === ".." || text === "–" || text === "—") { return null; }
    var num = parseNumber(text);
    return num === null ? { s: text } : { n: num };
  }

  function Table(table) {
    this.table = table;
    this.body = table.tBodies[0];
    this.rows = Array.prototype.slice.call(this.body.rows);
    this.rows.forEach(function (r, i) { r.dataset.order = String(i); });
    var headRows = table.tHead ? table.tHead.rows : [];
    this.heads = headRows.length ? Array.prototype.slice.call(headRows[headRows.length - 1].cells) : [];
    this.header = this.heads.map(shownText);
    this.matching = this.rows.slice();
    this.query = "";
    this.selects = [];
    var size = parseInt(table.dataset.pageSize || "", 10);
    this.pageSize = size > 0 ? size : 0;
    this.page = 0;
    this.showAll = false;
    this.wrap = table.closest(".table-wrap") || table;
  }

  Table.prototype.tools = function () {
    if (!this.toolbar) {
      this.toolbar = make("div", { class: "table-tools" });
      this.wrap.insertAdjacentElement("beforebegin", this.toolbar);
    }
    return this.toolbar;
  };

  Table.prototype.statusText = function () {
    var n = this.matching.length, m = this.rows.length;
    if (this.pageSize && !this.showAll && n > this.pageSize) {
      var first = this.page * this.pageSize + 1;
      var last = Math.min(n, first + this.pageSize - 1);
      return "Rows " + first + "–" + last + " of " + n + (n < m ? " (filtered from " + m + ")" : "");
    }
    return n + " of " + m + " shown";
  };

  Table.prototype.render = function () {
    var n = this.matching.length;
    var pages = this.pageSize && !this.showAll ? Math.max(1, Math.ceil(n / this.pageSize)) : 1;
    this.page = Math.min(this.page, pages - 1);
    var start = this.pageSize && !this.showAll ? this.page * this.pageSize : 0;
    var end = this.pageSize && !this.showAll ? start + this.pageSize : n;
    var visible = new Set(this.matching.slice(start, end));
    this.rows.forEach(function (r) { r.hidden = !visible.has(r); });
    if (this.status) { this.status.textContent = this.statusText(); }
    if (this.pager) {
      this.pager.hidden = !(this.pageSize && n > this.pageSize);
      this.prev.disabled = this.showAll || this.page === 0;
      this.next.disabled = this.showAll || this.page >= pages - 1;
      this.prev.hidden = this.next.hidden = this.showAll;
      this.all.textContent = this.showAll ? "Show " + this.pageSize + " per page" : "Show all " + n;
      this.all.setAttribute("aria-pressed", this.showAll ? "true" : "false");
    }
  };

  Table.prototype.filter = function () {
    var terms = fold(this.query).split(" ").filter(Boolean);
    var picks = this.selects.filter(function (s) { return s.value !== ""; });
    var order = Array.prototype.slice.call(this.body.rows);
    this.matching = order.filter(function (row) {
      if (terms.length) {
        var text = fold(shownText(row));
        if (!terms.every(function (t) { return text.indexOf(t) !== -1; })) { return false; }
      }
      return picks.every(function (s) {
        var held = values(row.getAttribute("data-" + s.dataset.filterKey) || "");
        return held.some(function (v) { return v.trim() === s.value; });
      });
    });
    this.page = 0;
    this.render();
  };

  Table.prototype.enableSort = function () {
    var self = this;
    var collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true, sensitivity: "base" });
    this.heads.forEach(function (th, col) {
      if (th.colSpan > 1 || th.querySelector("button")) { return; }
      var b = make("button", { type: "button", class: "sort" });
      while (th.firstChild) { b.appendChild(th.firstChild); }
      b.appendChild(make("span", { class: "sort-mark", "aria-hidden": "true" }));
      th.appendChild(b);
      b.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") === "ascending";
        self.heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        self.sort(col, descending, collator);
      });
    });
  };

  Table.prototype.sort = function (col, descending, collator) {
    var keyed = this.rows.map(function (row) {
      return { row: row, key: sortKey(row.cells[col]), i: Number(row.dataset.order) };
    });
    // Numbers sort as numbers when most cells in the column are numbers; other text in such a
    // column (e.g. "0–2", "not returned") counts as no data.
    var nums = keyed.filter(function (k) { return k.key && "n" in k.key; }).length;
    var texts = keyed.filter(function (k) { return k.key && "s" in k.key; }).length;
    var numeric = nums > 0 && nums >= texts;
    keyed.forEach(function (k) {
      if (k.key && numeric !== ("n" in k.key)) { k.key = numeric ? null : { s: shownText(k.row.cells[col]) }; }
    });
    var sign = descending ? -1 : 1;
    keyed.sort(function (a, b) {
      if (!a.key || !b.key) {
        if (a.key || b.key) { return a.key ? -1 : 1; }  // no data last, either direction
        return a.i - b.i;
      }
      var c = numeric ? a.key.n - b.key.n : collator.compare(a.key.s, b.key.s);
      return c !== 0 ? sign * c : a.i - b.i;  // stable: ties keep the page's order
    });
    var body = this.body;
    keyed.forEach(function (k) { body.appendChild(k.row); });
    this.filter();
  };

  Table.prototype.enableFilter = function () {
    var self = this, tools = this.tools();
    var id = idFor(this.table, "table") + "-filter";
    var box = make("div", { class: "filter" });
    box.appendChild(make("label", { for: id }, this.table.dataset.filter || "Filter rows"));
    var input = make("input", { id: id, type: "search", autocomplete: "off" });
    box.appendChild(input);
    tools.appendChild(box);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.query = input.value; self.filter(); }, 100);
    });
  };

  Table.prototype.connectSelects = function () {
    var self = this, id = this.table.id;
    if (!id) { return; }
    document.querySelectorAll("select[data-filter-for][data-filter-key]").forEach(function (s) {
      if (s.dataset.filterFor !== id) { return; }
      self.selects.push(s);
      s.addEventListener("change", function () { if (self.table.isConnected) { self.filter(); } });
    });
  };

  Table.prototype.enableStatus = function () {
    this.status = make("p", { class: "table-status", role: "status", "aria-live": "polite" });
    this.tools().appendChild(this.status);
  };

  Table.prototype.enablePager = function () {
    var self = this;
    this.pager = make("div", { class: "pager", role: "group", "aria-label": "Pages" });
    this.prev = button("Previous");
    this.next = button("Next");
    this.all = button("Show all");
    [this.prev, this.next, this.all].forEach(function (b) { self.pager.appendChild(b); });
    this.prev.addEventListener("click", function () { self.page -= 1; self.render(); });
    this.next.addEventListener("click", function () { self.page += 1; self.render(); });
    this.all.addEventListener("click", function () { self.showAll = !self.showAll; self.page = 0; self.render(); });
    this.wrap.insertAdjacentElement("afterend", this.pager);
  };

  Table.prototype.csv = function () {
    var text = this.header.length ? csvLine(this.header) : "";
    this.matching.forEach(function (row) {
      text += csvLine(Array.prototype.map.call(row.cells, shownText));
    });
    return text;
  };

  Table.prototype.enableCsv = function () {
    var self = this, b = button("Download CSV");
    b.addEventListener("click", function () {
      // No BOM, CRLF line ends: the same bytes as the server's CSV downloads (to_csv).
      var url = URL.createObjectURL(new Blob([self.csv()], { type: "text/csv;charset=utf-8" }));
      save(url, safeName(self.table.dataset.csv, "csv", "table"));
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
    this.tools().appendChild(b);
  };

  function enhanceTables(root) {
    var tables = root.matches && root.matches("table") ? [root] : Array.prototype.slice.call(root.querySelectorAll("table"));
    tables.forEach(function (table) {
      var d = table.dataset;
      if (d.enhanced || !table.tBodies.length) { return; }
      if (!("sort" in d || "filter" in d || "pageSize" in d || "csv" in d)) { return; }
      d.enhanced = "1";
      var t = new Table(table);
      if ("filter" in d) { t.enableFilter(); }
      t.connectSelects();
      if ("filter" in d || t.selects.length || t.pageSize) { t.enableStatus(); }
      if ("csv" in d) { t.enableCsv(); }
      if ("sort" in d) { t.enableSort(); }
      if (t.pageSize) { t.enablePager(); }
      t.filter();
    });
  }

  // --- provider search suggestions -----------------------------------------------------------
  function enableSuggest(root) {
    root.querySelectorAll("input[data-suggest][list]").forEach(function (input) {
      if (input.dataset.suggesting) { return; }
      var list = document.getElementById(input.getAttribute("list"));
      var url = new URL(input.dataset.suggest, location.href);
      if (!list || url.origin !== location.origin) { return; }  // only this site (connect-src 'self')
      input.dataset.suggesting = "1";
      var timer = null, pending = null, last = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var q = input.value.trim();
        if (q.length < 2 || q === last || / \(\d+\)$/.test(q)) { return; }  // a picked suggestion
        timer = setTimeout(function () {
          if (pending) { pending.abort(); }
          pending = new AbortController();
          var ask = new URL(url.href);
          ask.searchParams.set("q", q);
          fetch(ask.href, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: pending.signal })
            .then(function (r) { return r.ok ? r.json() : { matches: [] }; })
            .then(function (data) {
              last = q;
              list.replaceChildren();
              (data.matches || []).forEach(function (m) {
                list.appendChild(make("option", { value: m.provider + " (" + m.ukprn + ")" }));
              });
            })
            .catch(function () { /* aborted or offline: keep the old suggestions */ });
        }, 150);
      });
    });
  }

  function enhance(root) {
    drawCharts(root);
    enhanceTables(root);
    enableSuggest(root);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (e) { enhance(e.target); });
  // Send the CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) { e.detail.headers["X-CSRF-Token"] = token; }
  });
})();
