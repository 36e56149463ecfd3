"""Small Sparks rules, by what they govern. Services flush, never commit; the request (or task) commits once.

- ``lifecycle``: the statuses an application moves through, the rule error, money as pounds, awards in a round.
- ``rounds``: funds, their funders, rounds and their review panels, a round's applications and its export.
- ``applications``: drafts, submission and the eligibility check.
- ``reviews``: assigning reviewers, conflicts, scores and the panel's ranking.
- ``awards``: approving and declining, closing, and paying a grant in tranches.
- ``reports``: the end-of-grant report and its reminders.
- ``funders``: the tables of a fund's dashboard and their export.

Import the module that holds a name.
"""
