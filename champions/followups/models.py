"""Follow-up tasks on a champion, an organisation or a grant application. The owners are columns of those
records' own tables (``owner_id``); what a merge of two logins does with them is declared here."""

from __future__ import annotations

from champions.core import merging

MERGES: merging.Declarations = merging.moves(
    "users", "champions.owner_id", "organisations.owner_id", "grant_applications.owner_id"
)
