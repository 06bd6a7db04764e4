// The print button of the receipt page (no inline script: the CSP allows only files).
"use strict";
document.getElementById("print")?.addEventListener("click", () => window.print());
