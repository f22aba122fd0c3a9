"""Models of inventory."""
