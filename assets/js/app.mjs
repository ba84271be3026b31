// Turns on GOV.UK Frontend's components; loaded as a module, no inline script needed.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
