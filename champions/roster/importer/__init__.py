"""Importing champions from a partner's CSV: read the file and map its columns (upload), check every row
(row_checks), then the dry run and the import with their report (run), which writes the new champions
(new_champions). The welcome emails an import owes are sent by roster.staff_tasks."""
