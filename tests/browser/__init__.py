"""Journeys driven through real Chromium, with axe-core on every page they visit."""
