"""Independent check of a DSSE envelope holding an in-toto Statement v1 with a
SLSA Provenance v1 predicate, written from the specifications.

Debian's securesystemslib (0.26) has no DSSE envelope class, so the PAE is
computed here and the signature is checked with securesystemslib's key API
(SSlibKey.verify_signature, backed by PyNaCl and pyca/cryptography).

usage: witness.py ENVELOPE PUBLIC_KEY_PEM
Prints {"keyid": ..., "statement": ...} as JSON; exits non-zero on any fault.
"""

import base64
import datetime
import hashlib
import json
import re
import sys
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.signer import Signature, SSlibKey

HEX64 = re.compile(r"[0-9a-f]{64}")
DESCRIPTOR_FIELDS = {"uri", "digest", "name", "downloadLocation", "mediaType", "content", "annotations"}


def fail(msg):
    sys.exit("witness: " + msg)


def pae(payload_type, body):
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def sslib_key(pem):
    """The public key as securesystemslib wants it, and its PKIX SHA-256 key id."""
    pub = serialization.load_pem_public_key(pem)
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    keyid = hashlib.sha256(der).hexdigest()
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return SSlibKey(keyid, "ed25519", "ed25519", {"public": raw.hex()}), keyid
    text = pem.decode("ascii")
    if isinstance(pub, rsa.RSAPublicKey):
        return SSlibKey(keyid, "rsa", "rsa-pkcs1v15-sha256", {"public": text}), keyid
    if isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1":
        return SSlibKey(keyid, "ecdsa", "ecdsa-sha2-nistp256", {"public": text}), keyid
    fail("unsupported key %r" % pub)


def verify(envelope, pem):
    if not {"payload", "payloadType", "signatures"} <= set(envelope):
        fail("envelope lacks a required field: %s" % sorted(envelope))
    if envelope["payloadType"] != "application/vnd.in-toto+json":
        fail("payloadType %r" % envelope["payloadType"])
    body = base64.b64decode(envelope["payload"], validate=True)
    key, keyid = sslib_key(pem)
    message = pae(envelope["payloadType"], body)
    sigs = envelope["signatures"]
    if len(sigs) != 1:
        fail("want one signature, got %d" % len(sigs))
    sig = Signature(keyid, base64.b64decode(sigs[0]["sig"], validate=True).hex())
    key.verify_signature(sig, message)  # raises UnverifiedSignatureError
    if sigs[0].get("keyid") != keyid:
        fail("keyid %r, want the PKIX SHA-256 %s" % (sigs[0].get("keyid"), keyid))
    try:
        key.verify_signature(sig, message + b" ")
    except Exception:
        pass
    else:
        fail("the verifier accepted a changed message")
    return body, keyid


def check_uri(where, value):
    u = urllib.parse.urlparse(value)
    if not u.scheme or not (u.netloc or u.path) or any(c.isspace() for c in value):
        fail("%s: %r is not a URI" % (where, value))


def check_timestamp(where, value):
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value):
        fail("%s: %r is not an RFC 3339 UTC timestamp" % (where, value))
    datetime.datetime.fromisoformat(value)


def check_fields(where, obj, allowed, required=()):
    if not isinstance(obj, dict):
        fail("%s is not an object" % where)
    if set(obj) - set(allowed):
        fail("%s: unknown fields %s" % (where, sorted(set(obj) - set(allowed))))
    for f in required:
        if f not in obj:
            fail("%s: missing %s" % (where, f))


def check_descriptor(where, d):
    check_fields(where, d, DESCRIPTOR_FIELDS)
    if not ({"uri", "digest", "content"} & set(d)):
        fail("%s: needs uri, digest or content" % where)
    if "uri" in d:
        check_uri(where + ".uri", d["uri"])
    for alg, value in d.get("digest", {}).items():
        if not re.fullmatch(r"[0-9a-f]+", value):
            fail("%s.digest.%s: %r is not lowercase hex" % (where, alg, value))


def check_statement(st):
    check_fields("statement", st, ["_type", "subject", "predicateType", "predicate"],
                 ["_type", "subject", "predicateType", "predicate"])
    if st["_type"] != "https://in-toto.io/Statement/v1":
        fail("_type %r" % st["_type"])
    if st["predicateType"] != "https://slsa.dev/provenance/v1":
        fail("predicateType %r" % st["predicateType"])
    names = []
    for i, s in enumerate(st["subject"]):
        check_descriptor("subject[%d]" % i, s)
        if not HEX64.fullmatch(s.get("digest", {}).get("sha256", "")):
            fail("subject[%d]: no sha256 digest of 64 lowercase hex digits" % i)
        names.append(s["name"])
    if not names or names != sorted(names) or len(set(names)) != len(names):
        fail("subject names not sorted, unique and present: %r" % names)
    pred = st["predicate"]
    check_fields("predicate", pred, ["buildDefinition", "runDetails"], ["buildDefinition", "runDetails"])
    bd = pred["buildDefinition"]
    check_fields("buildDefinition", bd,
                 ["buildType", "externalParameters", "internalParameters", "resolvedDependencies"],
                 ["buildType", "externalParameters"])
    check_uri("buildType", bd["buildType"])
    check_fields("externalParameters", bd["externalParameters"], ["config", "version"], ["config", "version"])
    cfg = bd["externalParameters"]["config"]
    check_fields("externalParameters.config", cfg, ["path", "digest"], ["path", "digest"])
    if not HEX64.fullmatch(cfg["digest"].get("sha256", "")):
        fail("externalParameters.config.digest.sha256 %r" % cfg["digest"])
    for i, d in enumerate(bd.get("resolvedDependencies", [])):
        check_descriptor("resolvedDependencies[%d]" % i, d)
    rd = pred["runDetails"]
    check_fields("runDetails", rd, ["builder", "metadata", "byproducts"], ["builder"])
    check_fields("runDetails.builder", rd["builder"], ["id", "version", "builderDependencies"], ["id"])
    check_uri("runDetails.builder.id", rd["builder"]["id"])
    md = rd.get("metadata", {})
    check_fields("runDetails.metadata", md, ["invocationId", "startedOn", "finishedOn"])
    for f in ("startedOn", "finishedOn"):
        if f in md:
            check_timestamp("runDetails.metadata." + f, md[f])


def main():
    envelope_file, key_file = sys.argv[1:3]
    with open(envelope_file, "rb") as f:
        data = f.read()
    if data.count(b"\n") != 1 or not data.endswith(b"\n"):
        fail("the envelope is not exactly one JSON line")
    with open(key_file, "rb") as f:
        pem = f.read()
    body, keyid = verify(json.loads(data), pem)
    st = json.loads(body)
    check_statement(st)
    print(json.dumps({"keyid": keyid, "statement": st}))


main()
