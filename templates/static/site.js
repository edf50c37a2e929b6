// Site behaviour. No inline script anywhere: the Content-Security-Policy forbids it.
(function () {
  "use strict";
})();
