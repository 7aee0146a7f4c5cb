#!/usr/bin/env python3
"""Sign and send LGSP requests with the Python standard library only.

Implements the signing protocol of docs/authentication.md for LGSP-HMAC-SHA256 and
LGSP-HMAC-SHA1. LGSP-RSA-SHA256 needs an RSA implementation, which the standard library
does not have: use the `cryptography` package (PKCS1v15 padding, SHA256) over the same
canonical string, or the Rust client.

Library use:

    from lgsp_client import sign_request
    headers = sign_request("LGSP-HMAC-SHA256", access_key, secret_key, "GET", "/v1/schemas",
                           {"accept": "application/json"}, b"")

Command line (credentials also from LGSP_ACCESS_KEY / LGSP_SECRET_KEY, server from LGSP_SERVER):

    lgsp_client.py --server http://127.0.0.1:8080 --access-key AK --secret-key SK \\
        --purpose "xác minh hồ sơ" session dan_cu
    lgsp_client.py ... query "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'"
    lgsp_client.py ... get /v1/schemas
    lgsp_client.py vectors --file vectors.json
"""

import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request

ALGORITHMS = {
    "LGSP-HMAC-SHA256": hashlib.sha256,
    "LGSP-HMAC-SHA1": hashlib.sha1,
}
DATE_HEADER = "x-lgsp-date"
NONCE_HEADER = "x-lgsp-nonce"
CONTENT_SHA256_HEADER = "x-lgsp-content-sha256"
SESSION_HEADER = "x-lgsp-session"
PURPOSE_HEADER = "x-purpose"
ALWAYS_SIGNED = (CONTENT_SHA256_HEADER, DATE_HEADER, NONCE_HEADER)
SIGNED_WHEN_PRESENT = (PURPOSE_HEADER, SESSION_HEADER)

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def _recode(raw, keep_slash=False):
    """Percent-decode `raw`, then re-encode it: unreserved bytes kept, others as %XX (uppercase).

    A literal '/' is kept when `keep_slash` (paths); '+' is a plus, never a space.
    """
    data = raw.encode("utf-8")
    out = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x25:  # '%'
            pair = data[i + 1:i + 3]
            if len(pair) != 2 or not all(c in _HEX for c in pair):
                raise ValueError("'%' not followed by two hex digits; encode a literal '%' as %25")
            byte = int(pair, 16)
            i += 3
        else:
            i += 1
            if byte == 0x2F and keep_slash:
                out.append("/")
                continue
        out.append(chr(byte) if byte in _UNRESERVED else "%%%02X" % byte)
    return "".join(out)


def canonical_path(path):
    """The canonical path: each segment decoded and re-encoded; empty becomes '/'."""
    if path == "":
        return "/"
    if not path.startswith("/"):
        raise ValueError("the path must start with '/'")
    return _recode(path, keep_slash=True)


def canonical_query(query):
    """The canonical query: parameters decoded, re-encoded, sorted by (name, value), joined by '&'."""
    pairs = []
    for part in query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        pairs.append((_recode(name), _recode(value)))
    pairs.sort()
    return "&".join("%s=%s" % pair for pair in pairs)


def canonical_header_value(values):
    """All values of one header: each trimmed, runs of spaces/tabs collapsed, joined by ','."""
    return ",".join(" ".join(w for w in re.split("[ \t]+", v) if w) for v in values)


def _pairs(headers):
    """Headers as a list of (lowercase name, value), from a dict or a list of pairs."""
    items = headers.items() if isinstance(headers, dict) else headers
    return [(name.lower(), value) for name, value in items]


def canonical_request(algorithm, access_key, method, path_and_query, headers, signed_headers):
    """The string that is signed (docs/authentication.md, "Canonical request").

    `headers` is a dict or a list of (name, value) pairs; `signed_headers` the sorted lowercase
    names listed in SignedHeaders.
    """
    pairs = _pairs(headers)
    present = {name for name, _ in pairs}
    for name in ALWAYS_SIGNED:
        if name not in signed_headers:
            raise ValueError("SignedHeaders must list " + name)
    for name in SIGNED_WHEN_PRESENT:
        if name in present and name not in signed_headers:
            raise ValueError("SignedHeaders must list %s because the request carries it" % name)
    path, _, query = path_and_query.partition("?")
    lines = [algorithm, access_key, method.upper(), canonical_path(path), canonical_query(query)]
    for name in signed_headers:
        values = [value for n, value in pairs if n == name]
        if not values:
            raise ValueError("SignedHeaders lists %s but the request has no such header" % name)
        lines.append(name + ":" + canonical_header_value(values))
    lines.append(";".join(signed_headers))
    lines.append(canonical_header_value([v for n, v in pairs if n == CONTENT_SHA256_HEADER]))
    return "\n".join(lines)


def signature_hex(algorithm, secret_key, canonical):
    """HMAC of the canonical string keyed with the secret key's UTF-8 bytes, lowercase hex."""
    if algorithm not in ALGORITHMS:
        raise ValueError("this client signs only with " + " or ".join(ALGORITHMS))
    return hmac.new(secret_key.encode("utf-8"), canonical.encode("utf-8"), ALGORITHMS[algorithm]).hexdigest()


def format_date(when):
    """RFC 3339 UTC to the second: 2026-11-23T08:00:00Z."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_request(algorithm, access_key, secret_key, method, path_and_query, headers, body, now=None, nonce=None):
    """Return `headers` (as a new dict) plus x-lgsp-date, x-lgsp-nonce, x-lgsp-content-sha256 and
    Authorization. x-purpose and x-lgsp-session are signed when present.
    """
    signed = dict(_pairs(headers))
    signed.pop("authorization", None)
    signed[DATE_HEADER] = format_date(now or datetime.datetime.now(datetime.timezone.utc))
    signed[NONCE_HEADER] = nonce or secrets.token_urlsafe(24)  # 32 characters
    signed[CONTENT_SHA256_HEADER] = hashlib.sha256(body).hexdigest()
    names = sorted(list(ALWAYS_SIGNED) + [h for h in SIGNED_WHEN_PRESENT if h in signed])
    canonical = canonical_request(algorithm, access_key, method, path_and_query, signed, names)
    signed["authorization"] = "%s Credential=%s, SignedHeaders=%s, Signature=%s" % (
        algorithm, access_key, ";".join(names), signature_hex(algorithm, secret_key, canonical))
    return signed


class LgspError(Exception):
    """An error answer from the platform."""

    def __init__(self, status, body, retry_after=None):
        self.status = status
        self.body = body
        self.retry_after = retry_after
        try:
            parsed = json.loads(body)
            code, message = parsed.get("code"), parsed.get("message")
        except (ValueError, AttributeError):
            code, message = None, body
        self.code = code
        text = "HTTP %d %s: %s" % (status, code or "", message)
        if retry_after:
            text += " (retry after %s s)" % retry_after
        super().__init__(text)


class Client:
    """Signs every call with one access key."""

    def __init__(self, server, access_key, secret_key, algorithm="LGSP-HMAC-SHA256", purpose=None):
        self.server = server.rstrip("/")
        self.access_key = access_key
        self.secret_key = secret_key
        self.algorithm = algorithm
        self.purpose = purpose

    def call(self, method, path_and_query, body=b"", headers=None):
        headers = dict(headers or {})
        if self.purpose:
            headers[PURPOSE_HEADER] = self.purpose
        signed = sign_request(self.algorithm, self.access_key, self.secret_key, method, path_and_query, headers, body)
        # http.client sends header values as Latin-1; this passes UTF-8 bytes through unchanged.
        wire = {name: value.encode("utf-8").decode("latin-1") for name, value in signed.items()}
        request = urllib.request.Request(self.server + path_and_query, data=body or None, headers=wire, method=method)
        try:
            with urllib.request.urlopen(request) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            raise LgspError(e.code, e.read().decode("utf-8", "replace"), e.headers.get("retry-after")) from None

    def open_session(self, destinations):
        """POST /v1/auth/sessions; returns the response: session_token, expires_at, destinations."""
        body = json.dumps({"destinations": list(destinations)}).encode("utf-8")
        answer = self.call("POST", "/v1/auth/sessions", body, {"content-type": "application/json"})
        return json.loads(answer)

    def query(self, sql, session_token):
        """POST /v1/query with the session; returns the parsed JSON result."""
        body = json.dumps({"sql": sql}).encode("utf-8")
        headers = {"content-type": "application/json", "accept": "application/json", SESSION_HEADER: session_token}
        return json.loads(self.call("POST", "/v1/query", body, headers))


def destinations_of(sql):
    """The schemas named as `schema.table` after FROM or JOIN (danh_muc is open to everyone)."""
    found = re.findall(r"\b(?:from|join)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?\s*\.", sql, re.IGNORECASE)
    return sorted({name.lower() for name in found} - {"danh_muc"})


def compute_vectors(vectors):
    """Recompute HMAC vectors: [{name, canonical, signature, authorization, content_sha256}]."""
    results = []
    for v in vectors:
        names = v.get("signed_headers")
        headers = [tuple(pair) for pair in v["headers"]]
        if names is None:
            present = {n.lower() for n, _ in headers}
            names = sorted(list(ALWAYS_SIGNED) + [h for h in SIGNED_WHEN_PRESENT if h in present])
        canonical = canonical_request(v["algorithm"], v["access_key"], v["method"], v["path_and_query"], headers, names)
        signature = signature_hex(v["algorithm"], v["secret_key"], canonical)
        results.append({
            "name": v["name"],
            "canonical": canonical,
            "signature": signature,
            "authorization": "%s Credential=%s, SignedHeaders=%s, Signature=%s"
            % (v["algorithm"], v["access_key"], ";".join(names), signature),
            "content_sha256": hashlib.sha256(v["body"].encode("utf-8")).hexdigest(),
        })
    return results


def _client(args):
    if not args.access_key or not args.secret_key:
        sys.exit("give --access-key and --secret-key (or set LGSP_ACCESS_KEY and LGSP_SECRET_KEY)")
    return Client(args.server, args.access_key, args.secret_key, args.algorithm, args.purpose)


def _print_json(data):
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Signed calls to an LGSP platform (HMAC-SHA256 / HMAC-SHA1).")
    parser.add_argument("--server", default=os.environ.get("LGSP_SERVER", "http://127.0.0.1:8080"),
                        help="platform base URL (env LGSP_SERVER)")
    parser.add_argument("--access-key", default=os.environ.get("LGSP_ACCESS_KEY"), help="env LGSP_ACCESS_KEY")
    parser.add_argument("--secret-key", default=os.environ.get("LGSP_SECRET_KEY"), help="env LGSP_SECRET_KEY")
    parser.add_argument("--algorithm", default="LGSP-HMAC-SHA256", choices=sorted(ALGORITHMS),
                        help="LGSP-HMAC-SHA1 only for applications registered as legacy")
    parser.add_argument("--purpose", help="stated purpose, sent as x-purpose (UTF-8)")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("session", help="open a session and print its token")
    p.add_argument("destinations", nargs="+", metavar="DEST", help="destination systems, e.g. dan_cu")

    p = commands.add_parser("query", help="run SQL (opens a session unless --session is given)")
    p.add_argument("sql")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--session", help="an open session token")
    group.add_argument("--destination", nargs="+", metavar="DEST",
                       help="destinations for the new session (default: schemas named in the SQL)")

    p = commands.add_parser("get", help="signed GET, prints the body")
    p.add_argument("path", help="path and query, e.g. /v1/schemas")

    p = commands.add_parser("vectors", help="recompute HMAC test vectors from a JSON file")
    p.add_argument("--file", required=True, help="JSON list of vectors (see docs/authentication.md)")

    args = parser.parse_args(argv)
    try:
        if args.command == "vectors":
            with open(args.file, encoding="utf-8") as f:
                _print_json(compute_vectors(json.load(f)))
        elif args.command == "session":
            print(_client(args).open_session(args.destinations)["session_token"])
        elif args.command == "query":
            client = _client(args)
            token = args.session
            if token is None:
                destinations = args.destination or destinations_of(args.sql)
                if not destinations:
                    sys.exit("name the destination systems with --destination (none found in the SQL)")
                token = client.open_session(destinations)["session_token"]
            _print_json(client.query(args.sql, token))
        elif args.command == "get":
            body = _client(args).call("GET", args.path, headers={"accept": "application/json"})
            try:
                _print_json(json.loads(body))
            except ValueError:
                sys.stdout.write(body.decode("utf-8", "replace"))
    except LgspError as e:
        sys.exit(str(e))
    except (ValueError, OSError) as e:
        sys.exit("error: %s" % e)


if __name__ == "__main__":
    main()
