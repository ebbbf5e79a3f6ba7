"""Frontline: an open-source help desk."""
