"""Create tokens with Flask-JWT-Extended's defaults, for Tessera to verify.

Usage: flask_tokens.py [ISSUER]   (the secret comes from JWT_SECRET_KEY)

Prints {"access": ..., "refresh": ...}: an access and a refresh token for
identity "42", exactly as `create_access_token` / `create_refresh_token`
make them in a Flask app configured with only JWT_SECRET_KEY, and
JWT_ENCODE_ISSUER = ISSUER when given (a Tessera server checks `iss`).
"""

import json
import os
import sys

from flask import Flask
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token


def main() -> None:
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]
    if len(sys.argv) > 1:
        app.config["JWT_ENCODE_ISSUER"] = sys.argv[1]
    JWTManager(app)
    with app.app_context():
        tokens = {
            "access": create_access_token(identity="42"),
            "refresh": create_refresh_token(identity="42"),
        }
    json.dump(tokens, sys.stdout)


if __name__ == "__main__":
    main()
