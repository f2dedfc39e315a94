// The policy draft editor, enhanced: the page works without this file (Check is a button).
// It re-checks the text after a pause in typing, through the same Check route answering JSON
// (the problem list rendered by the server), and makes each problem's "line N" link put the
// cursor on that line of the text. An external file: the CSP allows no inline script.
(function () {
  "use strict";
  var form = document.getElementById("draft-form");
  var text = document.getElementById("text");
  var panel = document.getElementById("problems");
  if (!form || !text || !panel) {
    return;
  }
  var url = form.getAttribute("data-check-url");
  var timer = null;
  var sent = 0;

  function recheck() {
    var mine = ++sent;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && mine === sent) {
          panel.innerHTML = answer.html;
        }
      })
      .catch(function () {
        // Offline or refused: the Check button still works.
      });
  }

  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(recheck, 900);
  });

  function goToLine(n) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i++) {
      start += lines[i].length + 1;
    }
    var end = start + (lines[n - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    var height = text.scrollHeight / Math.max(lines.length, 1);
    text.scrollTop = Math.max(0, (n - 4) * height);
  }

  panel.addEventListener("click", function (event) {
    var link = event.target.closest("a.line-link[data-line]");
    if (!link) {
      return;
    }
    event.preventDefault();
    goToLine(parseInt(link.getAttribute("data-line"), 10));
  });
})();
