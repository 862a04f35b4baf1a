// The colour theme: `html[data-theme]` picks the palette in app.css. localStorage mirrors the
// last theme so a reload paints with it before the settings arrive from the API.
export type Theme = "light" | "dark" | "system";

const storageKey = "passion-edge.theme";

function isTheme(value: unknown): value is Theme {
  return value === "light" || value === "dark" || value === "system";
}

export function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(storageKey);
    return isTheme(value) ? value : "system";
  } catch {
    return "system";
  }
}

export function applyTheme(theme: Theme) {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(storageKey, theme);
  } catch {
    // Storage may be off (private mode); the theme still applies to this page.
  }
}
