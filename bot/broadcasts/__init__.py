"""Paced, resumable broadcasts to citizens, teams and admins."""
