/* The resource form's drop zone (templates/library/edit.html.j2): a file dropped anywhere on
   the zone goes into its file input; without this script the input works as usual. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-drop-for]"), function (zone) {
    var input = document.getElementById(zone.dataset.dropFor);
    if (!input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
    });
  });
})();
