// Hash routing: the worker serves one page at `/`, and `#/today`, `#/goals`, ... pick the view
// (routes.ts says which views there are).
import { useEffect, useState } from "preact/hooks";
import { isRoute, type Route } from "./routes";

/** The route named by the fragment (`#/goals` → "goals"), or null for none or an unknown one. */
export function currentRoute(): Route | null {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return isRoute(name) ? name : null;
}

/** Moves to `route`; `replace` rewrites the history entry instead (redirects, not user moves). */
export function navigate(route: Route, replace = false) {
  const hash = `#/${route}`;
  if (location.hash === hash) return;
  if (replace) {
    history.replaceState(null, "", hash);
    dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

export function useRoute(): Route | null {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const follow = () => setRoute(currentRoute());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}
