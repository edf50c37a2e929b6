// Site behaviour: "new since your last visit" markers and keyboard shortcuts.
// No inline script anywhere: the Content-Security-Policy forbids it. Nothing leaves the browser:
// the last visit is kept in this reader's localStorage only.
(function () {
  "use strict";

  var LAST_SEEN = "sitegen:last-seen-edition";
  var BASELINE = "sitegen:visit-baseline";

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }

  /** Mark the cards first seen in an edition newer than the newest one of the reader's last visit.
   * The baseline is fixed for the whole visit (sessionStorage), so reloading keeps the markers. */
  function markNew() {
    var latest = meta("sitegen-latest");
    var baseline;
    try {
      baseline = sessionStorage.getItem(BASELINE);
      if (baseline === null) {
        baseline = localStorage.getItem(LAST_SEEN) || "";
        sessionStorage.setItem(BASELINE, baseline);
      }
      if (latest && (!localStorage.getItem(LAST_SEEN) || localStorage.getItem(LAST_SEEN) < latest)) {
        localStorage.setItem(LAST_SEEN, latest);
      }
    } catch (e) {
      return; // storage disabled: no markers
    }
    if (!baseline) return; // first visit: everything would be "new", which says nothing
    var cards = document.querySelectorAll(".card[data-first-seen]");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute("data-first-seen") > baseline) {
        var badge = document.createElement("span");
        badge.className = "new-badge";
        badge.textContent = "new";
        badge.title = "New since your last visit";
        var heading = cards[i].querySelector(".card-title");
        if (heading) heading.appendChild(badge);
        cards[i].classList.add("is-new");
      }
    }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  /** n / p: next / previous edition; j / k: next / previous paper on the page. */
  function shortcuts(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var link;
    if (event.key === "n") link = document.querySelector('a[rel="next"]');
    else if (event.key === "p") link = document.querySelector('a[rel="prev"]');
    if (link) {
      event.preventDefault();
      link.click();
      return;
    }
    if (event.key !== "j" && event.key !== "k") return;
    var titles = Array.prototype.slice.call(document.querySelectorAll(".card-title a"));
    if (!titles.length) return;
    var current = titles.indexOf(document.activeElement);
    var next = event.key === "j" ? current + 1 : current - 1;
    if (current === -1) next = event.key === "j" ? 0 : titles.length - 1;
    next = Math.max(0, Math.min(titles.length - 1, next));
    event.preventDefault();
    titles[next].focus();
    titles[next].scrollIntoView({ block: "center" });
  }

  markNew();
  document.addEventListener("keydown", shortcuts);
})();
