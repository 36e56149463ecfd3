"""Security headers on every response, errors included."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # NHS.UK frontend loads the Frutiger web font from the NHS CDN, as every NHS.UK service does.
        "font-src 'self' https://assets.nhs.uk",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Deny every powerful feature: the service uses none of them, and an injected frame or script gets none.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "document-domain",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "sync-xhr",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)

# Headers per the OWASP Secure Headers Project, where they fit a server-rendered site. Where this differs:
# - Referrer-Policy is same-origin, not no-referrer: Flask-WTF's CSRF check over HTTPS needs a same-origin Referer.
# - No Cross-Origin-Embedder-Policy: require-corp would block the NHS.UK web font, served from assets.nhs.uk
#   without a Cross-Origin-Resource-Policy header; the service embeds nothing cross-origin that COEP would guard.
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Permissions-Policy": PERMISSIONS_POLICY,
}

# The only responses a browser or proxy may keep: the public, unchanging CSS, JavaScript, images and fonts.
# Everything else the app answers (pages, CSV and JSON exports, the data-export zip, a champion's QR code)
# may hold personal data, signed in or not (a form re-shown with its errors holds what was typed).
CACHEABLE_ENDPOINTS = frozenset({"static", "core.assets"})
NO_STORE = "no-store, max-age=0"

# On sign-out, the browser drops what it holds for the site: cookies, cached pages and any storage.
SIGN_OUT_ENDPOINTS = frozenset({"accounts.logout"})
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def register_security_headers(app: Flask) -> None:
    hsts = app.config.get("HSTS", False)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        for name, value in HEADERS.items():
            h.setdefault(name, value)
        if hsts:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            h["Cache-Control"] = NO_STORE  # set, not defaulted: no view may make personal data cacheable
        if request.endpoint in SIGN_OUT_ENDPOINTS and response.status_code < 400:
            h["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response
