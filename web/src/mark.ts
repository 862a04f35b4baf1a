// A localStorage mark that this browser holds a session cookie (or is about to, after an OAuth
// redirect). The app asks `/api/auth/session` only when it is set: a `401` there is an expected
// answer, but the browser logs every failed request on the console, so a signed-out visit asks
// nothing it knows will fail.
const signedInMark = "passion-edge.signed-in";

export function markSignedIn(signedIn: boolean) {
  try {
    if (signedIn) localStorage.setItem(signedInMark, "1");
    else localStorage.removeItem(signedInMark);
  } catch {
    // Without storage the next load shows the sign-in page, which still works.
  }
}

export function wasSignedIn(): boolean {
  try {
    return localStorage.getItem(signedInMark) === "1";
  } catch {
    return false;
  }
}
