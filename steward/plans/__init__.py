"""Action plans (資料開放行動方案) as data: versions, schedule, targets, KPIs."""
