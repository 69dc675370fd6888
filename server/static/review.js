// Commune review pages: keyboard shortcuts on the household page and "select all" for bulk
// confirmation on the queue. A static file (no inline script) so the pages work under a
// Content-Security-Policy without 'unsafe-inline'. Everything here is a convenience: every
// action also works with the mouse and without JavaScript.
(function () {
  "use strict";

  function typing(event) {
    var target = event.target;
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function follow(key) {
    var link = document.querySelector('a[data-key="' + key + '"]');
    if (link) { window.location.href = link.href; }
  }

  function choose(value) {
    var radio = document.querySelector('#decision-form input[name=decision][value="' + value + '"]');
    if (radio) { radio.checked = true; }
    return radio;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var key = event.key.toLowerCase();
    if (key === "c" && choose("confirmed")) {
      event.preventDefault();
      document.getElementById("decide-next").click();
    } else if (key === "t" && choose("returned")) {
      event.preventDefault();
      document.querySelector('#decision-form textarea[name=comment]').focus();
    } else if (key === "n" || key === "p" || key === "l") {
      follow(key);
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-pick-all]")) { return; }
    var boxes = document.querySelectorAll('input[type=checkbox][name=pick]');
    for (var i = 0; i < boxes.length; i += 1) { boxes[i].checked = event.target.checked; }
  });

  // [data-print] buttons are handled once, by the layout's own script (base.html)
}());
