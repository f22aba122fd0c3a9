"""OpenData Steward: runs a ministry's open-data action plan (資料開放行動方案)."""
