"""Organisations (ministry → agencies → units), people and their roles."""
