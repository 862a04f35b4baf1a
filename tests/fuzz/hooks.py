"""Schemathesis hooks for tests/fuzz/run.mjs (loaded through SCHEMATHESIS_HOOKS)."""

import itertools

import schemathesis


@schemathesis.hook
def filter_query(ctx, query):
    # A list's cursor is a position the server signed for that list; any other string is a 400,
    # so generated ones only ever test that refusal (the end-to-end suites do, per list).
    return not query or "cursor" not in query


_clients = itertools.count(1)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Each request from a client address of its own, as at the edge (Cloudflare sets the header):
    # the sign-in routes allow 30 requests a minute per address, a second's worth of fuzzing.
    case.headers = {**(case.headers or {}), "cf-connecting-ip": f"2001:db8:f022::{next(_clients):x}"}
