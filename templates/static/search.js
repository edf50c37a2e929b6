// Site search: lunr.js 2.3.9 over the term-sharded index that sitegen/search.py builds.
//
// This file is small and loaded (deferred) on every page; lunr.min.js and the manifest are fetched
// only when the reader starts to search (focus or typing in the header box, or opening
// search/?q=...). A query then fetches only the shards its terms and prefixes fall in, assembles a
// lunr index from them with lunr.Index.load and searches it: the scores are the single index's,
// because a document's score only involves the query's terms. Result text comes from small store
// files fetched for the results on screen; the filters' files only when the filters are opened.
// No inline script anywhere (the Content-Security-Policy forbids it), and paper text only ever
// reaches the page through textContent / text nodes, never innerHTML.
(function () {
  "use strict";

  var box = document.getElementById("site-search-q");
  if (!box || !window.fetch || !window.URL) return;
  var form = box.form;

  // Must match sitegen/search.py (FOLD_LABEL, TRIM_LABEL, STEM_LABEL, _FOLD_EXTRA, trim_text, stem_word):
  // the index's search pipeline names these functions and lunr.Index.load refuses unregistered ones.
  var FOLD_LABEL = "sitegenFold";
  var TRIM_LABEL = "sitegenTrimmer";
  var STEM_LABEL = "sitegenStemmer"; // lunr.js's own stemmer; the index was built with a port of it
  var FOLD_EXTRA = { "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i" };
  var FOLD_EXTRA_RE = /[ßæœøłđðþı]/g;
  var MARKS_RE = /\p{M}/gu;
  var WORD_CHAR_RE = /^[\p{L}\p{N}]$/u;
  var POSSESSIVE_RE = /['\u2019\u02bc]s$/;
  var MAX_WORD = 100; // longer tokens are not words (search.py MAX_WORD)
  // Anything lunr's query parser treats specially; a query without it gets sitegen's friendlier
  // treatment (each word folded, the word being typed also matched as a prefix).
  var SYNTAX_RE = /[:*~^]|(^|\s)[+-]/;
  var WORD_SPLIT_RE = /([\s\-]+)/;
  var SAFE_URL_RE = /^[A-Za-z0-9][A-Za-z0-9._~%\/-]*$/;
  var DEBOUNCE_MS = 100; // while data is still to be fetched, search once typing pauses this long...
  var MAX_WAIT_MS = 300; // ...or at least this often while it goes on
  var PANEL_LIMIT = 8;
  var PAGE_STEP = 20;
  var SNIPPET_LENGTH = 200;
  var MAX_SHARED_POSTINGS = 150000; // above this, an index holds only the shards its query needs
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  var rootMeta = document.querySelector('meta[name="sitegen-root"]');
  var root = rootMeta ? rootMeta.getAttribute("content") : "";
  var manifestUrl = new URL(root + "data/search/manifest.json", document.baseURI).href;
  var lunrUrl = new URL(root + "static/vendor/lunr/lunr.min.js", document.baseURI).href;

  var onSearchPage = !!document.getElementById("search-page");
  var view = onSearchPage ? pageView() : panelView();
  var loading = null; // Promise of the manifest (and lunr), once a search has started
  var manifest = null; // the manifest, once it is here
  var pipeline = null; // the index's search pipeline
  var shardFiles = new Map(); // shard number -> Promise of its decoded body
  var shards = new Map(); // shard number -> decoded body, once here
  var storeFiles = new Map(); // store chunk -> Promise of it
  var indexes = new Map(); // assembled indexes, by the shards they hold
  var facets = null; // Promise of the filter values, once the filters were opened
  var generation = 0; // a later query supersedes the rendering of an earlier one
  var timer = null;
  var pendingSince = 0;
  var termCache = new Map();
  var current = { query: "", results: [], shown: 0 }; // what is on screen
  var filters = { theme: "", organization: "", year: "" };

  // ---- normalization shared with lunr.py --------------------------------------------------

  function foldText(text) {
    return text
      .toLowerCase()
      .normalize("NFKD")
      .replace(MARKS_RE, "")
      .replace(FOLD_EXTRA_RE, function (ch) { return FOLD_EXTRA[ch]; });
  }

  function isWordChar(ch) {
    return WORD_CHAR_RE.test(ch);
  }

  /** [start, end) of ``text`` without the punctuation at its ends; a scan from each end (linear). */
  function wordEdges(text) {
    var start = 0;
    var end = text.length;
    while (start < end) {
      var cp = text.codePointAt(start);
      var ch = String.fromCodePoint(cp);
      if (isWordChar(ch)) break;
      start += ch.length;
    }
    while (end > start) {
      var low = text.charCodeAt(end - 1);
      var size = low >= 0xdc00 && low < 0xe000 && end - 2 >= start ? 2 : 1;
      if (isWordChar(text.slice(end - size, end))) break;
      end -= size;
    }
    return [start, end];
  }

  function codePointLength(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (!(c >= 0xdc00 && c < 0xe000)) n++;
    }
    return n;
  }

  function trimText(text) {
    if (text.length > MAX_WORD && codePointLength(text) > MAX_WORD) return "";
    var edges = wordEdges(text);
    return text.slice(edges[0], edges[1]);
  }

  function stripPossessive(word) {
    return word.length > 2 && POSSESSIVE_RE.test(word) ? trimText(word.slice(0, -2)) : word;
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
    var stem = function (token) {
      token.update(function (s) { return stripPossessive(s); });
      return token.toString() ? lunr.stemmer(token) : undefined;
    };
    lunr.Pipeline.registerFunction(fold, FOLD_LABEL);
    lunr.Pipeline.registerFunction(trim, TRIM_LABEL);
    lunr.Pipeline.registerFunction(stem, STEM_LABEL);
  }

  // Python sorts the terms by code point; JavaScript compares UTF-16 units, which differs only for
  // characters past U+FFFF against U+E000-U+FFFF.
  function compare(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i);
      var y = b.charCodeAt(i);
      if (x === y) continue;
      var sx = x >= 0xd800 && x < 0xe000;
      var sy = y >= 0xd800 && y < 0xe000;
      if (sx !== sy) return sx ? 1 : -1;
      return x - y;
    }
    return a.length - b.length;
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

  /** Fetch lunr and the manifest (once; retried after a failure). */
  function load() {
    if (!loading) {
      loading = Promise.all([loadScript(lunrUrl), fetchJSON(manifestUrl)])
        .then(function (got) {
          var data = got[1];
          if (data.format !== 2) throw new Error("unknown search data format " + data.format);
          registerPipeline(got[0]);
          pipeline = got[0].Pipeline.load(data.pipeline);
          manifest = data;
          return data;
        })
        .catch(function (error) {
          loading = null;
          throw error;
        });
    }
    return loading;
  }

  /** A shard's postings, decoded once: terms with their lunr postings, and field vector entries. */
  function decodeShard(body) {
    var fields = manifest.fields;
    var scale = body.d;
    var terms = [];
    var vectors = []; // [position, field number, term index, score], in no particular order
    body.t.forEach(function (entry) {
      var term = entry[0];
      var index = entry[1];
      var posting = { _index: index };
      for (var f = 0; f < fields.length; f++) {
        var flat = entry[2 + f];
        var refs = [];
        var position = 0;
        for (var k = 0; k < flat.length; k += 2) {
          position += flat[k];
          var score = scale === 1 ? flat[k + 1] : flat[k + 1] / scale;
          refs.push(position.toString(36));
          vectors.push([position, f, index, score]);
        }
        // The single index's JSON lists refs sorted as strings: the same order breaks ties the same way.
        refs.sort();
        var byRef = {};
        refs.forEach(function (r) { byRef[r] = {}; });
        posting[fields[f]] = byRef;
      }
      terms.push([term, posting]);
    });
    return { terms: terms, vectors: vectors, words: body.w || [], top: body.top || {} };
  }

  function loadShard(n) {
    if (!shardFiles.has(n)) {
      var promise = fetchJSON(new URL(manifest.shards[n][1], manifestUrl).href).then(function (body) {
        var shard = decodeShard(body);
        shards.set(n, shard);
        return shard;
      });
      promise.catch(function () { shardFiles.delete(n); });
      shardFiles.set(n, promise);
    }
    return shardFiles.get(n);
  }

  function loadStore(chunk) {
    if (!storeFiles.has(chunk)) {
      var promise = fetchJSON(new URL("store/" + chunk + ".json", manifestUrl).href);
      promise.catch(function () { storeFiles.delete(chunk); });
      storeFiles.set(chunk, promise);
    }
    return storeFiles.get(chunk);
  }

  /** The store records of ``results`` (fetched for these only), attached as result.doc. */
  function attachDocs(results) {
    var size = manifest.store;
    return Promise.all(
      results.map(function (result) {
        return loadStore(Math.floor(parseInt(result.ref, 36) / size)).then(function (chunk) {
          result.doc = chunk[result.ref] || null;
        });
      })
    );
  }

  // ---- which shards a query needs ------------------------------------------------------------

  /** The shard a term falls in: the last one whose boundary is <= term. */
  function shardOf(term) {
    var list = manifest.shards;
    var lo = 0;
    var hi = list.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (compare(list[mid][0], term) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The shards holding the terms that begin with ``prefix``. */
  function shardsOfPrefix(prefix) {
    var first = shardOf(prefix);
    var out = [first];
    for (var n = first + 1; n < manifest.shards.length && manifest.shards[n][0].startsWith(prefix); n++) out.push(n);
    return out;
  }

  function allShards() {
    return manifest.shards.map(function (_, n) { return n; });
  }

  /** The terms of ``shard`` that begin with ``prefix``, and the stems of its words that do. */
  function completionsIn(shard, prefix) {
    var found = new Set();
    var terms = shard.terms;
    var lo = 0;
    var hi = terms.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (compare(terms[mid][0], prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (var i = lo; i < terms.length && terms[i][0].startsWith(prefix); i++) found.add(terms[i][0]);
    var words = shard.words;
    lo = 0;
    hi = words.length;
    while (lo < hi) {
      var m = (lo + hi) >> 1;
      if (compare(words[m][0], prefix) < 0) lo = m + 1;
      else hi = m;
    }
    for (var j = lo; j < words.length && words[j][0].startsWith(prefix); j++) found.add(words[j][1]);
    return Array.from(found);
  }

  /**
   * An index of these shards (assembled once, then reused). While few postings are loaded, it holds
   * every loaded shard instead: the extra terms change no score (a prefix's terms are all in the
   * shards of its range, which are needed anyway), and the next keystrokes find it ready.
   */
  function indexOf(numbers, everyDocument) {
    var loadedPostings = 0;
    shards.forEach(function (shard) { loadedPostings += shard.vectors.length; });
    if (!everyDocument && loadedPostings <= MAX_SHARED_POSTINGS) numbers = Array.from(shards.keys());
    numbers = Array.from(new Set(numbers)).sort(function (a, b) { return a - b; });
    var key = numbers.join(",") + (everyDocument ? "+all" : "");
    var cached = indexes.get(key);
    if (cached) return cached;
    var fields = manifest.fields;
    var inverted = [];
    var byField = new Map();
    numbers.forEach(function (n) {
      var shard = shards.get(n);
      Array.prototype.push.apply(inverted, shard.terms);
      shard.vectors.forEach(function (v) {
        var key2 = v[0] * fields.length + v[1];
        var list = byField.get(key2);
        if (!list) byField.set(key2, (list = []));
        list.push(v[2], v[3]);
      });
    });
    if (everyDocument) {
      // A query of only -word clauses returns every document lunr has a field vector for.
      for (var k = 0; k < manifest.papers * fields.length; k++) if (!byField.has(k)) byField.set(k, []);
    }
    var keys = Array.from(byField.keys()).sort(function (a, b) { return a - b; });
    var fieldVectors = keys.map(function (k2) {
      var flat = byField.get(k2);
      var pairs = [];
      for (var i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      pairs.sort(function (a, b) { return a[0] - b[0]; });
      var elements = [];
      pairs.forEach(function (p) { elements.push(p[0], p[1]); });
      var position = Math.floor(k2 / fields.length);
      return [fields[k2 % fields.length] + "/" + position.toString(36), elements];
    });
    var index = window.lunr.Index.load({
      version: manifest.lunr,
      fields: fields,
      fieldVectors: fieldVectors,
      invertedIndex: inverted,
      pipeline: manifest.pipeline,
    });
    if (indexes.size > 50) indexes.clear();
    indexes.set(key, index);
    return index;
  }

  /** The shards a lunr query string needs (its terms through the pipeline; prefixes; all for fuzzy). */
  function syntaxShards(raw) {
    var lunr = window.lunr;
    var query = new lunr.Query(manifest.fields);
    new lunr.QueryParser(raw, query).parse(); // may throw lunr.QueryParseError
    var needed = [];
    query.clauses.forEach(function (clause) {
      var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
      terms.forEach(function (term) {
        var star = term.indexOf("*");
        if (clause.editDistance || star === 0) needed = needed.concat(allShards());
        else if (star > 0) needed = needed.concat(shardsOfPrefix(term.slice(0, star)));
        else needed.push(shardOf(term));
      });
    });
    var negated = query.clauses.length > 0 && query.clauses.every(function (c) {
      return c.presence === lunr.Query.presence.PROHIBITED;
    });
    return { needed: needed, negated: negated };
  }

  function missing(numbers) {
    return numbers.filter(function (n) { return !shards.has(n); });
  }

  /**
   * Search now if every shard the query needs is here: {results} (best first), or {missing: [shards]};
   * with ``planOnly``, {} instead of the results.
   * Results: {ref, score, terms (matched index terms)}.
   */
  function attempt(raw, planOnly) {
    var lunr = window.lunr;
    if (!manifest.shards.length) return planOnly ? {} : { results: [] }; // a site with no papers
    if (SYNTAX_RE.test(raw)) {
      var plan = syntaxShards(raw);
      var lacking = missing(plan.needed);
      if (lacking.length) return { missing: lacking };
      if (planOnly) return {};
      var found = indexOf(plan.needed, plan.negated).search(raw);
      return { results: found.map(toResult) };
    }
    var words = raw.split(lunr.tokenizer.separator).map(function (w) { return trimText(foldText(w)); });
    words = words.filter(Boolean);
    if (!words.length) return { results: [] };
    var typing = !/[\s\-]$/.test(raw); // the last word may be unfinished
    var wordTerms = words.map(function (w) { return pipeline.runString(w); });
    var needed = [];
    wordTerms.forEach(function (terms) { terms.forEach(function (t) { needed.push(shardOf(t)); }); });
    var prefix = typing ? stripPossessive(words[words.length - 1]) : "";
    var completions = [];
    if (prefix.length >= manifest.minPrefix) {
      var span = shardsOfPrefix(prefix);
      needed.push(span[0]);
      var lack = missing(needed);
      if (lack.length) return { missing: lack };
      var holder = shards.get(span[0]);
      // Within one shard every completion is known; over several, the build listed the most frequent.
      completions = span.length === 1 ? completionsIn(holder, prefix) : holder.top[prefix] || [];
      completions.forEach(function (t) { needed.push(shardOf(t)); });
    }
    var lacking2 = missing(needed);
    if (lacking2.length) return { missing: lacking2 };
    if (planOnly) return {};
    var index = indexOf(needed, false);
    var found2 = index.query(function (q) {
      words.forEach(function (word) {
        q.term(word, { boost: 10 }); // through the search pipeline: folded, trimmed, stemmed
      });
      completions.forEach(function (term) {
        q.term(term, { usePipeline: false });
      });
    });
    if (completions.length) wordTerms[wordTerms.length - 1] = wordTerms[wordTerms.length - 1].concat(completions);
    // Papers with every word first, then those with fewer; lunr's score within each group.
    var sets = wordTerms.map(function (terms) { return new Set(terms); }).filter(function (set) {
      return Array.from(set).some(function (t) { return index.invertedIndex[t]; });
    });
    var results = found2.map(toResult);
    results.forEach(function (r) {
      r.words = sets.filter(function (set) { return r.terms.some(function (t) { return set.has(t); }); }).length;
    });
    results.sort(function (a, b) { return b.words - a.words || b.score - a.score; });
    return { results: results };
  }

  function toResult(result) {
    return { ref: result.ref, score: result.score, terms: Object.keys(result.matchData.metadata) };
  }

  /** Promise of the results for ``raw``, fetching what it needs (at most a few rounds). */
  function search(raw) {
    return load().then(function () {
      var rounds = 0;
      function step() {
        var got = attempt(raw);
        if (!got.missing) return got.results;
        if (++rounds > 4) throw new Error("search data incomplete");
        return Promise.all(got.missing.map(loadShard)).then(step);
      }
      return step();
    });
  }

  // ---- rendering ----------------------------------------------------------------------------

  /** The index term a word of displayed text stands for (what the pipeline makes of it). */
  function termOf(word) {
    var term = termCache.get(word);
    if (term === undefined) {
      term = pipeline.runString(word)[0] || "";
      if (termCache.size > 20000) termCache.clear();
      termCache.set(word, term);
    }
    return term;
  }

  /** Append ``text`` to ``el``, wrapping the words that matched in <mark> (text nodes only). */
  function appendHighlighted(el, text, terms) {
    var plain = "";
    text.split(WORD_SPLIT_RE).forEach(function (chunk) {
      if (!chunk) return;
      var edges = wordEdges(chunk);
      if (edges[1] > edges[0] && terms.has(termOf(chunk))) {
        var before = plain + chunk.slice(0, edges[0]);
        if (before) el.appendChild(document.createTextNode(before));
        var mark = document.createElement("mark");
        mark.textContent = chunk.slice(edges[0], edges[1]);
        el.appendChild(mark);
        plain = chunk.slice(edges[1]);
      } else {
        plain += chunk;
      }
    });
    if (plain) el.appendChild(document.createTextNode(plain));
  }

  /** The passage of ``text`` with the most distinct matched terms, about SNIPPET_LENGTH long. */
  function snippetOf(text, terms) {
    if (text.length <= SNIPPET_LENGTH) return text;
    var hits = [];
    var offset = 0;
    text.split(WORD_SPLIT_RE).forEach(function (chunk) {
      if (hits.length < 300 && chunk && !/^[\s\-]+$/.test(chunk)) {
        var term = termOf(chunk);
        if (terms.has(term)) hits.push([offset, term]);
      }
      offset += chunk.length;
    });
    var start = 0;
    var best = -1;
    for (var i = 0; i < hits.length; i++) {
      var seen = new Set();
      for (var j = i; j < hits.length && hits[j][0] < hits[i][0] + SNIPPET_LENGTH - 40; j++) seen.add(hits[j][1]);
      if (seen.size > best) {
        best = seen.size;
        start = hits[i][0];
      }
    }
    // Some context before the first matched word, cut at a space.
    if (start > 0) {
      var from = Math.max(0, start - 40);
      var space = text.indexOf(" ", from);
      start = space >= 0 && space < start ? space + 1 : from;
    }
    var end = Math.min(text.length, start + SNIPPET_LENGTH);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      if (cut > start + SNIPPET_LENGTH / 2) end = cut;
    }
    return (start > 0 ? "\u2026" : "") + text.slice(start, end) + (end < text.length ? "\u2026" : "");
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
      theme.textContent = doc.theme; // not highlighted: <mark> on the muted meta line is too faint
      meta.appendChild(theme);
    }
    if (meta.childNodes.length) li.appendChild(meta);
    if (doc.abstract) {
      var p = document.createElement("p");
      p.className = "search-result-snippet";
      appendHighlighted(p, snippetOf(doc.abstract, terms), terms);
      li.appendChild(p);
    }
    return li;
  }

  /** Results with their store records, the ones whose record is missing or unsafe left out. */
  function withDocs(results) {
    return attachDocs(results).then(function () {
      // Only site-relative paths become links (defence in depth: sitegen writes slugs, never a scheme).
      return results.filter(function (r) { return r.doc && SAFE_URL_RE.test(r.doc.url); });
    });
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

  // ---- filters (search page) ---------------------------------------------------------------

  /** Promise of {name: {labels: [...], of: Map(position -> label number)}} (fetched on first use). */
  function loadFacets() {
    if (!facets) {
      facets = load().then(function () {
        var names = Object.keys(manifest.facets);
        return Promise.all(names.map(function (name) {
          return fetchJSON(new URL(manifest.facets[name], manifestUrl).href);
        })).then(function (files) {
          var out = {};
          names.forEach(function (name, i) {
            var of = new Map();
            var labels = files[i].map(function (entry, n) {
              var position = 0;
              entry[1].forEach(function (delta) { position += delta; of.set(position, n); });
              return entry[0];
            });
            out[name] = { labels: labels, of: of };
          });
          return out;
        });
      });
      facets.catch(function () { facets = null; });
    }
    return facets;
  }

  var facetData = null; // the loaded filter values, once the filters were opened

  function passes(result, except) {
    if (!facetData) return true;
    var position = parseInt(result.ref, 36);
    return Object.keys(filters).every(function (name) {
      if (name === except || !filters[name] || !facetData[name]) return true;
      var n = facetData[name].of.get(position);
      return n !== undefined && facetData[name].labels[n] === filters[name];
    });
  }

  function filtered(results) {
    return results.filter(function (r) { return passes(r, null); });
  }

  /** Fill the filter menus with the values of the current results and their counts. */
  function renderFilters() {
    if (!facetData) return;
    Object.keys(filters).forEach(function (name) {
      var select = document.getElementById("search-filter-" + name);
      if (!select || !facetData[name]) return;
      var counts = new Map();
      current.results.forEach(function (r) {
        if (!passes(r, name)) return;
        var n = facetData[name].of.get(parseInt(r.ref, 36));
        if (n !== undefined) counts.set(n, (counts.get(n) || 0) + 1);
      });
      var options = [new Option(select.getAttribute("data-any"), "")];
      facetData[name].labels.forEach(function (label, n) {
        var count = counts.get(n) || 0;
        if (count || label === filters[name]) options.push(new Option(label + " (" + count + ")", label));
      });
      select.replaceChildren.apply(select, options);
      select.value = filters[name];
    });
  }

  /** Run the box's query and show its results (or a message); earlier results stay until then. */
  function update() {
    clearTimeout(timer);
    timer = null;
    var raw = box.value;
    var q = raw.trim();
    var mine = ++generation;
    if (!q) {
      current = { query: "", results: [], shown: 0 };
      view.clear();
      announce({ query: "", count: 0 });
      return;
    }
    if (!view.list.childNodes.length) view.status("Searching\u2026");
    var found;
    try {
      found = manifest ? attempt(raw) : { missing: [] };
    } catch (error) {
      fail(error);
      return;
    }
    var results = found.missing ? search(raw) : Promise.resolve(found.results);
    results.then(
      function (all) {
        if (mine !== generation) return;
        current = { query: q, results: all, shown: 0 };
        show(mine, view.step);
      },
      function (error) {
        if (mine === generation) fail(error);
      }
    );
    function fail(error) {
      current = { query: q, results: [], shown: 0 };
      var message = window.lunr && error instanceof window.lunr.QueryParseError
        ? describeError(error, q)
        : manifest ? describeError(error, q) : "Search could not be loaded (" + error.message + "). Try the archive instead.";
      view.show([], 0, q, message);
      announce({ query: q, count: 0, error: String(error.message || error) });
    }
  }

  /** Show the first ``count`` of the current (filtered) results, fetching their text first. */
  function show(mine, count) {
    var list = filtered(current.results);
    var q = current.query;
    withDocs(list.slice(0, count)).then(
      function (visible) {
        if (mine !== generation) return;
        current.shown = count;
        view.show(visible, list.length, q, null);
        renderFilters();
        announce({ query: q, count: list.length });
      },
      function (error) {
        if (mine !== generation) return;
        view.show([], 0, q, describeError(error, q));
        announce({ query: q, count: 0, error: String(error.message || error) });
      }
    );
  }

  // ---- the two places results appear --------------------------------------------------------

  function countText(total, q) {
    return total + (total === 1 ? " result" : " results") + " for " + quoted(q) + ".";
  }

  /** The search page: results in the page, the query in the address bar, filters, more on demand. */
  function pageView() {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-show-more");
    var panel = document.getElementById("search-filters");
    if (more) {
      more.addEventListener("click", function () {
        show(generation, current.shown + PAGE_STEP);
      });
    }
    if (panel) {
      panel.addEventListener("toggle", function () {
        if (!panel.open) return;
        loadFacets().then(function (data) {
          facetData = data;
          renderFilters();
        }, function () {});
      });
      panel.addEventListener("change", function (event) {
        var name = event.target.getAttribute("data-facet");
        if (!name) return;
        filters[name] = event.target.value;
        show(generation, PAGE_STEP);
      });
    }
    return {
      list: list,
      step: PAGE_STEP,
      status: function (text) { status.textContent = text; },
      clear: function () {
        status.textContent = "Type in the search box to search every paper.";
        list.replaceChildren();
        if (more) more.hidden = true;
        if (panel) panel.hidden = true;
      },
      show: function (results, total, q, message) {
        list.replaceChildren.apply(list, results.map(resultItem));
        if (message) status.textContent = message;
        else if (!total) status.textContent = "No results for " + quoted(q) + ".";
        else if (total > results.length)
          status.textContent = countText(total, q).replace(/\.$/, "") + ", the best " + results.length + " shown.";
        else status.textContent = countText(total, q);
        if (more) more.hidden = !(total > results.length);
        if (panel) panel.hidden = !current.results.length;
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
      step: PANEL_LIMIT,
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
      show: function (results, total, q, message) {
        list.replaceChildren.apply(list, results.map(resultItem));
        if (message) status.textContent = message;
        else if (!total) status.textContent = "No results for " + quoted(q) + ".";
        else status.textContent = countText(total, q);
        more.hidden = total <= results.length;
        more.href = root + "search/?q=" + encodeURIComponent(q);
        more.textContent = "All " + total + " results \u2192";
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
    // Once the shards the query needs are here, searching is quick: no debounce. Once results are
    // on screen, the few small files a keystroke may still need are fetched right away.
    if (manifest) {
      var ready = !!current.results.length;
      try {
        ready = ready || !attempt(box.value, true).missing;
      } catch (error) {
        ready = false; // a query lunr cannot parse yet: the debounced search reports it
      }
      if (ready) {
        flush();
        return;
      }
    }
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
      if (timer && manifest) flush(); // results for what was typed, not for the query before the debounce
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
  window.sitegenSearch = {
    load: load,
    search: search,
    foldText: foldText,
    trimText: trimText,
    // The index assembled from every shard, what the single index would be (for tests).
    fullIndex: function () {
      return load().then(function () {
        return Promise.all(allShards().map(loadShard)).then(function () { return indexOf(allShards(), true); });
      });
    },
    shardsLoaded: function () { return Array.from(shards.keys()); },
    // lunr's own search of ``raw`` on an index of only the shards it needs (for tests).
    lunrSearch: function (raw) {
      return load().then(function () {
        var plan = syntaxShards(raw);
        return Promise.all(plan.needed.map(loadShard)).then(function () {
          return indexOf(plan.needed, plan.negated).search(raw).map(function (r) { return { ref: r.ref, score: r.score }; });
        });
      });
    },
  };
})();
