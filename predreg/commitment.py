"""Hidden forecasts, verifiable later: commit to a forecast now, reveal it after.

A prediction may carry only ``commitment: sha256:<hex>``: the hash of the canonical
forecast (prediction id, author, and the forecast fields, as compact sorted JSON)
together with a random salt. The salt is what makes it hiding: without it a binary
forecast could be found by hashing each of the 999 allowed probabilities. So a salt
has at least 128 bits (``predreg commit`` makes 256), kept outside the registry
until ``predreg reveal`` writes ``reveals/<id>.yaml`` with the forecast and the salt,
whose hash must equal the commitment.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

SALT_BITS = 128
"""The shortest salt a reveal may use; ``new_salt`` makes 256 bits."""
PREFIX = "sha256:"
VERSION = b"predreg-commitment-v1"


def forecast_of(record: Any) -> dict[str, Any]:
    """The forecast fields of a prediction or a reveal that are set."""
    return {
        name: getattr(record, name) for name in ("probability", "probabilities") if getattr(record, name) is not None
    }


def canonical(prediction: str, author: str, forecast: dict[str, Any]) -> bytes:
    """The bytes committed to: the same for the same forecast, whatever the YAML looked like."""
    return json.dumps(
        {"prediction": prediction, "author": author, **forecast}, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def commitment(prediction: str, author: str, forecast: dict[str, Any], salt: str) -> str:
    body = hashlib.sha256(VERSION + b"\n" + salt.encode() + b"\n" + canonical(prediction, author, forecast))
    return PREFIX + body.hexdigest()


def new_salt() -> str:
    return secrets.token_hex(32)


def salt_bits(salt: str) -> int:
    return 4 * len(salt)
