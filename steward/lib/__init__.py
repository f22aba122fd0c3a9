"""Small shared helpers only (settings parsing, files, HTTP)."""
