"""Models of calendars."""
