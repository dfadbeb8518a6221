"""Shipped model specifications (TOML files)."""
