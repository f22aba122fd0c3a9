"""Committees: the ministry's advisory committee (諮詢小組) and each agency's working group (工作小組)."""
