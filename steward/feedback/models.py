"""Models of feedback."""
