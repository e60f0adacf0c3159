// The peer-group builder without round trips: the filter hides providers as you type, the
// "Tick ..." buttons tick providers in the page, and the count follows. Without this file
// each of those buttons submits the form and the server answers with the same result
// (web/peer_builder.py); "Save peer group" always submits. No inline script (CSP).
(function () {
  "use strict";

  function fold(text) {
    // As techforce.workforce.finding.fold: accents removed, case folded, spaces squeezed.
    return (text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function start() {
    var form = document.getElementById("builder-form");
    if (!form) {
      return;
    }
    var rows = Array.prototype.slice.call(form.querySelectorAll("#members label[data-ukprn]"));
    var filter = document.getElementById("builder-q");
    var count = document.getElementById("ticked-count");
    var shownCount = document.getElementById("shown-count");
    var noMatch = document.getElementById("no-match");
    var least = parseInt(count.getAttribute("data-min") || "5", 10);

    function box(row) {
      return row.querySelector("input[type=checkbox]");
    }

    function update() {
      var ticked = 0;
      var hidden = 0;
      rows.forEach(function (row) {
        if (box(row).checked) {
          ticked += 1;
          if (row.hidden) {
            hidden += 1;
          }
        }
      });
      var strong = document.createElement("strong");
      strong.textContent = String(ticked);
      var text = " provider" + (ticked === 1 ? "" : "s") + " ticked";
      if (hidden) {
        text += ", " + hidden + " of them hidden by the filter";
      }
      text += " (a peer group needs at least " + least + ").";
      count.replaceChildren(strong, document.createTextNode(text));
    }

    function applyFilter() {
      var typed = filter.value.trim();
      var folded = fold(typed);
      var digits = /^\d+$/.test(typed);
      var shown = 0;
      rows.forEach(function (row) {
        var match =
          !folded ||
          fold(row.getAttribute("data-name")).indexOf(folded) >= 0 ||
          (digits && row.getAttribute("data-ukprn").indexOf(typed) >= 0);
        row.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      shownCount.textContent = String(shown);
      noMatch.hidden = shown > 0;
      update();
    }

    function tick(wanted) {
      rows.forEach(function (row) {
        if (wanted(row)) {
          box(row).checked = true;
        }
      });
      update();
    }

    function chosen(id) {
      return document.getElementById(id).value;
    }

    var steps = {
      filter: applyFilter,
      "tick-shown": function () {
        tick(function (row) {
          return !row.hidden;
        });
      },
      "tick-nation": function () {
        var nation = chosen("tick-nation");
        tick(function (row) {
          return nation !== "" && row.getAttribute("data-nation") === nation;
        });
      },
      "tick-region": function () {
        var region = chosen("tick-region");
        tick(function (row) {
          return region !== "" && row.getAttribute("data-region") === region;
        });
      },
      "tick-group": function () {
        var select = document.getElementById("tick-group");
        var option = select.options[select.selectedIndex];
        var members = (option && option.getAttribute("data-members") || "").split(" ");
        tick(function (row) {
          return select.value !== "" && members.indexOf(row.getAttribute("data-ukprn")) >= 0;
        });
      },
      "untick-all": function () {
        rows.forEach(function (row) {
          box(row).checked = false;
        });
        update();
      },
    };

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=op]");
      if (!button || !Object.prototype.hasOwnProperty.call(steps, button.value)) {
        return; // "Save peer group" submits
      }
      event.preventDefault();
      steps[button.value]();
    });
    filter.addEventListener("input", applyFilter);
    form.addEventListener("change", update);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
