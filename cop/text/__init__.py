"""Shared text handling: Markdown, slugs, the taxonomy of practice."""
