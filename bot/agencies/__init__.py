"""Agencies' reports: reporting units, focal persons, the report form, weekly reminders."""
