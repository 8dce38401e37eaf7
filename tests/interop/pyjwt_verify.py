"""Verify a Cakap certificate JWT with PyJWT and a JWKS file, as an outside verifier would.

    python3 tests/interop/pyjwt_verify.py jwks.json certificate.jwt

Prints the certificate number and code and exits 0 when the signature and dates hold; exits 1
with the reason otherwise. Needs `pip install pyjwt cryptography`.
"""

import json
import sys

import jwt


def main() -> int:
    jwks_path, token_path = sys.argv[1], sys.argv[2]
    with open(jwks_path, encoding="utf-8") as f:
        jwks = jwt.PyJWKSet.from_dict(json.load(f))
    with open(token_path, encoding="utf-8") as f:
        token = f.read().strip()
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in jwks.keys if k.key_id == kid), None)
    if key is None:
        print(f"refused: no key {kid} in the JWKS")
        return 1
    try:
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=["EdDSA"],
            options={"require": ["iss", "sub", "jti", "iat", "nbf"]},
        )
    except jwt.PyJWTError as e:
        print(f"refused: {e}")
        return 1
    cert = claims["cert"]
    print(f"valid: {cert['number']} {claims['jti']} {cert['holder']['name']} {cert['course']['title']} {cert['jp']} JP")
    return 0


if __name__ == "__main__":
    sys.exit(main())
