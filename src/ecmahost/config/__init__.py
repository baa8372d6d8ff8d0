"""Connector definitions and host settings: their models, their files on disk, and secret handling."""
