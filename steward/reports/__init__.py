"""Reports (報告) and charts: the documents the plans require, and the dashboards."""
