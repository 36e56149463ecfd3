"""The privacy notice every page links to (core/templates/core/privacy.html): its version is recorded with each
consent given to it, so a change to the notice changes this."""

PRIVACY_NOTICE_VERSION = "privacy-2026-11"
