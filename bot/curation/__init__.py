"""Keeping the content current: live content, admins' edits, learning from unanswered questions, checks."""
