// The entry point. The stored theme is applied before anything renders, so a reload paints in
// the chosen palette before the settings arrive (no inline script: the CSP forbids it).
import { render } from "preact";
import { applyTheme, storedTheme } from "./theme";
import { App } from "./app";

applyTheme(storedTheme());

render(<App />, document.getElementById("app")!);
