"""Decode a token made by `tessera token issue` the way Python services do.

Usage: decode_tessera_token.py TOKEN   (the secret comes from JWT_SECRET_KEY)

Prints one JSON object: the header, the claims PyJWT's `jwt.decode` returns,
and the claims Flask-JWT-Extended's `decode_token` returns inside an app
context. Any refusal raises, so the script exits non-zero with the reason.
"""

import json
import os
import sys

import jwt
from flask import Flask
from flask_jwt_extended import JWTManager, decode_token


def main() -> None:
    token = sys.argv[1]
    secret = os.environ["JWT_SECRET_KEY"]

    pyjwt_claims = jwt.decode(token, secret, algorithms=["HS256"])

    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = secret
    JWTManager(app)
    with app.app_context():
        flask_claims = decode_token(token)

    json.dump(
        {
            "header": jwt.get_unverified_header(token),
            "pyjwt": pyjwt_claims,
            "flask": flask_claims,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
