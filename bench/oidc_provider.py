#!/usr/bin/env python3
"""A stand-in OpenID provider for bench/server.sh: serves a static discovery
document and a JWKS with one P-256 public key on 127.0.0.1, nothing else (no
login, no token endpoint behind the advertised URL). Standard library only.

Usage: oidc_provider.py PORT PUBLIC_KEY_PEM

The key's `kid` is its RFC 7638 thumbprint, the one `tessera token issue`
writes into the tokens it signs, so tokens minted with the private key are
found in this JWKS. Every request is logged on standard error, one line each
(the script counts them: the server must fetch the keys once, not per token).
"""
import base64
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def p256_jwk(pem: str) -> dict:
    der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
    # A P-256 SubjectPublicKeyInfo is 91 bytes ending in the uncompressed
    # point 04 || x || y.
    if len(der) != 91 or der[-65] != 4:
        sys.exit("oidc_provider.py: the public key is not an uncompressed P-256 key")
    x, y = b64url(der[-64:-32]), b64url(der[-32:])
    members = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y},
                         separators=(",", ":"), sort_keys=True)
    kid = b64url(hashlib.sha256(members.encode()).digest())
    return {"kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": "ES256", "use": "sig"}


def main() -> None:
    port, pem_path = int(sys.argv[1]), sys.argv[2]
    with open(pem_path) as pem:
        jwk = p256_jwk(pem.read())
    issuer = f"http://127.0.0.1:{port}"
    documents = {
        "/.well-known/openid-configuration": {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks.json",
            "id_token_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
        },
        "/jwks.json": {"keys": [jwk]},
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            document = documents.get(self.path)
            body = json.dumps(document or {"error": "not_found"}).encode()
            self.send_response(200 if document else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=3600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
