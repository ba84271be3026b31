// Starts GOV.UK Frontend's components (error summary focus, service navigation
// menu toggle, character count, notification banner focus and so on).
// Loaded with <script type="module">, so no inline script is needed under
// cop's Content-Security-Policy. Browsers without ES module support never run
// this and get the plain HTML, which works on its own.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
