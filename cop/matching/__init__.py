"""Mentor matching: requests, suggestions with their reasons, mentorships and programmes."""
