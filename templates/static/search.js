// Site search, the part on every page: small. It loads the engine (static/search-engine.js) when the
// reader starts to search (focus or typing in the header box); the engine then fetches lunr, the
// manifest and what each query needs. The search page loads the engine itself. "/" reaches the box.
(function () {
  "use strict";

  var box = document.getElementById("site-search-q");
  if (!box || !window.fetch || !window.URL || !window.Promise) return;

  var rootMeta = document.querySelector('meta[name="sitegen-root"]');
  var root = rootMeta ? rootMeta.getAttribute("content") : "";
  var engineUrl = new URL(root + "static/search-engine.js", document.baseURI).href;
  var engine = null; // Promise of the engine's API, once asked for

  function isEditable(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isEditable(event.target)) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  if (document.getElementById("search-page")) return; // its own <script> brings the engine

  // Until the engine is here, its functions for tests and measurements load it, then run.
  var stub = {};

  function loadEngine() {
    if (!engine) {
      engine = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = engineUrl;
        script.onload = function () {
          if (window.sitegenSearch !== stub) resolve(window.sitegenSearch);
          else reject(new Error("search is not available in this browser"));
        };
        script.onerror = function () {
          engine = null;
          script.remove();
          reject(new Error("could not load " + engineUrl));
        };
        document.head.appendChild(script);
      });
    }
    return engine;
  }

  function start() {
    loadEngine().catch(function () {}); // the form still submits to search/?q=...
  }

  ["load", "search", "lunrSearch", "scoredSearch", "plainPlan", "fullIndex"].forEach(function (name) {
    stub[name] = function () {
      var args = arguments;
      return loadEngine().then(function (api) { return api[name].apply(api, args); });
    };
  });
  window.sitegenSearch = stub;

  box.addEventListener("focus", start);
  box.addEventListener("input", start);
  if (document.activeElement === box) start();
})();
