"""KPIs (績效指標), evaluation, ranking and reports."""
