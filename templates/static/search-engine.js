// Site search, the engine: lunr.js 2.3.9's pipeline and query language over the term-sharded index
// that sitegen/search.py builds.
//
// static/search.js (on every page) loads this file when the reader starts to search (focus or
// typing in the header box); the search page loads it directly. It fetches lunr.min.js and the
// manifest, then for each query only the shards its terms and prefixes fall in. A query is scored
// from those shards' postings by `execute`, lunr's Index#query step for step (the same clauses,
// expansions, query vectors and sums in the same order), without lunr's per-document objects:
// the scores and the order, ties included, are the single index's, because a document's score
// only involves the query's terms. Result text comes from small store files fetched for the
// results on screen; the filters' files only when the filters are opened. No inline script
// anywhere (the Content-Security-Policy forbids it), and paper text only ever reaches the page
// through textContent / text nodes, never innerHTML.
(function () {
  "use strict";

  var box = document.getElementById("site-search-q");
  if (!box || !window.fetch || !window.URL) return;
  var form = box.form;

  // Must match sitegen/search.py (FOLD_LABEL, TRIM_LABEL, STEM_LABEL, _FOLD_EXTRA, trim_text, stem_word):
  // the index's search pipeline names these functions and lunr.Pipeline.load refuses unregistered ones.
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
  var CACHED_RESULTS = 200000; // results kept for the last queries (Backspace, retyping), in all
  var DIGITS_RE = /^[0-9]+$/;
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
  var postings = new Map(); // term -> {term, index, pos: [Int32Array per field], score: [Float64Array per field]}
  var tokenSets = new Map(); // lunr.TokenSet of the loaded terms with a prefix (wildcards, fuzzy)
  var answers = new Map(); // query -> its results, for the last queries (CACHED_RESULTS)
  var answered = 0; // results held in ``answers``
  var storeFiles = new Map(); // store chunk -> Promise of it
  var facets = null; // Promise of the filter values, once the filters were opened
  var generation = 0; // a later query supersedes the rendering of an earlier one
  var timer = null;
  var pendingSince = 0;
  var termCache = new Map();
  var current = { query: "", results: new Matches(0, null, false), shown: 0 }; // what is on screen
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

  /**
   * A shard's postings, decoded once into typed arrays (in ``postings``): for each term and field,
   * the positions of its papers, ascending, and the term's score in each (the field vector entry).
   * The shard keeps its sorted term names, its words (word -> stem) and the build's completions.
   */
  function decodeShard(body) {
    var count = manifest.fields.length;
    var scale = body.d;
    var names = [];
    body.t.forEach(function (entry) {
      var pos = [];
      var score = [];
      for (var f = 0; f < count; f++) {
        var flat = entry[2 + f];
        var n = flat.length >> 1;
        var p = new Int32Array(n);
        var w = new Float64Array(n);
        var position = 0;
        for (var k = 0; k < n; k++) {
          position += flat[2 * k];
          p[k] = position;
          w[k] = scale === 1 ? flat[2 * k + 1] : flat[2 * k + 1] / scale;
        }
        pos.push(p);
        score.push(w);
      }
      names.push(entry[0]);
      postings.set(entry[0], { term: entry[0], index: entry[1], pos: pos, score: score });
    });
    return { names: names, words: body.w || [], top: body.top || {}, lunr: null };
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
    var terms = shard.names;
    var lo = 0;
    var hi = terms.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (compare(terms[mid], prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (var i = lo; i < terms.length && terms[i].startsWith(prefix); i++) found.add(terms[i]);
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

  // ---- lunr's query, scored from the postings -------------------------------------------------

  /** The loaded terms that begin with ``prefix``, in index order (shards are loaded whole, in order). */
  function loadedTerms(prefix) {
    var out = [];
    Array.from(shards.keys()).sort(function (a, b) { return a - b; }).forEach(function (n) {
      shards.get(n).names.forEach(function (term) {
        if (term.startsWith(prefix)) out.push(term);
      });
    });
    return out;
  }

  /**
   * The index terms a clause's ``term`` stands for, in the order lunr's tokenSet.intersect().toArray()
   * gives them. A plain term is itself or nothing; for a wildcard or fuzzy term lunr's own TokenSet
   * intersection runs on the loaded terms of its prefix, whose shards the query has loaded (all of
   * them for a leading wildcard or fuzzy term), so it finds the same terms in the same order.
   */
  function expand(clause, term) {
    var lunr = window.lunr;
    var fuzzy = "editDistance" in clause;
    var star = term.indexOf("*");
    if (!fuzzy && star < 0) return postings.has(term) ? [term] : [];
    var prefix = fuzzy ? "" : term.slice(0, star);
    var key = prefix + "\u0000" + shards.size;
    var set = tokenSets.get(key);
    if (!set) {
      set = lunr.TokenSet.fromArray(loadedTerms(prefix));
      if (tokenSets.size > 8) tokenSets.clear();
      tokenSets.set(key, set);
    }
    var wanted = { term: term };
    if (fuzzy) wanted.editDistance = clause.editDistance;
    return set.intersect(lunr.TokenSet.fromClause(wanted)).toArray();
  }

  /** Is ``position`` in the ascending ``list``? */
  function has(list, position) {
    var lo = 0;
    var hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] < position) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo] === position;
  }

  // Sets of papers as lunr.Set does them: COMPLETE, EMPTY, or a Uint8Array (1 = in the set).
  var COMPLETE = "complete";
  var EMPTY = "empty";

  function intersect(a, b) {
    if (a === COMPLETE) return b;
    if (b === COMPLETE) return a;
    if (a === EMPTY || b === EMPTY) return EMPTY;
    var out = new Uint8Array(a.length);
    for (var i = 0; i < a.length; i++) out[i] = a[i] & b[i];
    return out;
  }

  function unionPositions(set, list) {
    if (set === COMPLETE) return set;
    var out = set === EMPTY ? new Uint8Array(manifest.papers) : set;
    for (var i = 0; i < list.length; i++) out[list[i]] = 1;
    return out;
  }

  function union(a, b) {
    if (a === COMPLETE || b === COMPLETE) return COMPLETE;
    if (a === EMPTY) return b;
    if (b === EMPTY) return a;
    var out = new Uint8Array(a.length);
    for (var i = 0; i < a.length; i++) out[i] = a[i] | b[i];
    return out;
  }

  function contains(set, position) {
    return set === COMPLETE || (set !== EMPTY && set[position] === 1);
  }

  var refText = []; // position -> its ref (base 36), as made
  var refIsNumber = []; // position -> whether the ref is all digits (an integer-like object key)

  function refOf(position) {
    var r = refText[position];
    if (r === undefined) {
      r = refText[position] = position.toString(36);
      refIsNumber[position] = DIGITS_RE.test(r);
    }
    return r;
  }

  /**
   * The order of two papers' refs in Object.keys() of a lunr posting: integer-like keys first,
   * ascending, then the others in the order of the index's JSON (sorted as strings).
   */
  function keyOrder(a, b) {
    var ra = refOf(a);
    var rb = refOf(b);
    var na = refIsNumber[a];
    var nb = refIsNumber[b];
    if (na !== nb) return na ? -1 : 1;
    if (na) return Number(ra) - Number(rb);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  }

  /**
   * What lunr.Index#query returns for ``query`` (a lunr.Query) on the single index: the same
   * clauses, term expansions, query vectors, per-field dot products summed in the order lunr sums
   * them, the same required and prohibited sets; results in lunr's order (score, then the order in
   * which lunr first met each paper, which its stable sort keeps). Nothing per paper but typed
   * arrays and one result object, where lunr makes several objects per matching (paper, field).
   * ``groups`` (optional): lists of terms; each result's ``words`` counts the lists it has a term of.
   * Results: {ref, position, score, words, match}; ``match.termsOf(position)`` the matched terms.
   */
  function execute(query, groups) {
    var lunr = window.lunr;
    var fields = manifest.fields;
    var count = fields.length;
    var papers = manifest.papers;
    var presence = lunr.Query.presence;
    var vectors = fields.map(function () { return new Map(); }); // per field: term index -> boost
    var entries = new Map(); // term index -> postings entry
    var steps = []; // [entry, field]: lunr's matchingFields, in the order it first fills them
    var stepped = new Set();
    var matched = []; // [entry, fields]: the terms a paper's match data may hold
    var required = new Array(count);
    var prohibited = new Array(count);
    query.clauses.forEach(function (clause) {
      var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
      var numbers = clause.fields.map(function (name) { return fields.indexOf(name); });
      var clauseMatches = EMPTY;
      for (var m = 0; m < terms.length; m++) {
        var expanded = expand(clause, terms[m]);
        if (!expanded.length && clause.presence === presence.REQUIRED) {
          numbers.forEach(function (f) { required[f] = EMPTY; });
          break;
        }
        expanded.forEach(function (term) {
          var entry = postings.get(term);
          if (clause.presence !== presence.PROHIBITED) matched.push([entry, numbers]);
          numbers.forEach(function (f) {
            if (clause.presence === presence.REQUIRED) {
              clauseMatches = unionPositions(clauseMatches, entry.pos[f]);
              if (required[f] === undefined) required[f] = COMPLETE;
            }
            if (clause.presence === presence.PROHIBITED) {
              prohibited[f] = unionPositions(prohibited[f] === undefined ? EMPTY : prohibited[f], entry.pos[f]);
              return;
            }
            var vector = vectors[f];
            vector.set(entry.index, vector.has(entry.index) ? vector.get(entry.index) + clause.boost : clause.boost);
            entries.set(entry.index, entry);
            var key = term + "/" + f;
            if (stepped.has(key)) return;
            stepped.add(key);
            steps.push([entry, f]);
          });
        });
      }
      if (clause.presence === presence.REQUIRED) {
        // (lunr itself throws here when the pipeline left no term; no paper matches such a clause)
        numbers.forEach(function (f) {
          required[f] = intersect(required[f] === undefined ? COMPLETE : required[f], clauseMatches);
        });
      }
    });
    var allRequired = COMPLETE;
    var allProhibited = EMPTY;
    for (var f = 0; f < count; f++) {
      if (required[f] !== undefined) allRequired = intersect(allRequired, required[f]);
      if (prohibited[f] !== undefined) allProhibited = union(allProhibited, prohibited[f]);
    }
    var match = {
      termsOf: function (position) {
        var found = new Set();
        matched.forEach(function (pair) {
          pair[1].forEach(function (f) {
            if (has(pair[0].pos[f], position)) found.add(pair[0].term);
          });
        });
        return Array.from(found);
      },
    };
    var buffers = scratch(papers, count);
    var words = null;
    if (groups) {
      // (every paper counted here is one lunr meets: a group's terms are terms of the clauses)
      words = buffers.words;
      var mark = buffers.mark;
      groups.forEach(function (terms, g) {
        terms.forEach(function (term) {
          var entry = postings.get(term);
          if (!entry) return;
          for (var f = 0; f < count; f++) {
            var list = entry.pos[f];
            for (var i = 0; i < list.length; i++) {
              var d = list[i];
              if (mark[d] !== g + 1) {
                mark[d] = g + 1;
                words[d]++;
              }
            }
          }
        });
      });
    }
    if (query.isNegated()) {
      // lunr scores every field vector of the index (0: the query vector is empty), paper by paper.
      var all = new Matches(papers, match, false);
      for (var p = 0; p < papers; p++) {
        if (contains(allRequired, p) && !contains(allProhibited, p)) all.add(p, 0, p, 0);
      }
      buffers.clean = !groups; // (a query of -words only comes with no groups: nothing written)
      return all;
    }
    // The query's norm, per field: lunr's Vector#magnitude, over the entries in term index order.
    var termOrders = vectors.map(function (vector) {
      return Array.from(vector.keys()).sort(function (a, b) { return a - b; });
    });
    var norms = vectors.map(function (vector, f) {
      var sum = 0;
      termOrders[f].forEach(function (t) {
        var value = vector.get(t);
        sum += value * value;
      });
      return Math.sqrt(sum);
    });
    // Dot products per (paper, field), the query's terms taken in term index order as Vector#dot does.
    var dots = buffers.dots;
    vectors.forEach(function (vector, f) {
      termOrders[f].forEach(function (t) {
        var q = vector.get(t);
        var list = entries.get(t).pos[f];
        var scores = entries.get(t).score[f];
        for (var i = 0; i < list.length; i++) dots[list[i] * count + f] += q * scores[i];
      });
    });
    // The step at which lunr first met each (paper, field), and each paper.
    var first = buffers.first;
    var firstOfPaper = buffers.firstOfPaper;
    var met = [];
    for (var s = 0; s < steps.length; s++) {
      var list = steps[s][0].pos[steps[s][1]];
      var field = steps[s][1];
      for (var i = 0; i < list.length; i++) {
        var d = list[i];
        var slot = d * count + field;
        if (first[slot]) continue;
        first[slot] = s + 1;
        if (!firstOfPaper[d]) {
          firstOfPaper[d] = s + 1;
          met.push(d);
        }
      }
    }
    // A paper's score: its fields' similarities added up in the order lunr met them.
    var results = new Matches(met.length, match, !!groups);
    var requiredAll = allRequired !== COMPLETE;
    var prohibitedAny = allProhibited !== EMPTY;
    for (var m = 0; m < met.length; m++) {
      var doc = met[m];
      if ((requiredAll && !contains(allRequired, doc)) || (prohibitedAny && contains(allProhibited, doc))) continue;
      var base = doc * count;
      var score = 0;
      var after = 0;
      for (var k = 0; k < count; k++) {
        var next = -1;
        for (var f2 = 0; f2 < count; f2++) {
          var at = first[base + f2];
          if (at > after && (next < 0 || at < first[base + next])) next = f2;
        }
        if (next < 0) break;
        after = first[base + next];
        var similarity = dots[base + next] / norms[next] || 0;
        score = k === 0 ? similarity : score + similarity;
      }
      results.add(doc, score, firstOfPaper[doc], words ? words[doc] : 0);
    }
    release(buffers, met);
    return results;
  }

  /**
   * A query's results, in the order lunr met them, as typed arrays (a keystroke at 20,000 papers may
   * match 20,000): positions, scores, where lunr first met each (``steps``, for ties) and, for a
   * plain query, how many of its words each has. ``ranking``: their numbers best first, once sorted.
   */
  function Matches(capacity, match, counted) {
    this.length = 0;
    this.positions = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
    this.steps = new Int32Array(capacity);
    this.words = counted ? new Int32Array(capacity) : null;
    this.match = match;
    this.ranking = null;
  }

  Matches.prototype.add = function (position, score, step, words) {
    var n = this.length++;
    this.positions[n] = position;
    this.scores[n] = score;
    this.steps[n] = step;
    if (this.words) this.words[n] = words;
  };

  /**
   * < 0 when result ``i`` comes before result ``j``: lunr's order (best score first, ties in the
   * order lunr met the papers: its sort is stable), after more of the words for a plain query.
   */
  Matches.prototype.compare = function (i, j) {
    return (
      (this.words ? this.words[j] - this.words[i] : 0) ||
      this.scores[j] - this.scores[i] ||
      this.steps[i] - this.steps[j] ||
      keyOrder(this.positions[i], this.positions[j])
    );
  };

  /** Result ``i`` as an object: {ref, position, score, words, match}. */
  Matches.prototype.result = function (i) {
    var position = this.positions[i];
    return {
      ref: refOf(position),
      position: position,
      score: this.scores[i],
      words: this.words ? this.words[i] : undefined,
      match: this.match,
    };
  };

  /** The numbers of the results, best first (sorted once). */
  Matches.prototype.ranked = function () {
    if (!this.ranking) {
      var self = this;
      var ranking = new Int32Array(this.length);
      for (var i = 0; i < ranking.length; i++) ranking[i] = i;
      this.ranking = ranking.sort(function (a, b) { return self.compare(a, b); });
    }
    return this.ranking;
  };

  /**
   * The numbers of the best ``k`` results whose paper ``keep``s (all without ``keep``), best first,
   * without sorting all of them: a heap of the best so far, worst on top.
   */
  Matches.prototype.best = function (k, keep) {
    var self = this;
    var out = [];
    if (this.ranking) {
      for (var r = 0; r < this.ranking.length && out.length < k; r++) {
        if (!keep || keep(this.positions[this.ranking[r]])) out.push(this.ranking[r]);
      }
      return out;
    }
    var heap = out;
    function worse(a, b) { return self.compare(heap[a], heap[b]) > 0; }
    function swap(a, b) { var t = heap[a]; heap[a] = heap[b]; heap[b] = t; }
    for (var n = 0; n < this.length; n++) {
      if (keep && !keep(this.positions[n])) continue;
      if (heap.length < k) {
        heap.push(n);
        for (var c = heap.length - 1; c > 0 && worse(c, (c - 1) >> 1); c = (c - 1) >> 1) swap(c, (c - 1) >> 1);
      } else if (k > 0 && this.compare(n, heap[0]) < 0) {
        heap[0] = n;
        for (var i = 0; ; ) {
          var w = i;
          var l = 2 * i + 1;
          if (l < k && worse(l, w)) w = l;
          if (l + 1 < k && worse(l + 1, w)) w = l + 1;
          if (w === i) break;
          swap(i, w);
          i = w;
        }
      }
    }
    return heap.sort(function (a, b) { return self.compare(a, b); });
  };

  var NO_MATCHES = new Matches(0, null, false);

  var buffers = null; // per-paper arrays for execute, kept from query to query (zeroed after use)

  function scratch(papers, count) {
    if (!buffers || buffers.papers !== papers) {
      buffers = {
        papers: papers,
        dots: new Float64Array(papers * count),
        first: new Int32Array(papers * count),
        firstOfPaper: new Int32Array(papers),
        words: new Int32Array(papers),
        mark: new Int32Array(papers),
        clean: true,
      };
    }
    if (!buffers.clean) {
      // an earlier query stopped half-way (an exception): start from zero
      ["dots", "first", "firstOfPaper", "words", "mark"].forEach(function (name) { buffers[name].fill(0); });
    }
    buffers.clean = false;
    return buffers;
  }

  /** Zero what a query wrote (for the papers it met): cheaper than new arrays. */
  function release(used, met) {
    var count = manifest.fields.length;
    for (var m = 0; m < met.length; m++) {
      var d = met[m];
      var base = d * count;
      for (var f = 0; f < count; f++) {
        used.dots[base + f] = 0;
        used.first[base + f] = 0;
      }
      used.firstOfPaper[d] = 0;
      used.words[d] = 0;
      used.mark[d] = 0;
    }
    used.clean = true;
  }

  /**
   * A lunr index of these shards, assembled as the single index serializes it and loaded with
   * lunr.Index.load: lunr's own search over it gives the single index's results. Only for the
   * tests (sitegenSearch.lunrSearch, fullIndex); the page scores with ``execute``.
   */
  function indexOf(numbers, everyDocument) {
    numbers = Array.from(new Set(numbers)).sort(function (a, b) { return a - b; });
    var fields = manifest.fields;
    var inverted = [];
    var byField = new Map();
    numbers.forEach(function (n) {
      shards.get(n).names.forEach(function (term) {
        var entry = postings.get(term);
        var posting = { _index: entry.index };
        fields.forEach(function (name, f) {
          var refs = [];
          entry.pos[f].forEach(function (position, k) {
            refs.push(position.toString(36));
            var key = position * fields.length + f;
            var list = byField.get(key);
            if (!list) byField.set(key, (list = []));
            list.push([entry.index, entry.score[f][k]]);
          });
          // The single index's JSON lists refs sorted as strings: the same order breaks ties the same way.
          refs.sort();
          var byRef = {};
          refs.forEach(function (r) { byRef[r] = {}; });
          posting[name] = byRef;
        });
        inverted.push([term, posting]);
      });
    });
    if (everyDocument) {
      // A query of only -word clauses returns every document lunr has a field vector for.
      for (var k = 0; k < manifest.papers * fields.length; k++) if (!byField.has(k)) byField.set(k, []);
    }
    var keys = Array.from(byField.keys()).sort(function (a, b) { return a - b; });
    var fieldVectors = keys.map(function (key) {
      var elements = [];
      byField.get(key).sort(function (a, b) { return a[0] - b[0]; }).forEach(function (pair) {
        elements.push(pair[0], pair[1]);
      });
      var position = Math.floor(key / fields.length);
      return [fields[key % fields.length] + "/" + position.toString(36), elements];
    });
    return window.lunr.Index.load({
      version: manifest.lunr,
      fields: fields,
      fieldVectors: fieldVectors,
      invertedIndex: inverted,
      pipeline: manifest.pipeline,
    });
  }

  /** ``raw`` parsed by lunr's query parser, and the shards it needs (its terms through the pipeline; prefixes; all for fuzzy). */
  function parsed(raw) {
    var lunr = window.lunr;
    var query = new lunr.Query(manifest.fields);
    new lunr.QueryParser(raw, query).parse(); // may throw lunr.QueryParseError
    var needed = [];
    query.clauses.forEach(function (clause) {
      var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
      terms.forEach(function (term) {
        var star = term.indexOf("*");
        if ("editDistance" in clause || star === 0) needed = needed.concat(allShards());
        else if (star > 0) needed = needed.concat(shardsOfPrefix(term.slice(0, star)));
        else needed.push(shardOf(term));
      });
    });
    return { query: query, needed: needed };
  }

  function missing(numbers) {
    return numbers.filter(function (n) { return !shards.has(n); });
  }

  /** The words of a plain query (no lunr syntax), folded and trimmed. */
  function plainWords(raw) {
    return raw.split(window.lunr.tokenizer.separator).map(function (w) { return trimText(foldText(w)); }).filter(Boolean);
  }

  /**
   * A plain query as lunr clauses: each word through the pipeline (boost 10), and the word being
   * typed also as the terms it may complete to. {clauses: [[term, options]], groups (each word's
   * terms, the completions with the last), missing: [shards still to fetch]}.
   */
  function plainPlan(raw, words) {
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
    var clauses = words.map(function (word) { return [word, { boost: 10 }]; });
    completions.forEach(function (term) { clauses.push([term, { usePipeline: false }]); });
    if (completions.length) wordTerms[wordTerms.length - 1] = wordTerms[wordTerms.length - 1].concat(completions);
    return { clauses: clauses, groups: wordTerms, missing: missing(needed) };
  }

  /**
   * Search now if every shard the query needs is here: {results} (best first), or {missing: [shards]};
   * with ``planOnly``, {} instead of the results.
   * Results: {ref, position, score, words (plain queries), match}.
   */
  function attempt(raw, planOnly) {
    var lunr = window.lunr;
    if (!manifest.shards.length) return planOnly ? {} : { results: NO_MATCHES }; // a site with no papers
    var known = answers.get(raw);
    if (known) {
      if (planOnly) return {};
      answers.delete(raw); // most recent last
      answers.set(raw, known);
      return { results: known };
    }
    var results;
    if (SYNTAX_RE.test(raw)) {
      var plan = parsed(raw);
      var lacking = missing(plan.needed);
      if (lacking.length) return { missing: lacking };
      if (planOnly) return {};
      results = execute(plan.query, null);
    } else {
      var words = plainWords(raw);
      if (!words.length) return { results: NO_MATCHES };
      var plain = plainPlan(raw, words);
      if (plain.missing.length) return { missing: plain.missing };
      if (planOnly) return {};
      var query = new lunr.Query(manifest.fields);
      plain.clauses.forEach(function (clause) {
        query.term(clause[0], Object.assign({}, clause[1]));
      });
      // Papers with every word first, then those with fewer; lunr's order within each group.
      results = execute(query, plain.groups);
    }
    answers.set(raw, results);
    answered += results.length;
    while (answered > CACHED_RESULTS && answers.size > 1) {
      var oldest = answers.keys().next().value;
      answered -= answers.get(oldest).length;
      answers.delete(oldest);
    }
    return { results: results };
  }

  /** Promise of the results for ``raw``, best first. */
  function search(raw) {
    return fetchAndSearch(raw).then(function (matches) {
      return Array.from(matches.ranked(), function (i) { return matches.result(i); });
    });
  }

  /** Promise of the Matches of ``raw``, fetching what it needs (at most a few rounds). */
  function fetchAndSearch(raw) {
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
    results.forEach(function (r) {
      if (!r.terms) r.terms = r.match.termsOf(r.position);
    });
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

  function passes(position, except) {
    if (!facetData) return true;
    return Object.keys(filters).every(function (name) {
      if (name === except || !filters[name] || !facetData[name]) return true;
      var n = facetData[name].of.get(position);
      return n !== undefined && facetData[name].labels[n] === filters[name];
    });
  }

  /** The test a result's paper must pass for the filters set, or null when none is. */
  function filterTest() {
    var active = facetData && Object.keys(filters).some(function (name) { return filters[name]; });
    return active ? function (position) { return passes(position, null); } : null;
  }

  /** Fill the filter menus with the values of the current results and their counts. */
  function renderFilters() {
    if (!facetData) return;
    Object.keys(filters).forEach(function (name) {
      var select = document.getElementById("search-filter-" + name);
      if (!select || !facetData[name]) return;
      var counts = new Map();
      var matches = current.results;
      for (var i = 0; i < matches.length; i++) {
        var position = matches.positions[i];
        if (!passes(position, name)) continue;
        var n = facetData[name].of.get(position);
        if (n !== undefined) counts.set(n, (counts.get(n) || 0) + 1);
      }
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
      current = { query: "", results: NO_MATCHES, shown: 0 };
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
    var results = found.missing ? fetchAndSearch(raw) : Promise.resolve(found.results);
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
      current = { query: q, results: NO_MATCHES, shown: 0 };
      var message = window.lunr && error instanceof window.lunr.QueryParseError
        ? describeError(error, q)
        : manifest ? describeError(error, q) : "Search could not be loaded (" + error.message + "). Try the archive instead.";
      view.show([], 0, q, message);
      announce({ query: q, count: 0, error: String(error.message || error) });
    }
  }

  /** Show the first ``count`` of the current (filtered) results, fetching their text first. */
  function show(mine, count) {
    var matches = current.results;
    var keep = filterTest();
    var total = matches.length;
    if (keep) {
      total = 0;
      for (var i = 0; i < matches.length; i++) if (keep(matches.positions[i])) total++;
    }
    var q = current.query;
    var picked = matches.best(count, keep).map(function (n) { return matches.result(n); });
    withDocs(picked).then(
      function (visible) {
        if (mine !== generation) return;
        current.shown = count;
        view.show(visible, total, q, null);
        renderFilters();
        announce({ query: q, count: total });
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

  box.addEventListener("focus", function () {
    load().catch(function () {}); // start fetching; errors are reported when a query runs
    if (!onSearchPage && box.value.trim() && view.list.childNodes.length) view.open(true);
  });

  /** Search for what is in the box now (the debounce's work, or done early). */
  function flush() {
    if (onSearchPage) recordQuery(false);
    update();
  }

  function onInput() {
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
  }

  box.addEventListener("input", onInput);

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
  } else {
    // static/search.js loaded this file when the reader focused the box; they may have typed since.
    if (document.activeElement === box) load().catch(function () {});
    if (box.value.trim()) onInput();
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
        var plan = parsed(raw);
        return Promise.all(plan.needed.map(loadShard)).then(function () {
          return indexOf(plan.needed, plan.query.isNegated()).search(raw).map(function (r) {
            return { ref: r.ref, score: r.score, terms: Object.keys(r.matchData.metadata) };
          });
        });
      });
    },
    // The page's own scoring of the lunr query ``raw`` (what search() does for a query with syntax).
    scoredSearch: function (raw) {
      return load().then(function () {
        var plan = parsed(raw);
        return Promise.all(plan.needed.map(loadShard)).then(function () {
          var matches = execute(plan.query, null);
          return Array.from(matches.ranked(), function (n) {
            var r = matches.result(n);
            return { ref: r.ref, score: r.score, terms: r.match.termsOf(r.position) };
          });
        });
      });
    },
    // The best ``k`` results of ``raw`` as a keystroke picks them, without sorting them all (for tests).
    best: function (raw, k) {
      return search(raw).then(function () {
        var matches = Object.assign(Object.create(Matches.prototype), attempt(raw).results, { ranking: null });
        return matches.best(k, null).map(function (n) { return matches.result(n); }); // as if not yet sorted
      });
    },
    // The clauses and word groups a plain query becomes, its shards fetched (for tests).
    plainPlan: function (raw) {
      return load().then(function () {
        var rounds = 0;
        function step() {
          var plan = plainPlan(raw, plainWords(raw));
          if (!plan.missing.length || ++rounds > 4) return plan;
          return Promise.all(plan.missing.map(loadShard)).then(step);
        }
        return step();
      });
    },
  };
})();
