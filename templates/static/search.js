// Site search: lunr.js 2.3.9 over the index that sitegen/search.py builds with lunr.py.
//
// This file is small and loaded (deferred) on every page; lunr.min.js and the index are fetched
// only when the reader starts to search: focus or typing in the header box, or opening
// search/?q=... . No inline script anywhere (the Content-Security-Policy forbids it), and paper
// text only ever reaches the page through textContent / text nodes, never innerHTML.
(function () {
  "use strict";

  var box = document.getElementById("site-search-q");
  if (!box || !window.fetch || !window.URL) return;
  var form = box.form;

  // Must match sitegen/search.py (FOLD_LABEL, TRIM_LABEL, STEM_LABEL, _FOLD_EXTRA, _EDGE_PUNCT):
  // the index's search pipeline names these functions and lunr.Index.load refuses unregistered ones.
  var FOLD_LABEL = "sitegenFold";
  var TRIM_LABEL = "sitegenTrimmer";
  var STEM_LABEL = "sitegenStemmer"; // lunr.js's own stemmer; the index was built with a port of it
  var FOLD_EXTRA = { "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i" };
  var FOLD_EXTRA_RE = /[ßæœøłđðþı]/g;
  var MARKS_RE = /\p{M}/gu;
  var EDGE_PUNCT_RE = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
  // Anything lunr's query parser treats specially; a query without it gets sitegen's friendlier
  // treatment (each word folded, the word being typed also matched as a prefix).
  var SYNTAX_RE = /[:*~^]|(^|\s)[+-]/;
  var WORD_SPLIT_RE = /([\s\-]+)/;
  var SAFE_URL_RE = /^[A-Za-z0-9][A-Za-z0-9._~%\/-]*$/;
  var DEBOUNCE_MS = 100; // search once typing pauses this long...
  var MAX_WAIT_MS = 300; // ...or at least this often while it goes on
  var PANEL_LIMIT = 8;
  var PAGE_LIMIT = 100;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  var rootMeta = document.querySelector('meta[name="sitegen-root"]');
  var root = rootMeta ? rootMeta.getAttribute("content") : "";
  var manifestUrl = new URL(root + "data/search/manifest.json", document.baseURI).href;
  var lunrUrl = new URL(root + "static/vendor/lunr/lunr.min.js", document.baseURI).href;

  var onSearchPage = !!document.getElementById("search-page");
  var view = onSearchPage ? pageView() : panelView();
  var loading = null; // Promise of the loaded parts, once a search has started
  var loaded = null; // the parts themselves, once they are here (then searches run synchronously)
  var generation = 0; // a later query supersedes the rendering of an earlier one
  var timer = null;
  var pendingSince = 0;
  var wordTerms = new Map();

  // ---- normalization shared with lunr.py --------------------------------------------------

  function foldText(text) {
    return text
      .toLowerCase()
      .normalize("NFKD")
      .replace(MARKS_RE, "")
      .replace(FOLD_EXTRA_RE, function (ch) { return FOLD_EXTRA[ch]; });
  }

  function trimText(text) {
    return text.replace(EDGE_PUNCT_RE, "");
  }

  function registerPipeline(lunr) {
    if (lunr.Pipeline.registeredFunctions[FOLD_LABEL]) return;
    var fold = function (token) {
      return token.update(function (s) { return foldText(s); });
    };
    var trim = function (token) {
      token.update(function (s) { return trimText(s); });
      return token.toString() ? token : undefined;
    };
    // A wrapper, so that registering does not relabel lunr.stemmer itself.
    var stem = function (token) {
      return lunr.stemmer(token);
    };
    lunr.Pipeline.registerFunction(fold, FOLD_LABEL);
    lunr.Pipeline.registerFunction(trim, TRIM_LABEL);
    lunr.Pipeline.registerFunction(stem, STEM_LABEL);
  }

  // ---- loading ------------------------------------------------------------------------------

  function loadScript(src) {
    if (window.lunr) return Promise.resolve(window.lunr);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(window.lunr); };
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function fetchJSON(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.json();
    });
  }

  function loadPart(entry) {
    return Promise.all([
      fetchJSON(new URL(entry.index, manifestUrl).href),
      fetchJSON(new URL(entry.store, manifestUrl).href),
    ]).then(function (files) {
      return { index: window.lunr.Index.load(files[0]), store: files[1] };
    });
  }

  /** Fetch lunr, the manifest and every part it lists (once; retried after a failure). */
  function load() {
    if (!loading) {
      loading = Promise.all([loadScript(lunrUrl), fetchJSON(manifestUrl)])
        .then(function (loaded) {
          var manifest = loaded[1];
          if (manifest.format !== 1) throw new Error("unknown search data format " + manifest.format);
          registerPipeline(loaded[0]);
          // Every part for now; a manifest with many parts could be loaded newest first, or by date.
          return Promise.all(manifest.parts.map(loadPart));
        })
        .then(function (parts) {
          loaded = parts;
          return parts;
        })
        .catch(function (error) {
          loading = null;
          throw error;
        });
    }
    return loading;
  }

  // ---- querying -----------------------------------------------------------------------------

  function runQuery(index, raw) {
    var lunr = window.lunr;
    if (SYNTAX_RE.test(raw)) return index.search(raw); // may throw lunr.QueryParseError
    var words = raw.split(lunr.tokenizer.separator).map(function (w) { return trimText(foldText(w)); });
    words = words.filter(Boolean);
    if (!words.length) return [];
    var typing = !/[\s\-]$/.test(raw); // the last word may be unfinished
    return index.query(function (q) {
      words.forEach(function (word, i) {
        q.term(word, { boost: 10 }); // through the search pipeline: folded, trimmed, stemmed
        if (typing && i === words.length - 1 && word.length >= 2) {
          q.term(word, { usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
        }
      });
    });
  }

  /** Results of every loaded part, best first: {ref, score, terms, doc}. */
  function search(parts, raw) {
    var all = [];
    parts.forEach(function (part) {
      runQuery(part.index, raw).forEach(function (result) {
        var doc = part.store[result.ref];
        // Only site-relative paths become links (defence in depth: sitegen writes slugs, never a scheme).
        if (!doc || !SAFE_URL_RE.test(doc.url)) return;
        all.push({ ref: result.ref, score: result.score, terms: Object.keys(result.matchData.metadata), doc: doc });
      });
    });
    all.sort(function (a, b) { return b.score - a.score; }); // stable: ties keep lunr's order
    return all;
  }

  // ---- rendering ----------------------------------------------------------------------------

  /** The index term a word of displayed text stands for (what lunr.py made of it). */
  function termOf(word) {
    var term = wordTerms.get(word);
    if (term === undefined) {
      var s = trimText(foldText(word));
      term = s ? window.lunr.stemmer(new window.lunr.Token(s)).toString() : "";
      wordTerms.set(word, term);
    }
    return term;
  }

  /** Append ``text`` to ``el``, wrapping the words that matched in <mark>. */
  function appendHighlighted(el, text, terms) {
    var plain = "";
    text.split(WORD_SPLIT_RE).forEach(function (chunk) {
      if (!chunk) return;
      var m = /^([^\p{L}\p{N}]*)([\s\S]*?)([^\p{L}\p{N}]*)$/u.exec(chunk);
      if (m && m[2] && terms.has(termOf(chunk))) {
        if (plain + m[1]) el.appendChild(document.createTextNode(plain + m[1]));
        var mark = document.createElement("mark");
        mark.textContent = m[2];
        el.appendChild(mark);
        plain = m[3];
      } else {
        plain += chunk;
      }
    });
    if (plain) el.appendChild(document.createTextNode(plain));
  }

  function formatDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? MONTHS[Number(m[2]) - 1] + " " + Number(m[3]) + ", " + m[1] : "";
  }

  function resultItem(result) {
    var doc = result.doc;
    var terms = new Set(result.terms);
    var li = document.createElement("li");
    li.className = "search-result";
    var link = document.createElement("a");
    link.className = "search-result-link";
    link.href = root + doc.url;
    appendHighlighted(link, doc.title, terms);
    var heading = document.createElement("h2");
    heading.className = "search-result-title";
    heading.appendChild(link);
    li.appendChild(heading);
    var meta = document.createElement("p");
    meta.className = "meta";
    if (doc.date) {
      var time = document.createElement("time");
      time.dateTime = doc.date;
      time.textContent = formatDate(doc.date);
      meta.appendChild(time);
    }
    if (doc.theme) {
      var theme = document.createElement("span");
      theme.className = "search-result-theme";
      theme.textContent = doc.theme;
      meta.appendChild(theme);
    }
    if (meta.childNodes.length) li.appendChild(meta);
    if (doc.snippet) {
      var p = document.createElement("p");
      p.className = "search-result-snippet";
      appendHighlighted(p, doc.snippet, terms);
      li.appendChild(p);
    }
    return li;
  }

  function quoted(q) {
    return "\u201c" + q + "\u201d";
  }

  function describeError(error, q) {
    if (window.lunr && error instanceof window.lunr.QueryParseError) {
      return quoted(q) + " is not a query search understands (" + error.message + "). " +
        "Put a word after a field name (title:loss), or leave out : * ~ ^ + -.";
    }
    return "Search failed: " + (error && error.message ? error.message : String(error));
  }

  function announce(detail) {
    document.dispatchEvent(new CustomEvent("sitegen:search", { detail: detail }));
  }

  /** Run the box's query and show its results (or a message). */
  function update() {
    clearTimeout(timer);
    timer = null;
    var raw = box.value;
    var q = raw.trim();
    var mine = ++generation;
    if (!q) {
      view.clear();
      announce({ query: "", count: 0 });
      return;
    }
    function render(parts) {
      if (mine !== generation) return;
      var results;
      try {
        results = search(parts, raw);
      } catch (error) {
        view.show([], q, describeError(error, q));
        announce({ query: q, count: 0, error: String(error.message || error) });
        return;
      }
      view.show(results, q, null);
      announce({ query: q, count: results.length });
    }
    if (loaded) {
      render(loaded);
      return;
    }
    view.status("Loading search\u2026");
    load().then(
      render,
      function (error) {
        if (mine !== generation) return;
        view.show([], q, "Search could not be loaded (" + error.message + "). Try the archive instead.");
        announce({ query: q, count: 0, error: String(error.message) });
      }
    );
  }

  // ---- the two places results appear --------------------------------------------------------

  /** The search page: results in the page, the query in the address bar. */
  function pageView() {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    return {
      list: list,
      status: function (text) { status.textContent = text; },
      clear: function () {
        status.textContent = "Type in the search box to search every paper.";
        list.replaceChildren();
      },
      show: function (results, q, message) {
        list.replaceChildren.apply(list, results.slice(0, PAGE_LIMIT).map(resultItem));
        if (message) status.textContent = message;
        else if (!results.length) status.textContent = "No results for " + quoted(q) + ".";
        else if (results.length > PAGE_LIMIT)
          status.textContent = "The best " + PAGE_LIMIT + " of " + results.length + " results for " + quoted(q) + ".";
        else status.textContent = results.length + (results.length === 1 ? " result" : " results") + " for " + quoted(q) + ".";
      },
    };
  }

  /** Any other page: a panel under the header box with the best few and a link to the rest. */
  function panelView() {
    var panel = document.createElement("div");
    panel.className = "search-panel";
    panel.id = "search-panel";
    panel.hidden = true;
    var status = document.createElement("p");
    status.className = "search-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var list = document.createElement("ol");
    list.className = "search-results";
    list.setAttribute("aria-label", "Search results");
    var more = document.createElement("a");
    more.className = "search-more";
    panel.append(status, list, more);
    form.appendChild(panel);
    // aria-expanded is not allowed on a plain search box; the panel's status is a live region.
    box.setAttribute("aria-controls", panel.id);
    function open(visible) {
      panel.hidden = !visible;
    }
    return {
      list: list,
      open: open,
      status: function (text) {
        status.textContent = text;
        open(true);
      },
      clear: function () {
        list.replaceChildren();
        status.textContent = "";
        more.hidden = true;
        open(false);
      },
      show: function (results, q, message) {
        list.replaceChildren.apply(list, results.slice(0, PANEL_LIMIT).map(resultItem));
        if (message) status.textContent = message;
        else if (!results.length) status.textContent = "No results for " + quoted(q) + ".";
        else status.textContent = results.length + (results.length === 1 ? " result" : " results") + " for " + quoted(q) + ".";
        more.hidden = results.length <= PANEL_LIMIT;
        more.href = root + "search/?q=" + encodeURIComponent(q);
        more.textContent = "All " + results.length + " results \u2192";
        open(true);
      },
    };
  }

  // ---- history (search page): shareable URLs, Back returns to the previous query --------------

  function urlQuery() {
    return new URLSearchParams(location.search).get("q") || "";
  }

  function urlFor(q) {
    var url = new URL(location.href);
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    return url.href;
  }

  // While typing, the current entry is updated in place; once a query was committed (opened as a
  // URL or submitted with Enter), the next edit starts a new entry, so Back returns to it.
  function recordQuery(commit) {
    var q = box.value.trim();
    var state = history.state || {};
    if (q === urlQuery()) {
      if (commit && !state.committed) history.replaceState({ committed: true }, "", urlFor(q));
      return;
    }
    if (state.committed) history.pushState({ committed: commit }, "", urlFor(q));
    else history.replaceState({ committed: commit }, "", urlFor(q));
  }

  // ---- events -------------------------------------------------------------------------------

  function resultLinks() {
    return Array.prototype.slice.call(view.list.querySelectorAll("a.search-result-link"));
  }

  function isEditable(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  box.addEventListener("focus", function () {
    load().catch(function () {}); // start fetching; errors are reported when a query runs
    if (!onSearchPage && box.value.trim() && view.list.childNodes.length) view.open(true);
  });

  /** Search for what is in the box now (the debounce's work, or done early). */
  function flush() {
    if (onSearchPage) recordQuery(false);
    update();
  }

  box.addEventListener("input", function () {
    var now = Date.now();
    if (!timer) pendingSince = now;
    clearTimeout(timer);
    timer = setTimeout(flush, Math.max(0, Math.min(DEBOUNCE_MS, pendingSince + MAX_WAIT_MS - now)));
  });

  form.addEventListener("submit", function (event) {
    if (!onSearchPage) return; // a plain GET to search/?q=...
    event.preventDefault();
    recordQuery(true);
    update();
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      if (timer && loaded) flush(); // results for what was typed, not for the query before the debounce
      var links = resultLinks();
      if (links.length) {
        event.preventDefault();
        links[0].focus();
      }
    } else if (event.key === "Escape" && !onSearchPage) {
      view.clear();
    }
  });

  view.list.addEventListener("keydown", function (event) {
    var links = resultLinks();
    var i = links.indexOf(document.activeElement);
    if (i < 0) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(i + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (i === 0) box.focus();
      else links[i - 1].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      box.focus();
    }
  });

  if (!onSearchPage) {
    // Close the panel when focus or a click leaves the search form.
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) view.open(false);
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isEditable(event.target)) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  if (onSearchPage) {
    window.addEventListener("popstate", function () {
      box.value = urlQuery();
      update();
    });
    box.value = urlQuery();
    if (box.value.trim()) {
      history.replaceState({ committed: true }, "", location.href);
      update();
    } else {
      view.clear();
      box.focus();
    }
  }

  // For tests and measurements: the same functions the UI uses.
  window.sitegenSearch = { load: load, search: function (raw) { return load().then(function (parts) { return search(parts, raw); }); }, foldText: foldText, trimText: trimText };
})();
