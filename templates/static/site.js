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

  /** Mark the cards first seen in an edition newer than the newest one the reader had opened
   * (the home page or an edition's page: they carry the edition's date) before this visit.
   * The baseline is fixed for the whole visit (sessionStorage), so reloading keeps the markers. */
  function markNew() {
    var latest = meta("sitegen-edition");
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
    var titles = Array.prototype.slice.call(document.querySelectorAll(".card:not([hidden]) .card-title a"));
    if (!titles.length) return;
    var current = titles.indexOf(document.activeElement);
    var next = event.key === "j" ? current + 1 : current - 1;
    if (current === -1) next = event.key === "j" ? 0 : titles.length - 1;
    next = Math.max(0, Math.min(titles.length - 1, next));
    event.preventDefault();
    titles[next].focus();
    titles[next].scrollIntoView({ block: "center" });
  }

  /** "press /" only where there is a keyboard to press it on (not on touch screens). */
  function keyboardHint() {
    var box = document.getElementById("site-search-q");
    if (!box || !window.matchMedia || !window.matchMedia("(hover: hover) and (pointer: fine)").matches) return;
    box.placeholder = "Press / to search";
  }

  /** The theme chips of an edition filter its list in place. Without this script they are links to
   * the themes' pages. The chosen theme is kept in the URL (#theme-<slug>), so a filtered edition
   * can be shared and Back works. */
  function themeFilter() {
    var nav = document.querySelector("[data-filter-list]");
    var list = nav && document.getElementById(nav.getAttribute("data-filter-list"));
    if (!list) return;
    var cards = list.querySelectorAll(".card");
    var status = nav.querySelector(".filter-status");
    var buttons = [];
    var links = nav.querySelectorAll("a.theme-chip[data-theme]");
    for (var i = 0; i < links.length; i++) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "theme-chip";
      button.setAttribute("data-theme", links[i].getAttribute("data-theme"));
      button.setAttribute("aria-pressed", "false");
      while (links[i].firstChild) button.appendChild(links[i].firstChild);
      links[i].parentNode.replaceChild(button, links[i]);
      buttons.push(button);
    }

    function apply(slug) {
      var shown = 0;
      var label = "";
      for (var b = 0; b < buttons.length; b++) {
        var on = buttons[b].getAttribute("data-theme") === slug;
        buttons[b].setAttribute("aria-pressed", on ? "true" : "false");
        if (on) label = buttons[b].firstChild ? buttons[b].firstChild.textContent.trim() : slug;
      }
      if (!label) slug = "";
      for (var c = 0; c < cards.length; c++) {
        var keep = !slug || cards[c].getAttribute("data-theme") === slug;
        cards[c].hidden = !keep;
        if (keep) shown++;
      }
      if (status) {
        status.textContent = slug ? "Showing " + shown + " of " + cards.length + " papers: " + label + ". " : "";
        if (slug) {
          var all = document.createElement("a");
          all.href = "#";
          all.textContent = "Show all";
          all.addEventListener("click", function (event) {
            event.preventDefault();
            choose("");
          });
          status.appendChild(all);
        }
      }
    }

    function fromHash() {
      var match = /^#theme-(.+)$/.exec(location.hash);
      return match ? decodeURIComponent(match[1]) : "";
    }

    function choose(slug) {
      var url = location.pathname + location.search + (slug ? "#theme-" + slug : "");
      history.pushState(null, "", url);
      apply(slug);
    }

    nav.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button.theme-chip");
      if (!button) return;
      var slug = button.getAttribute("data-theme");
      choose(button.getAttribute("aria-pressed") === "true" ? "" : slug);
    });
    window.addEventListener("popstate", function () {
      apply(fromHash());
    });
    apply(fromHash());
  }

  markNew();
  keyboardHint();
  themeFilter();
  document.addEventListener("keydown", shortcuts);
})();
