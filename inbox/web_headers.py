"""The security headers of Varsel's two web front ends, the portal and the office's desk
(docs/THREAT-MODEL.md, requirement 7), and the Subresource Integrity value every
``<script>`` carries. Pure functions: each app adds them to its own responses."""

import base64
import hashlib


def security_headers(csp: str, permissions: str) -> tuple[tuple[str, str], ...]:
    """The headers every response carries: the app's Content Security Policy and
    Permissions Policy, no referrer, never framed, no type sniffing, and no sharing of the
    window or of any resource with another origin."""
    return (
        ("Content-Security-Policy", csp),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", permissions),
    )


def integrity(data: bytes) -> str:
    """The ``integrity=`` value (sha384) of a file's bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")
